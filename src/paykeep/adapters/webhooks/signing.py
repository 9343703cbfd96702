"""The webhook signature.

`Wooshpay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Wooshpay-Signature"
SCHEME = "v1"


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for one attempt (a fresh `timestamp` per attempt)."""
    return f"t={int(timestamp)},{SCHEME}={compute_signature(secret, int(timestamp), body)}"


def signature_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {HEADER: sign(secret, timestamp, body)}
