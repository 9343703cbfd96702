"""`error_on_requires_action` (API.md §9): a card that asks for 3-D Secure declines the attempt instead of
waiting in requires_action, as Stripe does for integrations that cannot bring the cardholder back."""

from __future__ import annotations

from support.assertions import assert_error
from support.payments import events_for, pay


def test_a_challenge_becomes_a_decline(api):
    resp = pay(api, "4000002760003184", error_on_requires_action=True)
    error = assert_error(resp, 402, "authentication_required", type_="card_error")
    assert error["decline_code"] == "authentication_required"
    intent = error["payment_intent"]
    assert intent["status"] == "requires_payment_method" and intent["next_action"] is None
    assert intent["last_payment_error"]["code"] == "authentication_required"
    assert events_for(api, intent["id"]) == ["payment_intent.created", "payment_intent.payment_failed"]
    charges = api.get("/v1/charges", params={"payment_intent": intent["id"]}).json()["data"]
    assert charges == []


def test_a_frictionless_card_still_pays_and_without_it_the_challenge_waits(api):
    assert pay(api, "4242424242424242", error_on_requires_action=True).json()["status"] == "succeeded"
    assert pay(api, "4000002760003184").json()["status"] == "requires_action"


def test_only_with_confirm(api):
    before = len(api.get("/v1/payment_intents", params={"limit": 100}).json()["data"])
    assert_error(api.post("/v1/payment_intents", data={"amount": "100", "currency": "usd",
                                                       "error_on_requires_action": "true"}), 400,
                 param="error_on_requires_action")
    assert_error(api.post("/v1/payment_intents", data={"amount": "100", "currency": "usd", "confirm": "true",
                                                       "error_on_requires_action": "maybe"}), 400,
                 param="error_on_requires_action")
    assert len(api.get("/v1/payment_intents", params={"limit": 100}).json()["data"]) == before
