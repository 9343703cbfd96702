"""Webhook delivery rules: the retry schedule, a delivery's transition table, endpoint URL checks (stdlib);
and the aggregates of the webhook side: WebhookEndpoint, WebhookDelivery, WebhookAttempt."""

from __future__ import annotations

import random
import secrets
import string
from dataclasses import dataclass, field
from enum import StrEnum
from typing import cast
from urllib.parse import urlsplit

from paykeep.domain.dialects import Dialect
from paykeep.domain.entity import Entity
from paykeep.domain.errors import ParameterInvalid
from paykeep.domain.state_machine import Table, advance

# 18 attempts in about 72 hours (WooshPay): 17 gaps doubling from 1 minute, capped at 8 hours
# (1m 2m 4m 8m 16m 32m 1h04 2h08 4h16 8h 8h 8h 8h 8h 8h 8h 8h = 72.5 h), each with +/-10 % jitter.
RETRY_SCHEDULE: tuple[float, ...] = tuple(float(min(60 * 2**k, 8 * 3600)) for k in range(17))
DEFAULT_JITTER = 0.10
MAX_URL_LENGTH = 2048
SECRET_PREFIX = "whsec_"
_ALNUM = string.ascii_letters + string.digits


def new_endpoint_secret() -> str:
    """`whsec_` + 32 random alphanumerics (about 190 bits); shown once, stored sealed."""
    return SECRET_PREFIX + "".join(secrets.choice(_ALNUM) for _ in range(32))


def next_delay(
    attempt: int, delays: tuple[float, ...], rng: random.Random | None = None, jitter: float = 0.0
) -> float | None:
    """Seconds to wait after failed attempt number `attempt` (1-based); None when that was the last one.

    `len(delays) + 1` attempts are made in all. With `jitter` (a fraction) the delay is spread
    uniformly over [d * (1 - jitter), d * (1 + jitter)] so that many failures do not retry in lockstep.
    """
    if attempt < 1 or attempt > len(delays):
        return None
    delay = max(0.0, float(delays[attempt - 1]))
    if jitter > 0:
        delay *= 1.0 + (rng or random).uniform(-jitter, jitter)
    return delay


def max_attempts(delays: tuple[float, ...]) -> int:
    return len(delays) + 1


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class DeliveryAction(StrEnum):
    SUCCEED = "succeed"  # a 2xx within the timeout
    RETRY = "retry"  # a failed attempt with attempts left
    GIVE_UP = "give_up"  # the last attempt failed
    CANCEL = "cancel"  # the endpoint was disabled or deleted


DELIVERY_TRANSITIONS = {
    (DeliveryStatus.PENDING, DeliveryAction.SUCCEED): DeliveryStatus.SUCCEEDED,
    (DeliveryStatus.PENDING, DeliveryAction.RETRY): DeliveryStatus.PENDING,
    (DeliveryStatus.PENDING, DeliveryAction.GIVE_UP): DeliveryStatus.FAILED,
    (DeliveryStatus.PENDING, DeliveryAction.CANCEL): DeliveryStatus.CANCELED,
}


def after_attempt(
    attempt: int, ok: bool, delays: tuple[float, ...], rng: random.Random | None = None, jitter: float = 0.0
) -> tuple[DeliveryStatus, float | None]:
    """The delivery's new status after attempt number `attempt`, and the delay before the next one."""
    if ok:
        return advance_delivery(DeliveryAction.SUCCEED), None
    delay = next_delay(attempt, delays, rng, jitter)
    if delay is None:
        return advance_delivery(DeliveryAction.GIVE_UP), None
    return advance_delivery(DeliveryAction.RETRY), delay


def advance_delivery(
    action: DeliveryAction, status: DeliveryStatus = DeliveryStatus.PENDING
) -> DeliveryStatus:
    return DeliveryStatus(advance(cast(Table, DELIVERY_TRANSITIONS), status, action))


def is_success_status(status_code: int | None) -> bool:
    """Only a 2xx counts; redirects (3xx) are failures and are never followed."""
    return status_code is not None and 200 <= status_code < 300


def check_endpoint_url(url: str, *, param: str = "url") -> str:
    """An absolute http(s) URL with a host, no whitespace, no fragment, at most 2048 characters."""
    problem = _url_problem(url)
    if problem:
        raise ParameterInvalid(param, f"Invalid URL: {problem}")
    return url


def _url_problem(url: str) -> str | None:
    if not url:
        return "the URL is empty."
    if len(url) > MAX_URL_LENGTH:
        return f"the URL is longer than {MAX_URL_LENGTH} characters."
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        return "the URL contains whitespace or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the URL could not be parsed (check the host and port)."
    if parts.scheme.lower() not in ("http", "https"):
        return "the URL must start with http:// or https://."
    if not parts.hostname:
        return "the URL must name a host."
    if port == 0:
        return "the URL's port must be between 1 and 65535."
    if parts.fragment:
        return "the URL must not contain a fragment (#...)."
    return None


class WebhookEndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class AttemptOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WebhookEndpoint(Entity):
    """A URL that receives the events it subscribes to. The signing secret is stored sealed only
    (`secret_ciphertext`, bound to the endpoint's id); the API shows it in clear once, at creation."""

    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    url: str
    enabled_events: list[str]
    secret_ciphertext: bytes = field(repr=False)
    secret_key_version: int
    status: WebhookEndpointStatus = WebhookEndpointStatus.ENABLED
    metadata: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    api_version: str | None = None
    dialect: Dialect = Dialect.WOOSHPAY  # of the request that made it: its deliveries are written in it


@dataclass(frozen=True, slots=True)
class NewWebhookEndpoint:
    """What creating an endpoint answers: the endpoint and, this once, its signing secret in clear."""

    endpoint: WebhookEndpoint
    secret: str = field(repr=False)  # never in a log line


@dataclass(frozen=True, slots=True)
class WebhookDelivery(Entity):
    """One event for one endpoint: pending until it succeeds, fails after the last attempt, or is canceled.
    `claimed_until`/`claimed_by`: a worker's lease on it while it is being sent."""

    id: str
    event_id: str
    endpoint_id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    updated: int
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempt_count: int = 0
    next_attempt_at: int | None = None
    claimed_until: int | None = None
    claimed_by: str | None = None
    last_status_code: int | None = None

    @classmethod
    def new(cls, delivery_id: str, event_id: str, endpoint_id: str, *, account_id: str, livemode: bool,
            now_ms: int) -> WebhookDelivery:
        """A delivery of an event to an endpoint, pending and due now (the outbox, a resend)."""
        return cls(id=delivery_id, event_id=event_id, endpoint_id=endpoint_id, account_id=account_id,
                   livemode=livemode, created=now_ms, updated=now_ms, next_attempt_at=now_ms)


@dataclass(frozen=True, slots=True)
class WebhookAttempt(Entity):
    """One POST of a delivery (append-only): what came back, how long it took."""

    id: str
    delivery_id: str
    event_id: str
    endpoint_id: str
    attempted_at: int  # Unix ms
    latency_ms: int
    outcome: AttemptOutcome
    attempt: int | None = None  # 1-based within its delivery (None on rows older than migration 0003)
    status_code: int | None = None
    error: str | None = None
    response_excerpt: str | None = None


@dataclass(frozen=True, slots=True)
class AttemptView:
    """An attempt as GET /v1/webhook_endpoints/{id}/attempts lists it, with its delivery as it is now (will
    it be tried again, and when?); `delivery` is None once it is gone."""

    attempt: WebhookAttempt
    delivery: WebhookDelivery | None = None
