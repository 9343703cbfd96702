"""Test clocks (Stripe's /v1/test_helpers/test_clocks, API.md §11): a simulated time that a test moves
forward, and on which the objects of the clock's customers live.

A clock is `ready` or `advancing`. Advancing records the target (`target_frozen_time`) first; the effects
that fall due up to it (an authorization's 7 days, a Checkout Session's 24 hours) are then carried out in
the order of their due times, the clock's `frozen_time` following each one, and the clock is `ready` at the
target. Every step is its own transaction and is re-checked under its locks, so an advance interrupted by a
crash is finished by whichever process looks next (services/test_clocks.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from paykeep.domain.entity import Entity
from paykeep.domain.errors import InvalidRequest, ParameterInvalid

PREFIX = "clock"
OBJECT = "test_helpers.test_clock"
DAY_MS = 24 * 3600 * 1000
LIFETIME_MS = 7 * DAY_MS  # Stripe deletes a test clock (and its objects) 7 days after it was made
MAX_ADVANCE_MS = 2 * 365 * DAY_MS  # Stripe: at most two years past the current frozen time (no subscriptions)
MAX_NAME_LENGTH = 300
# Frozen times a clock may take: from 1970 to the end of year 9999 (what a datetime can show).
MAX_FROZEN_TIME_MS = 253402300799999


class TestClockStatus(StrEnum):
    READY = "ready"
    ADVANCING = "advancing"


@dataclass(frozen=True, slots=True)
class TestClock(Entity):
    __test__: ClassVar[bool] = False  # not a pytest test class, whatever its name

    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms (the real time it was made)
    frozen_time: int  # Unix ms: the time of the clock's objects
    deletes_after: int  # Unix ms (real time)
    metadata: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    status: TestClockStatus = TestClockStatus.READY
    target_frozen_time: int | None = None  # set while advancing
    deleted: bool = False

    @property
    def advancing(self) -> bool:
        return self.status == TestClockStatus.ADVANCING

    def advance_to(self, target_ms: int) -> TestClock:
        """ready -> advancing towards `target_ms`; a clock only moves forward, at most two years at a time."""
        check_frozen_time(target_ms)
        if self.advancing:
            raise InvalidRequest(
                f"The test clock {self.id} is still advancing (to {iso(self.target_frozen_time or 0)}). Wait "
                "until its status is `ready`, then advance it again.",
                code="test_clock_not_ready",
            )
        if target_ms <= self.frozen_time:
            raise ParameterInvalid(
                "frozen_time",
                f"Invalid frozen_time: {iso(target_ms)} is not after the test clock's current frozen_time "
                f"({iso(self.frozen_time)}). A test clock only moves forward: pass a later time.",
            )
        if target_ms - self.frozen_time > MAX_ADVANCE_MS:
            raise ParameterInvalid(
                "frozen_time",
                f"Invalid frozen_time: {iso(target_ms)} is more than two years after the test clock's "
                f"current frozen_time ({iso(self.frozen_time)}). Advance it in steps of at most two years.",
            )
        return self.with_(status=TestClockStatus.ADVANCING, target_frozen_time=target_ms)

    def reached(self, at_ms: int) -> TestClock:
        """The clock, advancing, at `at_ms` (an effect due then was carried out); it never moves back."""
        return self.with_(frozen_time=max(self.frozen_time, min(at_ms, self.target_frozen_time or at_ms)))

    def ready(self) -> TestClock:
        """advancing -> ready, at its target."""
        target = self.target_frozen_time or self.frozen_time
        return self.with_(status=TestClockStatus.READY, frozen_time=target, target_frozen_time=None)


def check_frozen_time(value_ms: int, *, param: str = "frozen_time") -> int:
    if not 0 <= value_ms <= MAX_FROZEN_TIME_MS:
        raise ParameterInvalid(param, f"Invalid {param}: it must be a Unix time between 1970 and 9999.")
    return value_ms


def check_name(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > MAX_NAME_LENGTH:
        raise ParameterInvalid("name", f"Invalid name: at most {MAX_NAME_LENGTH} characters.")
    return value


def iso(ms: int) -> str:
    """A time for a message, the same in both dialects (whose numbers differ: ms or s)."""
    if not 0 <= ms <= MAX_FROZEN_TIME_MS:
        return f"{ms} ms after 1970"
    seconds, rest = divmod(ms, 1000)
    text = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{rest:03d}Z" if rest else f"{text}Z"
