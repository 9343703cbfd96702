"""Prefixed, time-ordered ids: 19 digits in the WooshPay dialect (`cus_1838767497487056896`), 24 base-62
characters in Stripe's (`cus_1838767497487056896aZ3kQ`: the same 19-digit number, then 5 random letters or
digits). Both forms sort together by time as plain strings, so lists stay newest-first and cursors stable
whichever dialect made each object, with one ordering column (the id) and no second key."""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections.abc import Callable

from paykeep.domain.dialects import Dialect

# The objects of the API, whose ids take the form of the dialect they were made in; the others (requests,
# accounts, deliveries, challenge tokens, users) keep the 19-digit form.
OBJECT_PREFIXES = frozenset(("cus", "pm", "seti", "pi", "re", "ch", "evt", "we", "cs", "prod", "price"))
STRIPE_SUFFIX_LENGTH = 5
PREFIXES = ("cus", "pm", "seti", "pi", "re", "ch", "evt", "we", "wd", "cs", "req", "acct", "tds", "usr",
            "prod", "price")

# Milliseconds since this epoch, shifted left 22 bits, gives 19 digits until the 2080s.
_EPOCH_MS = 1288834974657
_NODE_BITS = 10
_SEQ_BITS = 12
_ALNUM = string.ascii_letters + string.digits


class IdFactory:
    """Makes snowflake-style ids: time in ms | random node | per-ms sequence. Thread-safe."""

    def __init__(self, now_ms: Callable[[], int] | None = None, node: int | None = None) -> None:
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self._node = secrets.randbelow(1 << _NODE_BITS) if node is None else node
        self._lock = threading.Lock()
        self._last_ms = 0
        self._seq = 0

    def _next_number(self) -> int:
        with self._lock:
            ms = max(self._now_ms(), self._last_ms)
            if ms == self._last_ms:
                self._seq += 1
                if self._seq >= 1 << _SEQ_BITS:
                    ms += 1
                    self._seq = 0
            else:
                self._seq = 0
            self._last_ms = ms
            return ((ms - _EPOCH_MS) << (_NODE_BITS + _SEQ_BITS)) | (self._node << _SEQ_BITS) | self._seq

    def new(self, prefix: str, dialect: Dialect | None = None) -> str:
        if dialect is Dialect.STRIPE and prefix in OBJECT_PREFIXES:
            return f"{prefix}_{self._next_number():019d}{random_token(STRIPE_SUFFIX_LENGTH)}"
        return f"{prefix}_{self._next_number():019d}"


def random_token(length: int = 24) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def client_secret_for(intent_id: str) -> str:
    return f"{intent_id}_secret_{random_token(24)}"


def prefix_of(object_id: str) -> str:
    return object_id.split("_", 1)[0] if "_" in object_id else ""


def dialect_of(object_id: str) -> Dialect:
    """The dialect whose form an id has: Stripe's (19 digits + 5 base-62 characters) or WooshPay's."""
    rest = object_id.partition("_")[2]
    return Dialect.STRIPE if len(rest) == 19 + STRIPE_SUFFIX_LENGTH else Dialect.WOOSHPAY


def looks_like(object_id: object, prefix: str) -> bool:
    if not isinstance(object_id, str) or not object_id.startswith(prefix + "_"):
        return False
    rest = object_id[len(prefix) + 1 :]
    digits, suffix = rest[:19], rest[19:]
    stripe_suffix = len(suffix) == STRIPE_SUFFIX_LENGTH and suffix.isascii() and suffix.isalnum()
    return len(digits) == 19 and digits.isdigit() and (not suffix or stripe_suffix)
