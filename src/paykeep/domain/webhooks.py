"""Webhook delivery rules: the retry schedule, a delivery's transition table, endpoint URL checks (stdlib)."""

from __future__ import annotations

import random
import secrets
import string
from enum import StrEnum
from typing import cast
from urllib.parse import urlsplit

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
