"""The system clock (tests inject their own)."""

from __future__ import annotations

import time


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that only moves when told to: for tests and the retry schedule."""

    def __init__(self, start_ms: int | None = None) -> None:
        self._now = start_ms if start_ms is not None else time.time_ns() // 1_000_000

    def now_ms(self) -> int:
        return self._now

    def advance(self, ms: int) -> None:
        self._now += ms


class OffsetClock:
    """The system clock shifted by a fixed offset: lets a test run a process "7 days later" (timed jobs)."""

    def __init__(self, offset_ms: int) -> None:
        self.offset_ms = offset_ms

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms


def clock_from_env(environ: dict[str, str] | None = None) -> SystemClock | OffsetClock:
    """PAYKEEP_CLOCK_OFFSET_MS (testing only) shifts this process's clock; unset or 0: the system clock."""
    import os

    raw = (environ if environ is not None else os.environ).get("PAYKEEP_CLOCK_OFFSET_MS", "").strip()
    offset = int(raw) if raw.lstrip("-").isdigit() else 0
    return OffsetClock(offset) if offset else SystemClock()
