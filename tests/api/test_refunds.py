"""Refunds over real HTTP: full, partial, over-refund, only succeeded payments, events, list and retrieve."""

from __future__ import annotations

import re

from support.assertions import assert_error
from support.payments import events_for, pay


def _paid(api, amount=5000, **params):
    resp = pay(api, "4242424242424242", amount=amount, **params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _charge(api, pi):
    expanded = api.get(f"/v1/payment_intents/{pi['id']}", params={"expand[]": "latest_charge"}).json()
    return expanded["latest_charge"]


def test_full_refund_by_default(api, dialect):
    pi = _paid(api)
    resp = api.post("/v1/refunds", json={"payment_intent": pi["id"], "reason": "requested_by_customer",
                                         "metadata": {"ticket": "T-1"}})
    assert resp.status_code == 200, resp.text
    refund = resp.json()
    assert refund["object"] == "refund" and re.fullmatch(dialect.id_re("re"), refund["id"])
    assert refund["amount"] == 5000 and refund["currency"] == dialect.currency("usd")
    assert refund["status"] == "succeeded"
    assert abs(refund["created"] - dialect.now()) <= dialect.ts(60_000)
    assert refund["payment_intent"] == pi["id"] and refund["charge"] == pi["latest_charge"]
    assert refund["reason"] == "requested_by_customer" and refund["metadata"] == {"ticket": "T-1"}
    charge = _charge(api, pi)
    assert charge["amount_refunded"] == 5000 and charge["refunded"] is True
    assert charge["currency"] == dialect.currency("usd")
    assert api.get(f"/v1/refunds/{refund['id']}").json() == refund
    assert events_for(api, refund["id"], "refund.") == ["refund.created"]
    charge_events = api.get("/v1/events", params={"type": "charge.refunded", "limit": 100}).json()["data"]
    mine = [e for e in charge_events if e["data"]["object"]["id"] == pi["latest_charge"]]
    assert len(mine) == 1
    assert mine[0]["data"]["object"]["amount_refunded"] == 5000
    assert mine[0]["data"]["object"]["currency"] == dialect.currency("usd")
    assert mine[0]["data"]["previous_attributes"]["amount_refunded"] == 0
    assert_error(api.post("/v1/refunds", json={"payment_intent": pi["id"]}), 400, "charge_already_refunded")


def test_partial_refunds_then_over_refund(api):
    pi = _paid(api)
    first = api.post("/v1/refunds", data={"payment_intent": pi["id"], "amount": "1500"}).json()
    second = api.post("/v1/refunds", json={"payment_intent": pi["id"], "amount": 2000}).json()
    assert (first["amount"], second["amount"]) == (1500, 2000)
    over = api.post("/v1/refunds", json={"payment_intent": pi["id"], "amount": 1501})
    error = assert_error(over, 400, "amount_too_large", param="amount")
    assert "15.00 USD" in error["message"]
    charge = _charge(api, pi)
    assert charge["amount_refunded"] == 3500 and charge["refunded"] is False
    rest = api.post("/v1/refunds", json={"payment_intent": pi["id"]}).json()
    assert rest["amount"] == 1500
    assert _charge(api, pi)["refunded"] is True
    listed = api.get("/v1/refunds", params={"payment_intent": pi["id"]}).json()
    assert [r["id"] for r in listed["data"]] == [rest["id"], second["id"], first["id"]]
    assert listed["url"] == "/v1/refunds"


def test_partial_capture_refunds_only_what_was_captured(api):
    pi = _paid(api, capture_method="manual")
    api.post(f"/v1/payment_intents/{pi['id']}/capture", json={"amount_to_capture": 3000})
    assert_error(api.post("/v1/refunds", json={"payment_intent": pi["id"], "amount": 3001}), 400,
                 "amount_too_large")
    assert api.post("/v1/refunds", json={"payment_intent": pi["id"]}).json()["amount"] == 3000


def test_refund_by_charge_id(api):
    pi = _paid(api)
    refund = api.post("/v1/refunds", json={"charge": pi["latest_charge"], "amount": 100}).json()
    assert refund["payment_intent"] == pi["id"] and refund["amount"] == 100


def test_only_succeeded_payments_can_be_refunded(api):
    authorized = _paid(api, capture_method="manual")
    assert_error(api.post("/v1/refunds", json={"payment_intent": authorized["id"]}), 400,
                 "payment_intent_unexpected_state")
    unpaid = api.post("/v1/payment_intents", json={"amount": 1000, "currency": "usd"}).json()
    assert_error(api.post("/v1/refunds", json={"payment_intent": unpaid["id"]}), 400,
                 "payment_intent_unexpected_state")
    declined = pay(api, "4000000000000002").json()["error"]["payment_intent"]
    assert_error(api.post("/v1/refunds", json={"payment_intent": declined["id"]}), 400,
                 "payment_intent_unexpected_state")


def test_refund_parameters(api):
    pi = _paid(api)
    assert_error(api.post("/v1/refunds", json={}), 400, "parameter_missing", param="payment_intent")
    assert_error(api.post("/v1/refunds", json={"payment_intent": "pi_0000000000000000000"}), 404,
                 "resource_missing", param="payment_intent")
    assert_error(api.post("/v1/refunds", json={"payment_intent": pi["id"], "amount": 0}), 400, param="amount")
    assert_error(api.post("/v1/refunds", json={"payment_intent": pi["id"], "reason": "because"}), 400,
                 param="reason")
    assert_error(api.get("/v1/refunds/re_0000000000000000000"), 404, "resource_missing")


def test_zero_decimal_refund(api, dialect):
    pi = _paid(api, amount=800, currency="JPY")
    refund = api.post("/v1/refunds", json={"payment_intent": pi["id"], "amount": 300}).json()
    assert refund["amount"] == 300 and refund["currency"] == dialect.currency("jpy")
    error = assert_error(api.post("/v1/refunds", json={"payment_intent": pi["id"], "amount": 501}), 400,
                         "amount_too_large")
    assert "500 JPY" in error["message"]


def test_refund_metadata_update(api):
    pi = _paid(api)
    refund = api.post("/v1/refunds", json={"payment_intent": pi["id"], "amount": 100}).json()
    updated = api.post(f"/v1/refunds/{refund['id']}", json={"metadata": {"note": "goodwill"}}).json()
    assert updated["metadata"] == {"note": "goodwill"} and updated["amount"] == 100
