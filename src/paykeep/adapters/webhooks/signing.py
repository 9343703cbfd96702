"""The webhook signature.

`Wooshpay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, or the same value as
`Stripe-Signature` for an endpoint of the Stripe dialect (API.md §8).
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


def signature_headers(secret: str, timestamp: int, body: bytes, header: str = HEADER) -> dict[str, str]:
    return {header: sign(secret, timestamp, body)}
