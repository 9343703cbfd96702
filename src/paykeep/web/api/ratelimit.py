"""A per-key token bucket: `PAYKEEP_RATE_LIMIT` requests/s with a burst of the same size (0 turns it off)."""

from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self, per_second: float, clock: object = time.monotonic) -> None:
        self.rate = per_second
        self.burst = max(per_second, 1.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when allowed, else the seconds to wait (the Retry-After)."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()  # type: ignore[operator]
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
