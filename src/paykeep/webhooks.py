"""For merchants receiving paykeep webhooks: verify the `Wooshpay-Signature` header, then parse the event.

    from paykeep.webhooks import construct_event, SignatureVerificationError

    try:
        event = construct_event(request_body_bytes, request.headers.get("Wooshpay-Signature"), "whsec_...")
    except SignatureVerificationError:
        return 400
    if already_processed(event["id"]): ...   # delivery is at-least-once: dedupe on event["id"]

It verifies as Stripe's SDKs do: the header holds `t=<unix seconds>` and one or more `v1=<hex>` values
(other schemes such as `v0=` are ignored); any `v1` that equals HMAC-SHA256(secret, "<t>.<raw body>"),
compared in constant time, is accepted; `t` older than `tolerance` seconds is refused (replay protection).
Pass the raw request body exactly as received, not a re-serialised JSON object.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

SIGNATURE_HEADER = "Wooshpay-Signature"
EXPECTED_SCHEME = "v1"
DEFAULT_TOLERANCE = 300


class SignatureVerificationError(ValueError):
    """The payload does not carry a valid, recent signature by this secret."""

    def __init__(
        self, message: str, sig_header: str | None = None, http_body: bytes | str | None = None
    ) -> None:
        super().__init__(message)
        self.sig_header = sig_header
        self.http_body = http_body


def compute_signature(payload: bytes, timestamp: int | str, secret: str) -> str:
    signed = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def _parse_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureVerificationError(
                    "Unable to extract timestamp and signatures from header", header
                ) from None
        elif key == EXPECTED_SCHEME:
            signatures.append(value)
    if timestamp is None:
        raise SignatureVerificationError("Unable to extract timestamp and signatures from header", header)
    if not signatures:
        raise SignatureVerificationError(
            f"No signatures found with expected scheme {EXPECTED_SCHEME}", header
        )
    return timestamp, signatures


def verify_header(
    payload: bytes | str,
    header: str | None,
    secret: str,
    tolerance: int | None = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> bool:
    """True, or raises SignatureVerificationError. `tolerance=None` (or 0) skips the timestamp check."""
    body = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    if not header:
        raise SignatureVerificationError(f"No {SIGNATURE_HEADER} header was supplied", header, body)
    if not secret:
        raise SignatureVerificationError("No webhook secret was supplied", header, body)
    timestamp, signatures = _parse_header(header)
    expected = compute_signature(body, timestamp, secret).encode("ascii")
    if not any(hmac.compare_digest(expected, sig.encode("utf-8", "replace")) for sig in signatures):
        raise SignatureVerificationError(
            "No signatures found matching the expected signature for payload", header, body
        )
    current = time.time() if now is None else now
    if tolerance and timestamp < current - tolerance:
        raise SignatureVerificationError("Timestamp outside the tolerance zone", header, body)
    return True


def construct_event(
    payload: bytes | str, header: str | None, secret: str, tolerance: int | None = DEFAULT_TOLERANCE
) -> dict[str, Any]:
    """Verify the signature, then return the event as a dict (SignatureVerificationError / ValueError)."""
    verify_header(payload, header, secret, tolerance)
    data = json.loads(payload.decode("utf-8") if isinstance(payload, bytes | bytearray) else payload)
    if not isinstance(data, dict):
        raise ValueError("the webhook payload is not a JSON object")
    return data
