"""Charges over real HTTP (API.md §9): list, retrieve, update, capture, the complete object and its events."""

from __future__ import annotations

import re

from support.assertions import assert_error
from support.payments import answer_challenge, customer, next_action_url, pay


def _paid(api, number="4242424242424242", **params):
    resp = pay(api, number, **params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _events(api, charge_id, event_type):
    listed = api.get("/v1/events", params={"type": event_type, "limit": 100}).json()["data"]
    return [e for e in listed if e["data"]["object"]["id"] == charge_id]


def test_retrieve_the_latest_charge_with_stripe_fields(api, dialect):
    cus = customer(api)
    pi = _paid(api, customer=cus, description="order 42", receipt_email="jenny@example.com",
               statement_descriptor_suffix="ORDER42",
               shipping={"name": "Jenny Rosen", "address": {"line1": "1 Main St", "country": "US"}})
    resp = api.get(f"/v1/charges/{pi['latest_charge']}")
    assert resp.status_code == 200, resp.text
    charge = resp.json()
    assert re.fullmatch(dialect.id_re("ch"), charge["id"]) and charge["object"] == "charge"
    assert charge["payment_intent"] == pi["id"] and charge["customer"] == cus
    assert charge["payment_method"] == pi["payment_method"]
    assert (charge["amount"], charge["amount_captured"], charge["amount_refunded"]) == (2500, 2500, 0)
    assert charge["currency"] == dialect.currency("usd") and charge["paid"] and charge["captured"]
    assert charge["status"] == "succeeded" and charge["refunded"] is False and charge["disputed"] is False
    assert abs(charge["created"] - dialect.now()) <= dialect.ts(60_000)
    assert charge["description"] == "order 42" and charge["receipt_email"] == "jenny@example.com"
    assert charge["shipping"]["name"] == "Jenny Rosen"
    assert charge["statement_descriptor_suffix"] == "ORDER42"
    assert charge["calculated_statement_descriptor"] == "PAYKEEP* ORDER42"
    assert set(charge["billing_details"]) == {"address", "email", "name", "phone"}
    assert charge["outcome"]["type"] == "authorized" and charge["outcome"]["seller_message"]
    assert charge["outcome"]["network_status"] == "approved_by_network"
    card = charge["payment_method_details"]["card"]
    assert card["last4"] == "4242" and card["brand"] == "visa" and card["network"] == "visa"
    assert card["checks"]["cvc_check"] == "pass" and card["three_d_secure"] is None
    for connect_or_radar in ("application", "application_fee", "on_behalf_of", "transfer_data", "review",
                             "failure_code", "failure_message", "balance_transaction"):
        assert charge[connect_or_radar] is None
    assert charge["fraud_details"] == {}
    [succeeded] = _events(api, charge["id"], "charge.succeeded")
    assert succeeded["data"]["object"]["amount_captured"] == 2500


def test_three_d_secure_result_on_the_charge(api):
    pi = pay(api, "4000002500003155").json()
    assert pi["status"] == "requires_action"
    answer_challenge(next_action_url(pi))
    done = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert done["status"] == "succeeded", done
    card = api.get(f"/v1/charges/{done['latest_charge']}").json()["payment_method_details"]["card"]
    assert card["three_d_secure"]["result"] == "authenticated"
    assert card["three_d_secure"]["authentication_flow"] == "challenge"


def test_list_filters_by_customer_and_payment_intent_newest_first(api):
    cus = customer(api)
    first, second = _paid(api, customer=cus), _paid(api, customer=cus)
    other = _paid(api)
    listed = api.get("/v1/charges", params={"customer": cus}).json()
    assert listed["object"] == "list" and listed["url"] == "/v1/charges"
    assert [c["id"] for c in listed["data"]] == [second["latest_charge"], first["latest_charge"]]
    by_intent = api.get("/v1/charges", params={"payment_intent": other["id"]}).json()["data"]
    assert [c["id"] for c in by_intent] == [other["latest_charge"]]
    page = api.get("/v1/charges", params={"customer": cus, "limit": 1}).json()
    assert page["has_more"] is True and page["data"][0]["id"] == second["latest_charge"]
    rest = api.get("/v1/charges", params={"customer": cus, "starting_after": second["latest_charge"]}).json()
    assert [c["id"] for c in rest["data"]] == [first["latest_charge"]] and rest["has_more"] is False
    everything = [c["id"] for c in api.get("/v1/charges", params={"limit": 100}).json()["data"]]
    assert {first["latest_charge"], second["latest_charge"], other["latest_charge"]} <= set(everything)


def test_update_sets_description_metadata_and_a_customer_once(api):
    pi = _paid(api)
    charge_id = pi["latest_charge"]
    cus = customer(api)
    resp = api.post(f"/v1/charges/{charge_id}", data={"description": "gift", "metadata[order]": "42",
                                                      "customer": cus, "receipt_email": "a@example.com"})
    assert resp.status_code == 200, resp.text
    charge = resp.json()
    assert (charge["description"], charge["metadata"], charge["customer"]) == ("gift", {"order": "42"}, cus)
    assert api.get(f"/v1/charges/{charge_id}").json() == charge
    [updated] = _events(api, charge_id, "charge.updated")
    assert updated["data"]["previous_attributes"]["description"] is None
    assert updated["data"]["previous_attributes"]["metadata"] == {}
    other = customer(api, "other@example.com")
    assert_error(api.post(f"/v1/charges/{charge_id}", data={"customer": other}), 400, param="customer")
    assert api.get(f"/v1/charges/{charge_id}").json()["customer"] == cus
    # nothing changed: no second event
    assert api.post(f"/v1/charges/{charge_id}", data={"description": "gift"}).status_code == 200
    assert len(_events(api, charge_id, "charge.updated")) == 1


def test_capture_a_held_charge_in_part(api):
    held = _paid(api, capture_method="manual")
    assert held["status"] == "requires_capture"
    charge_id = held["latest_charge"]
    assert api.get(f"/v1/charges/{charge_id}").json()["captured"] is False
    assert_error(api.post(f"/v1/charges/{charge_id}/capture", data={"amount": "9999"}), 400,
                 "amount_too_large", param="amount")
    resp = api.post(f"/v1/charges/{charge_id}/capture", data={"amount": "1500",
                                                              "statement_descriptor_suffix": "PART"})
    assert resp.status_code == 200, resp.text
    charge = resp.json()
    assert charge["captured"] is True and charge["amount_captured"] == 1500
    assert charge["statement_descriptor_suffix"] == "PART"
    intent = api.get(f"/v1/payment_intents/{held['id']}").json()
    assert intent["status"] == "succeeded" and intent["amount_received"] == 1500
    [captured] = _events(api, charge_id, "charge.captured")
    assert captured["data"]["object"]["amount_captured"] == 1500
    assert captured["data"]["previous_attributes"]["captured"] is False
    assert_error(api.post(f"/v1/charges/{charge_id}/capture"), 400, "charge_already_captured")


def test_capturing_the_intent_emits_charge_captured(api):
    held = _paid(api, capture_method="manual")
    assert api.post(f"/v1/payment_intents/{held['id']}/capture").status_code == 200
    [captured] = _events(api, held["latest_charge"], "charge.captured")
    assert captured["data"]["object"]["amount_captured"] == 2500


def test_errors(api):
    assert_error(api.get("/v1/charges/ch_missing"), 404, "resource_missing", param="id")
    assert_error(api.post("/v1/charges/ch_missing", data={"description": "x"}), 404, "resource_missing")
    assert_error(api.post("/v1/charges/ch_missing/capture"), 404, "resource_missing")
    assert_error(api.get("/v1/charges", params={"limit": "0"}), 400, param="limit")
    assert_error(api.get("/v1/charges", params={"starting_after": "ch_missing"}), 404, "resource_missing",
                 param="starting_after")
    paid = _paid(api)
    assert_error(api.post(f"/v1/charges/{paid['latest_charge']}", data={"customer": "cus_missing"}), 404,
                 "resource_missing", param="customer")
    assert_error(api.post(f"/v1/charges/{paid['latest_charge']}", data={"amount": "5"}), 400,
                 param="amount")
