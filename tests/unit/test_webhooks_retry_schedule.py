"""domain.webhooks: the retry schedule, the delivery transition table and endpoint URL checks."""

from __future__ import annotations

import random

import pytest

from paykeep.domain.errors import ParameterInvalid
from paykeep.domain.events import EVENT_TYPES, check_enabled_events, subscribed
from paykeep.domain.state_machine import InvalidTransition
from paykeep.domain.webhooks import (
    DEFAULT_JITTER,
    RETRY_SCHEDULE,
    DeliveryAction,
    DeliveryStatus,
    advance_delivery,
    after_attempt,
    check_endpoint_url,
    max_attempts,
    new_endpoint_secret,
    next_delay,
)


def test_default_schedule_is_18_attempts_in_about_72_hours_growing_exponentially():
    assert max_attempts(RETRY_SCHEDULE) == 18
    assert 70 * 3600 <= sum(RETRY_SCHEDULE) <= 74 * 3600
    assert all(b >= a for a, b in zip(RETRY_SCHEDULE, RETRY_SCHEDULE[1:], strict=False))
    assert RETRY_SCHEDULE[1] == 2 * RETRY_SCHEDULE[0]


def test_jitter_stays_within_bounds_and_spreads_retries():
    rng = random.Random(7)
    values = [next_delay(3, RETRY_SCHEDULE, rng, DEFAULT_JITTER) for _ in range(200)]
    base = RETRY_SCHEDULE[2]
    assert all(base * 0.9 <= v <= base * 1.1 for v in values)
    assert len({round(v, 3) for v in values}) > 100
    total = sum(next_delay(n, RETRY_SCHEDULE, rng, DEFAULT_JITTER) for n in range(1, 18))
    assert 65 * 3600 < total < 80 * 3600


def test_configured_schedule_is_used_as_given():
    delays = (0.2, 0.5)
    assert next_delay(1, delays) == 0.2
    assert next_delay(2, delays) == 0.5
    assert next_delay(3, delays) is None
    assert next_delay(0, delays) is None
    assert max_attempts(delays) == 3


def test_after_attempt_walks_the_transition_table():
    delays = (0.2, 0.2)
    assert after_attempt(1, True, delays) == (DeliveryStatus.SUCCEEDED, None)
    assert after_attempt(1, False, delays) == (DeliveryStatus.PENDING, 0.2)
    assert after_attempt(3, False, delays) == (DeliveryStatus.FAILED, None)
    assert advance_delivery(DeliveryAction.CANCEL) == DeliveryStatus.CANCELED
    with pytest.raises(InvalidTransition):
        advance_delivery(DeliveryAction.RETRY, DeliveryStatus.SUCCEEDED)


@pytest.mark.parametrize(
    "url", ["https://example.com/hooks", "http://127.0.0.1:8080/x?y=1", "http://[::1]:9/"]
)
def test_good_urls(url):
    assert check_endpoint_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://example.com/",
        "example.com/hooks",
        "http://",
        "http:///path",
        "https://exa mple.com/",
        "http://host:99999/",
        "http://h/#frag",
        "javascript:x",
        "https://" + "a" * 2050 + ".com",
    ],
)
def test_bad_urls(url):
    with pytest.raises(ParameterInvalid) as info:
        check_endpoint_url(url)
    assert info.value.param == "url"


def test_enabled_events():
    assert check_enabled_events(["*"]) == ["*"]
    assert check_enabled_events(["customer.created", "customer.created", "setup_intent.succeeded"]) == [
        "customer.created",
        "setup_intent.succeeded",
    ]
    with pytest.raises(ParameterInvalid) as info:
        check_enabled_events(["customer.created", "customer.exploded"])
    assert info.value.param == "enabled_events[1]"
    with pytest.raises(ParameterInvalid):
        check_enabled_events([])
    assert "setup_intent.succeeded" in EVENT_TYPES and "checkout.session.completed" in EVENT_TYPES
    assert subscribed(["*"], "customer.created") and not subscribed(["customer.updated"], "customer.created")


def test_secrets_are_whsec_and_random():
    a, b = new_endpoint_secret(), new_endpoint_secret()
    assert a.startswith("whsec_") and len(a) == 6 + 32 and a != b
