"""Dashboard password hashes: scrypt (memory-hard) with a per-user salt, verified in constant time.

A hash is stored as `scrypt$<log2 n>$<r>$<p>$<salt b64>$<key b64>`, so the cost can be raised later without
breaking existing hashes (`needs_rehash` tells the caller to re-hash on the next successful sign-in).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

LOG2_N = 15  # n = 32768: 32 MiB and ~0.1 s per hash on one core
R = 8
P = 1
SALT_BYTES = 16
KEY_BYTES = 32
_MAX_LOG2_N = 20  # refuse absurd parameters from a tampered row rather than exhaust memory
_SCHEME = "scrypt"


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r * p + (1 << 20), dklen=KEY_BYTES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


class ScryptHasher:
    """The port services use (`deps.extras["passwords"]`): hash, verify, needs_rehash."""

    def __init__(self, log2_n: int = LOG2_N, r: int = R, p: int = P) -> None:
        self.log2_n, self.r, self.p = log2_n, r, p

    def hash(self, password: str) -> str:
        salt = secrets.token_bytes(SALT_BYTES)
        key = _derive(password, salt, self.log2_n, self.r, self.p)
        return f"{_SCHEME}${self.log2_n}${self.r}${self.p}${_b64(salt)}${_b64(key)}"

    def verify(self, password: str, encoded: str | None) -> bool:
        """True when `password` matches. With no stored hash, burns the same time and returns False."""
        parsed = _parse(encoded) if encoded else None
        if parsed is None:
            _derive(password, b"\0" * SALT_BYTES, self.log2_n, self.r, self.p)
            hmac.compare_digest(b"\0" * KEY_BYTES, b"\1" * KEY_BYTES)
            return False
        log2_n, r, p, salt, expected = parsed
        return hmac.compare_digest(_derive(password, salt, log2_n, r, p), expected)

    def needs_rehash(self, encoded: str) -> bool:
        parsed = _parse(encoded)
        return parsed is None or parsed[:3] != (self.log2_n, self.r, self.p)


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        return None
    try:
        log2_n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        return None
    if not (1 <= log2_n <= _MAX_LOG2_N and 1 <= r <= 32 and 1 <= p <= 16 and salt and len(key) == KEY_BYTES):
        return None
    return log2_n, r, p, salt, key
