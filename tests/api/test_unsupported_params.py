"""Parameters paykeep refuses on purpose (API.md §9, issue 14 item 2): Stripe's Connect, Radar and Terminal
parameters and the hashes of every payment method type but `card` are a 400 `parameter_unsupported` naming
the outermost refused parameter and saying why (src/paykeep/wire/unsupported.py), never `parameter_unknown`.
Each refused request changes nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from support.assertions import assert_error
from support.cards import form_pairs
from support.payments import RETURN_URL, card, customer, pay

CONNECT = "Connect is not offered: paykeep is one merchant's own processor, with no connected accounts"
RADAR = "Radar is not offered: paykeep has no fraud-screening rules"
TERMINAL = "Terminal (card-present) is not offered: paykeep takes card-not-present payments only"
NON_CARD = "paykeep takes cards only: no other payment method type"
CHECKOUT = {"mode": "setup", "success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/no"}


def _unsupported(resp: httpx.Response, param: str, reason: str) -> dict[str, Any]:
    error = assert_error(resp, 400, "parameter_unsupported", param=param)
    assert error["message"] == f"Received unsupported parameter: {param}. {reason}", error
    return error


def _ids(api: httpx.Client, path: str, **params: Any) -> list[str]:
    resp = api.get(path, params={"limit": 100, **params})
    assert resp.status_code == 200, resp.text
    return [obj["id"] for obj in resp.json()["data"]]


def _form(api: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return api.post(path, content=urlencode(form_pairs(body)),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})


PAYMENT_INTENT = {"amount": 2500, "currency": "usd"}


@pytest.mark.parametrize(("extra", "param", "reason"), [
    ({"on_behalf_of": "acct_1032D82eZvKYlo2C"}, "on_behalf_of", CONNECT),
    ({"transfer_data": {"destination": "acct_1032D82eZvKYlo2C", "amount": 100}}, "transfer_data", CONNECT),
    ({"application_fee_amount": 123}, "application_fee_amount", CONNECT),
    ({"transfer_group": "ORDER_95"}, "transfer_group", CONNECT),
    ({"customer_account": "acct_1032D82eZvKYlo2C"}, "customer_account",
     CONNECT + " (Accounts v2: use `customer`)"),
    ({"radar_options": {"session": "rse_123"}}, "radar_options", RADAR),
    ({"payment_method_options": {"sepa_debit": {"mandate_options": {"reference_prefix": "X"}}}},
     "payment_method_options[sepa_debit]", NON_CARD),
    ({"payment_method_options": {"card_present": {"request_extended_authorization": True}}},
     "payment_method_options[card_present]", TERMINAL),
    ({"payment_method_data": {"type": "card", "ideal": {"bank": "abn_amro"}}},
     "payment_method_data[ideal]", NON_CARD),
    ({"payment_method_data": {"type": "card", "radar_options": {"session": "rse_1"}}},
     "payment_method_data[radar_options]", RADAR),
], ids=["on_behalf_of", "transfer_data", "application_fee_amount", "transfer_group", "customer_account",
        "radar_options", "pmo-sepa_debit", "pmo-card_present", "pmd-ideal", "pmd-radar_options"])
@pytest.mark.parametrize("encoding", ["json", "form"])
def test_payment_intent_create_refuses_what_paykeep_does_not_do(api, extra, param, reason, encoding):
    before = _ids(api, "/v1/payment_intents")
    body = {**PAYMENT_INTENT, "confirm": True, "return_url": RETURN_URL,
            "payment_method_data": {"type": "card", "card": card("4242424242424242")}, **extra}
    if "payment_method_data" in extra:
        body["payment_method_data"] = {**extra["payment_method_data"], "card": card("4242424242424242")}
    resp = api.post("/v1/payment_intents", json=body) if encoding == "json" else _form(
        api, "/v1/payment_intents", body)
    _unsupported(resp, param, reason)
    assert _ids(api, "/v1/payment_intents") == before


def test_the_outermost_refused_name_is_named_and_a_query_parameter_is_refused_too(api):
    before = _ids(api, "/v1/payment_intents")
    resp = api.post("/v1/payment_intents?on_behalf_of=acct_1", json=PAYMENT_INTENT)
    _unsupported(resp, "on_behalf_of", CONNECT)
    resp = _form(api, "/v1/payment_intents", {**PAYMENT_INTENT, "transfer_data": {"destination": "acct_1"}})
    error = _unsupported(resp, "transfer_data", CONNECT)
    assert "destination" not in error["param"]
    assert_error(api.get("/v1/payment_intents", params={"customer_account": "acct_1"}), 400,
                 "parameter_unsupported", param="customer_account")
    assert _ids(api, "/v1/payment_intents") == before


def test_confirm_update_and_capture_refuse_them_and_leave_the_intent_as_it_was(api):
    pi = api.post("/v1/payment_intents", json={**PAYMENT_INTENT, "capture_method": "manual"}).json()
    pm = api.post("/v1/payment_methods", json={"type": "card", "card": card("4242424242424242")}).json()
    confirm = api.post(f"/v1/payment_intents/{pi['id']}/confirm", json={
        "payment_method": pm["id"], "return_url": RETURN_URL, "radar_options": {"session": "rse_1"}})
    _unsupported(confirm, "radar_options", RADAR)
    update = api.post(f"/v1/payment_intents/{pi['id']}", json={"application_fee_amount": 10})
    _unsupported(update, "application_fee_amount", CONNECT)
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == "requires_payment_method"
    held = api.post(f"/v1/payment_intents/{pi['id']}/confirm",
                    json={"payment_method": pm["id"], "return_url": RETURN_URL}).json()
    assert held["status"] == "requires_capture", held
    capture = api.post(f"/v1/payment_intents/{pi['id']}/capture",
                       json={"transfer_data": {"amount": 100}})
    _unsupported(capture, "transfer_data", CONNECT)
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == "requires_capture"


def test_refund_refuses_refund_application_fee_and_refunds_nothing(api):
    paid = pay(api, "4242424242424242")
    assert paid.status_code == 200, paid.text
    pi = paid.json()
    for extra, param in (({"refund_application_fee": True}, "refund_application_fee"),
                         ({"reverse_transfer": True}, "reverse_transfer")):
        resp = api.post("/v1/refunds", json={"payment_intent": pi["id"], "amount": 100, **extra})
        _unsupported(resp, param, CONNECT)
    assert _ids(api, "/v1/refunds", payment_intent=pi["id"]) == []
    charge = api.get(f"/v1/payment_intents/{pi['id']}", params={"expand[]": "latest_charge"}).json()
    assert charge["latest_charge"]["amount_refunded"] == 0


def test_checkout_session_refuses_other_payment_method_types_and_connect(api):
    before = _ids(api, "/v1/checkout/sessions")
    resp = api.post("/v1/checkout/sessions", json={
        **CHECKOUT, "payment_method_options": {"us_bank_account": {"verification_method": "instant"}}})
    _unsupported(resp, "payment_method_options[us_bank_account]", NON_CARD)
    resp = _form(api, "/v1/checkout/sessions", {**CHECKOUT, "setup_intent_data": {"on_behalf_of": "acct_1"}})
    _unsupported(resp, "setup_intent_data[on_behalf_of]", CONNECT)
    assert _ids(api, "/v1/checkout/sessions") == before


def test_setup_intent_and_payment_method_refuse_them(api):
    cus = customer(api)
    before = _ids(api, "/v1/setup_intents")
    resp = api.post("/v1/setup_intents", json={"customer": cus, "on_behalf_of": "acct_1"})
    _unsupported(resp, "on_behalf_of", CONNECT)
    resp = api.post("/v1/setup_intents", json={
        "customer": cus, "payment_method_options": {"acss_debit": {"currency": "cad"}}})
    _unsupported(resp, "payment_method_options[acss_debit]", NON_CARD)
    assert _ids(api, "/v1/setup_intents") == before

    pms = _ids(api, "/v1/payment_methods", customer=cus)
    resp = api.post("/v1/payment_methods",
                    json={"type": "card", "sepa_debit": {"iban": "DE89370400440532013000"}})
    _unsupported(resp, "sepa_debit", NON_CARD)
    pm = api.post("/v1/payment_methods", json={"type": "card", "card": card("4242424242424242")}).json()
    update = api.post(f"/v1/payment_methods/{pm['id']}",
                      json={"us_bank_account": {"account_type": "savings"}})
    _unsupported(update, "us_bank_account", NON_CARD)
    _unsupported(api.post(f"/v1/payment_methods/{pm['id']}/attach",
                          json={"customer": cus, "customer_account": "acct_1"}),
                 "customer_account", CONNECT + " (Accounts v2: use `customer`)")
    assert _ids(api, "/v1/payment_methods", customer=cus) == pms


def test_unknown_parameters_stay_unknown_and_accepted_ones_are_accepted(api):
    # a name the table does not know, beside a refused one's neighbours
    assert_error(api.post("/v1/payment_intents", json={**PAYMENT_INTENT, "surprise": 1}), 400,
                 "parameter_unknown", param="surprise")
    assert_error(api.post("/v1/payment_intents", json={
        **PAYMENT_INTENT, "payment_method_options": {"card": {"colour": "red"}}}), 400,
        "parameter_unknown", param="payment_method_options[card][colour]")
    # metadata keys are the merchant's: a key named like a refused parameter is not a parameter
    ok = api.post("/v1/payment_intents", json={**PAYMENT_INTENT, "metadata": {"on_behalf_of": "x"}})
    assert ok.status_code == 200, ok.text
    assert ok.json()["metadata"] == {"on_behalf_of": "x"}
    paid = api.post("/v1/checkout/sessions", json={
        **CHECKOUT, "mode": "payment", "payment_intent_data": {"metadata": {"on_behalf_of": "x"}},
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "x"}},
                        "quantity": 1}]})
    assert paid.status_code == 200, paid.text
    intent = api.get(f"/v1/payment_intents/{paid.json()['payment_intent']}").json()
    assert intent["metadata"] == {"on_behalf_of": "x"}
    # `card` is taken where the other types are refused
    ok = api.post("/v1/payment_intents", json={
        **PAYMENT_INTENT, "payment_method_options": {"card": {"request_three_d_secure": "any"}}})
    assert ok.status_code == 200, ok.text


def test_a_refused_request_is_not_stored_for_its_idempotency_key(api):
    key = "unsupported-" + customer(api)
    refused = api.post("/v1/payment_intents", json={**PAYMENT_INTENT, "on_behalf_of": "acct_1"},
                       headers={"Idempotency-Key": key})
    _unsupported(refused, "on_behalf_of", CONNECT)
    ok = api.post("/v1/payment_intents", json=PAYMENT_INTENT, headers={"Idempotency-Key": key})
    assert ok.status_code == 200, ok.text
