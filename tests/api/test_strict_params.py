"""Hostile input (API.md §12, issue 17 findings 6 and 9): strict integers and booleans, arrays capped and
de-duplicated. Each refused request must change nothing."""

from __future__ import annotations

import pytest

from support.assertions import assert_error
from support.payments import card, pay


def _paid(api, amount=5000):
    resp = pay(api, "4242424242424242", amount=amount)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.mark.parametrize("amount", [True, 1.5, 100.0, "1e3", "1.0", " 4", "0x10"])
def test_refund_amount_must_be_an_integer_and_nothing_is_refunded(api, amount):
    pi = _paid(api)
    resp = api.post("/v1/refunds", json={"payment_intent": pi["id"], "amount": amount})
    assert_error(resp, 400, "parameter_invalid_integer", param="amount")
    assert api.get("/v1/refunds", params={"payment_intent": pi["id"]}).json()["data"] == []
    charge = api.get(f"/v1/payment_intents/{pi['id']}", params={"expand[]": "latest_charge"}).json()
    assert charge["latest_charge"]["amount_refunded"] == 0


def test_digit_strings_are_integers_in_json_and_forms(api):
    pi = _paid(api)
    by_json = api.post("/v1/refunds", json={"payment_intent": pi["id"], "amount": "100"})
    by_form = api.post("/v1/refunds", data={"payment_intent": pi["id"], "amount": "0200"})
    assert (by_json.json()["amount"], by_form.json()["amount"]) == (100, 200)
    assert_error(api.post("/v1/refunds", data={"payment_intent": pi["id"], "amount": "-5"}), 400)


@pytest.mark.parametrize("amount", [True, 2500.0, "2.5e3"])
def test_payment_intent_amount_refuses_booleans_and_floats(api, amount):
    before = api.get("/v1/payment_intents", params={"limit": 1}).json()["data"]
    resp = api.post("/v1/payment_intents", json={"amount": amount, "currency": "usd"})
    assert_error(resp, 400, "parameter_invalid_integer", param="amount")
    assert api.get("/v1/payment_intents", params={"limit": 1}).json()["data"] == before


@pytest.mark.parametrize("confirm", ["yes", 1, "1", "on", "True"])
def test_booleans_are_true_or_false_only(api, confirm):
    before = api.get("/v1/payment_intents", params={"limit": 1}).json()["data"]
    body = {"amount": 2500, "currency": "usd", "confirm": confirm,
            "payment_method_data": {"type": "card", "card": card("4242424242424242")}}
    resp = api.post("/v1/payment_intents", json=body)
    assert_error(resp, 400, "parameter_invalid_boolean", param="confirm")
    assert api.get("/v1/payment_intents", params={"limit": 1}).json()["data"] == before


def test_boolean_strings_and_zero_padded_card_months_are_accepted(api):
    body = {"amount": "2500", "currency": "usd", "confirm": "true", "return_url": "https://shop.example/r",
            "payment_method_data": {"type": "card", "card": card("4242424242424242", exp_month="04")}}
    resp = api.post("/v1/payment_intents", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "succeeded" and resp.json()["amount"] == 2500
    form = api.post("/v1/payment_intents", data={"amount": "300", "currency": "usd", "confirm": "false"})
    assert form.status_code == 200, form.text
    assert form.json()["status"] == "requires_payment_method"
    bad_month = card("4242424242424242", exp_month=True)
    pm = api.post("/v1/payment_methods", json={"type": "card", "card": bad_month})
    assert_error(pm, 400, "parameter_invalid_integer", param="card[exp_month]")
    assert_error(api.get("/v1/events", params={"delivery_success": "yes"}), 400, "parameter_invalid_boolean",
                 param="delivery_success")
    assert_error(api.get("/v1/customers", params={"limit": "1e1"}), 400, "parameter_invalid_integer",
                 param="limit")


def test_payment_method_types_are_deduplicated_and_capped(api):
    resp = api.post("/v1/setup_intents", json={"payment_method_types": ["card", "card", "card"]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["payment_method_types"] == ["card"]
    assert api.get(f"/v1/setup_intents/{resp.json()['id']}").json()["payment_method_types"] == ["card"]
    before = api.get("/v1/setup_intents", params={"limit": 1}).json()["data"]
    many = api.post("/v1/setup_intents", data={"payment_method_types[]": ["card"] * 101})
    error = assert_error(many, 400, param="payment_method_types")
    assert "at most 100" in error["message"]
    assert api.get("/v1/setup_intents", params={"limit": 1}).json()["data"] == before


def test_expand_and_enabled_events_are_deduplicated_and_capped(api):
    cus = api.post("/v1/customers", json={"email": "dup@example.com"}).json()
    pm = api.post("/v1/payment_methods", json={"type": "card", "card": card("4242424242424242")}).json()
    api.post(f"/v1/payment_methods/{pm['id']}/attach", json={"customer": cus["id"]})
    got = api.get(f"/v1/payment_methods/{pm['id']}", params={"expand[]": ["customer", "customer"]})
    assert got.status_code == 200, got.text
    assert got.json()["customer"]["id"] == cus["id"]
    assert_error(api.get(f"/v1/payment_methods/{pm['id']}", params={"expand[]": ["customer"] * 101}), 400,
                 param="expand")
    we = api.post("/v1/webhook_endpoints", json={"url": "https://hooks.example/x",
                                                   "enabled_events": ["*", "*", "customer.created"]})
    assert we.status_code == 200, we.text
    assert we.json()["enabled_events"] == ["*", "customer.created"]
    assert_error(api.post("/v1/webhook_endpoints", json={"url": "https://hooks.example/y",
                                                         "enabled_events": ["*"] * 101}), 400,
                 param="enabled_events")
