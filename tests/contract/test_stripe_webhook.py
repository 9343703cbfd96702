"""Our deliveries verify with the official `stripe` package (passing our header value) and with our helper."""

from __future__ import annotations

import importlib.util
import time
import uuid

import pytest
import stripe

from paykeep.webhooks import construct_event
from support.receiver import Receiver, fail_first, wait_until

pytestmark = pytest.mark.contract


@pytest.fixture
def receiver():
    rcv = Receiver()
    yield rcv
    rcv.close()


@pytest.fixture
def endpoint(api, receiver):
    we = api.post("/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "*"}).json()
    yield we
    api.delete(f"/v1/webhook_endpoints/{we['id']}")


def verify_both(req, secret):
    """The official SDK and our helper agree on every delivery."""
    theirs = stripe.Webhook.construct_event(req.body, req.signature, secret)
    ours = construct_event(req.body, req.signature, secret)
    assert theirs.id == ours["id"] and theirs.type == ours["type"]
    assert theirs["data"]["object"]["id"] == ours["data"]["object"]["id"]
    return ours


def test_customer_created_verifies_with_stripe_sdk(api, receiver, endpoint):
    cus = api.post("/v1/customers", data={"email": f"{uuid.uuid4().hex[:8]}@example.com"}).json()
    (req,) = receiver.wait_count(1)
    event = verify_both(req, endpoint["secret"])
    assert event["type"] == "customer.created" and event["data"]["object"]["id"] == cus["id"]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(req.body, req.signature, "whsec_not_the_secret")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(req.body + b" ", req.signature, endpoint["secret"])


def test_every_retry_verifies_with_stripe_sdk(api, receiver, endpoint):
    receiver.respond = fail_first(2)
    api.post("/v1/customers", data={"email": "retry@example.com"})
    got = receiver.wait_count(3)
    events = [verify_both(req, endpoint["secret"]) for req in got]
    assert len({e["id"] for e in events}) == 1


@pytest.mark.skipif(
    importlib.util.find_spec("paykeep.services.setup_intents") is None,
    reason="the SetupIntents slice is not in this tree yet",
)
def test_seed_flow_events_verify_with_stripe_sdk(api, receiver, endpoint):
    """The seed's Direct API request yields setup_intent.created and .succeeded, both verifiable."""
    cus = api.post("/v1/customers", data={"email": "seed@example.com"}).json()
    resp = api.post(
        "/v1/setup_intents",
        json={
            "confirm": True,
            "customer": cus["id"],
            "payment_method_types": ["card"],
            "payment_method_data": {
                "type": "card",
                "card": {
                    "exp_month": "04",
                    "exp_year": str(time.gmtime().tm_year + 3),
                    "number": "4761344136141390",
                    "cvc": "022",
                    "name": "XX XXX",
                },
            },
            "usage": "on_session",
            "return_url": "https://merchant.example/return",
        },
    )
    assert resp.status_code == 200, resp.text
    seti = resp.json()
    assert seti["status"] == "succeeded"

    def seti_events():
        found = {}
        for req in receiver.snapshot():
            event = verify_both(req, endpoint["secret"])
            if event["data"]["object"].get("id") == seti["id"]:
                found[event["type"]] = event
        return found if {"setup_intent.created", "setup_intent.succeeded"} <= set(found) else None

    found = wait_until(seti_events)
    succeeded = found["setup_intent.succeeded"]["data"]["object"]
    assert succeeded["status"] == "succeeded" and succeeded["customer"] == cus["id"]
    assert succeeded["payment_method"] == seti["payment_method"]
    body = b"".join(r.body for r in receiver.snapshot())
    assert b"4761344136141390" not in body and b'"022"' not in body
