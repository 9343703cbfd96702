"""`automatic_payment_methods` (API.md §9, Stripe's current quick-starts): cards only, stored and returned."""

from __future__ import annotations

import pytest

from support.assertions import assert_error
from support.payments import RETURN_URL, card


@pytest.mark.parametrize("path", ["/v1/payment_intents", "/v1/setup_intents"])
def test_enabled_is_returned_and_cards_are_the_methods(api, path):
    amount = {"amount": 1099, "currency": "usd"} if "payment" in path else {}
    resp = api.post(path, data={**amount, "automatic_payment_methods[enabled]": "true"})
    assert resp.status_code == 200, resp.text
    intent = resp.json()
    assert intent["automatic_payment_methods"] == {"allow_redirects": "always", "enabled": True}
    assert intent["payment_method_types"] == ["card"]
    assert api.get(f"{path}/{intent['id']}").json()["automatic_payment_methods"] == \
        intent["automatic_payment_methods"]
    never = api.post(path, data={**amount, "automatic_payment_methods[enabled]": "true",
                                 "automatic_payment_methods[allow_redirects]": "never"}).json()
    assert never["automatic_payment_methods"] == {"allow_redirects": "never", "enabled": True}
    plain = api.post(path, data=amount).json()
    assert plain["automatic_payment_methods"] is None


def test_a_quick_start_payment_confirms_with_a_card(api):
    resp = api.post("/v1/payment_intents", json={
        "amount": 1099, "currency": "usd", "automatic_payment_methods": {"enabled": True}, "confirm": True,
        "return_url": RETURN_URL, "payment_method_data": {"type": "card", "card": card("4242424242424242")}})
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "succeeded"


@pytest.mark.parametrize("path", ["/v1/payment_intents", "/v1/setup_intents"])
def test_not_with_payment_method_types_and_enabled_is_required(api, path):
    amount = {"amount": 1099, "currency": "usd"} if "payment" in path else {}
    before = len(api.get(path, params={"limit": 100}).json()["data"])
    assert_error(api.post(path, data={**amount, "automatic_payment_methods[enabled]": "true",
                                      "payment_method_types[]": "card"}), 400,
                 param="automatic_payment_methods")
    assert_error(api.post(path, data={**amount, "automatic_payment_methods[allow_redirects]": "never"}),
                 400, "parameter_missing", param="automatic_payment_methods[enabled]")
    assert_error(api.post(path, data={**amount, "automatic_payment_methods[enabled]": "yes"}), 400,
                 param="automatic_payment_methods[enabled]")
    assert len(api.get(path, params={"limit": 100}).json()["data"]) == before
