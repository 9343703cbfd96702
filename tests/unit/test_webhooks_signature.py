"""paykeep.webhooks.construct_event: verifies like Stripe's SDKs; every forgery or replay is refused."""

from __future__ import annotations

import json
import time

import pytest

from paykeep.adapters.webhooks.signing import HEADER, compute_signature, sign, signature_headers
from paykeep.webhooks import SIGNATURE_HEADER, SignatureVerificationError, construct_event, verify_header

SECRET = "whsec_test_secret_0123456789abcdef"
BODY = json.dumps(
    {"id": "evt_1", "object": "event", "type": "customer.created"}, separators=(",", ":")
).encode()


def header_for(body: bytes = BODY, secret: str = SECRET, t: int | None = None) -> str:
    return sign(secret, int(time.time()) if t is None else t, body)


def test_header_shape_and_name():
    value = header_for(t=1700000000)
    assert value.startswith("t=1700000000,v1=") and len(value.split("v1=")[1]) == 64
    assert HEADER == SIGNATURE_HEADER == "Wooshpay-Signature"
    assert signature_headers(SECRET, 1700000000, BODY) == {"Wooshpay-Signature": value}


def test_valid_signature_returns_the_event():
    event = construct_event(BODY, header_for(), SECRET)
    assert event["id"] == "evt_1"
    assert construct_event(BODY.decode(), header_for(), SECRET)["type"] == "customer.created"


def test_any_of_several_v1_values_and_unknown_schemes_are_ignored():
    t = int(time.time())
    good = compute_signature(SECRET, t, BODY)
    header = f"t={t},v1={'0' * 64},v0={'1' * 64},v1={good}"
    assert construct_event(BODY, header, SECRET)["id"] == "evt_1"


@pytest.mark.parametrize("header", [None, ""])
def test_missing_header(header):
    with pytest.raises(SignatureVerificationError, match="header"):
        construct_event(BODY, header, SECRET)


@pytest.mark.parametrize(
    "header", ["garbage", "t=abc,v1=00", "v1=" + "0" * 64, "t=,v1=", "t=1700000000", "t=1700000000,v1"]
)
def test_malformed_header(header):
    with pytest.raises(
        SignatureVerificationError, match="Unable to extract timestamp|No signatures found with"
    ):
        construct_event(BODY, header, SECRET)


def test_stale_timestamp_is_refused_even_with_a_correct_signature():
    old = int(time.time()) - 301
    with pytest.raises(SignatureVerificationError, match="tolerance"):
        construct_event(BODY, header_for(t=old), SECRET)
    assert construct_event(BODY, header_for(t=old), SECRET, tolerance=600)["id"] == "evt_1"


def test_wrong_secret():
    with pytest.raises(SignatureVerificationError, match="No signatures found"):
        construct_event(BODY, header_for(secret="whsec_other"), SECRET)


def test_body_changed_by_one_byte():
    header = header_for()
    tampered = bytearray(BODY)
    tampered[-2] ^= 0x01
    with pytest.raises(SignatureVerificationError, match="No signatures found"):
        construct_event(bytes(tampered), header, SECRET)


def test_only_a_v0_signature_is_refused():
    t = int(time.time())
    header = f"t={t},v0={compute_signature(SECRET, t, BODY)}"
    with pytest.raises(SignatureVerificationError, match="No signatures found with expected scheme v1"):
        construct_event(BODY, header, SECRET)


def test_timestamp_is_part_of_the_signed_content():
    t = int(time.time())
    moved = f"t={t - 1},v1={compute_signature(SECRET, t, BODY)}"
    with pytest.raises(SignatureVerificationError):
        verify_header(BODY, moved, SECRET)


def test_error_carries_header_and_body_for_logging_by_the_caller():
    with pytest.raises(SignatureVerificationError) as info:
        construct_event(BODY, "t=1,v1=00", SECRET, tolerance=None)
    assert info.value.sig_header == "t=1,v1=00"
    assert info.value.http_body == BODY
