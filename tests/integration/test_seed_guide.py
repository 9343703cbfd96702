"""The seed guide ("Save a payment method with Direct API", then "Charge the card later") end to end.

A merchant with a webhook receiver on 127.0.0.1: create a customer, save a card frictionless and one with the
3-D Secure challenge, trust only the signed `setup_intent.succeeded` webhooks, list the cards, charge the
saved `pm_` with `off_session: true` and with `off_session: false`, and receive `payment_intent.succeeded`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from paykeep.webhooks import construct_event
from support.receiver import Receiver
from support.server import PaykeepServer

RETURN_URL = "https://yourwebsite.com"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rcv = Receiver()
    yield rcv
    rcv.close()


def _signed_events(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    """Every delivery so far, verified with the endpoint's secret (at-least-once: deduplicated on id)."""
    events: dict[str, dict[str, Any]] = {}
    for req in receiver.snapshot():
        event = construct_event(req.body, req.signature, secret)
        events.setdefault(event["id"], event)
    return list(events.values())


def _wait_event(receiver: Receiver, secret: str, event_type: str, object_id: str) -> dict[str, Any]:
    def found(_reqs: list[Any]) -> bool:
        return any(e["type"] == event_type and e["data"]["object"]["id"] == object_id
                   for e in _signed_events(receiver, secret))

    receiver.wait_for(found, timeout=20)
    return next(e for e in _signed_events(receiver, secret)
                if e["type"] == event_type and e["data"]["object"]["id"] == object_id)


def _answer(url: str, outcome: str = "complete") -> dict[str, list[str]]:
    assert httpx.get(url, timeout=30).status_code == 200
    resp = httpx.post(url, data={"outcome": outcome}, timeout=30, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    return parse_qs(urlsplit(resp.headers["location"]).query)


def _seed_setup_request(customer_id: str, number: str) -> str:
    """Step 2's request body, as the guide prints it (card fields as strings)."""
    return json.dumps({
        "confirm": True,
        "customer": customer_id,
        "payment_method_types": ["card"],
        "payment_method_data": {"type": "card", "card": {
            "exp_month": "04", "exp_year": "2034", "number": number, "cvc": "022", "name": "XX XXX"}},
        "usage": "on_session",
        "return_url": RETURN_URL,
    }, indent=2)


def _charge(api: httpx.Client, customer_id: str, pm_id: str, *, off_session: bool) -> httpx.Response:
    """Step 4's request body, as the guide prints it."""
    body = ('{\n  "amount": 2500,\n  "currency": "USD",\n  "confirm": true,\n'
            f'  "off_session": {"true" if off_session else "false"},\n'
            f'  "customer": "{customer_id}",\n  "payment_method": "{pm_id}",\n'
            '  "return_url": "https://example.com/pay/complete"\n}')
    return api.post("/v1/payment_intents", content=body, headers={"Content-Type": "application/json"})


def test_seed_guide_end_to_end(fresh_server: PaykeepServer, receiver: Receiver) -> None:
    with fresh_server.client() as api:
        # 0. the merchant's webhook endpoint (the guide's prerequisite)
        endpoint = api.post("/v1/webhook_endpoints", json={
            "url": receiver.url,
            "enabled_events": ["setup_intent.created", "setup_intent.succeeded", "payment_intent.succeeded",
                               "payment_intent.requires_action"]})
        assert endpoint.status_code == 200, endpoint.text
        secret = endpoint.json()["secret"]
        assert secret.startswith("whsec_")

        # 1. the customer
        customer = api.post("/v1/customers",
                            json={"email": "jenny@example.com", "name": "Jenny Rosen"}).json()
        assert customer["id"].startswith("cus_")

        # 2a. save a card frictionless: succeeded at once
        resp = api.post("/v1/setup_intents", content=_seed_setup_request(customer["id"], "4761344136141390"),
                        headers={"Content-Type": "application/json"})
        assert resp.status_code == 200, resp.text
        frictionless = resp.json()
        assert frictionless["status"] == "succeeded" and frictionless["next_action"] is None

        # 2b. save the 3-D Secure card: requires_action with a challenge_redirect, completed by the cardholder
        resp = api.post("/v1/setup_intents", content=_seed_setup_request(customer["id"], "4462030000000000"),
                        headers={"Content-Type": "application/json"})
        challenged = resp.json()
        assert challenged["status"] == "requires_action", resp.text
        assert challenged["next_action"]["type"] == "challenge_redirect"
        assert challenged["next_action"]["challenge_redirect"]["return_url"] == RETURN_URL
        query = _answer(challenged["next_action"]["challenge_redirect"]["url"])
        assert query["setup_intent"] == [challenged["id"]] and query["redirect_status"] == ["succeeded"]
        assert query["setup_intent_client_secret"] == [challenged["client_secret"]]

        # 3. the webhooks are the source of truth: setup_intent.succeeded, signed, for both
        saved = {}
        for seti in (frictionless, challenged):
            event = _wait_event(receiver, secret, "setup_intent.succeeded", seti["id"])
            obj = event["data"]["object"]
            assert event["object"] == "event" and event["id"].startswith("evt_")
            assert event["livemode"] is False
            assert obj["object"] == "setup_intent" and obj["status"] == "succeeded"
            assert obj["customer"] == customer["id"] and obj["payment_method"].startswith("pm_")
            assert obj["client_secret"].startswith(seti["id"] + "_secret_")
            assert obj["payment_method_options"]["card"]["request_three_d_secure"] == "auto"
            assert event["created"] > 10**12  # milliseconds, as WooshPay's payload shows
            saved[seti["id"]] = obj["payment_method"]
        assert "setup_intent.created" in {e["type"] for e in _signed_events(receiver, secret)}

        # the cards, listed
        cards = api.get(f"/v1/customers/{customer['id']}/payment_methods").json()["data"]
        assert sorted(c["id"] for c in cards) == sorted(saved.values())
        assert sorted(c["card"]["last4"] for c in cards) == ["0000", "1390"]

        # 4. charge the saved cards later
        pm_3ds = saved[challenged["id"]]
        pm_plain = saved[frictionless["id"]]
        off = _charge(api, customer["id"], pm_3ds, off_session=True)  # no cardholder: no new challenge
        assert off.status_code == 200, off.text
        assert off.json()["status"] == "succeeded" and off.json()["next_action"] is None
        on = _charge(api, customer["id"], pm_plain, off_session=False)
        assert on.status_code == 200 and on.json()["status"] == "succeeded", on.text
        on_3ds = _charge(api, customer["id"], pm_3ds, off_session=False)  # cardholder present: challenged
        assert on_3ds.json()["status"] == "requires_action", on_3ds.text
        query = _answer(on_3ds.json()["next_action"]["challenge_redirect"]["url"])
        assert query["payment_intent"] == [on_3ds.json()["id"]] and query["redirect_status"] == ["succeeded"]

        for pi in (off.json(), on.json(), on_3ds.json()):
            event = _wait_event(receiver, secret, "payment_intent.succeeded", pi["id"])
            obj = event["data"]["object"]
            assert obj["status"] == "succeeded" and obj["amount_received"] == 2500
            assert obj["currency"] == "USD"
            assert obj["customer"] == customer["id"] and obj["payment_method"] in (pm_3ds, pm_plain)
        types = [e["type"] for e in _signed_events(receiver, secret)]
        assert types.count("payment_intent.succeeded") == 3
        assert types.count("payment_intent.requires_action") == 1
        assert set(types) <= {"setup_intent.created", "setup_intent.succeeded", "payment_intent.succeeded",
                              "payment_intent.requires_action"}  # only what the endpoint subscribed to
