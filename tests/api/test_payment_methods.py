"""PaymentMethods over HTTP: create (card form errors name the field), retrieve, update, attach/detach rules,
lists, and deleting a customer detaches its cards."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from support.assertions import assert_error
from support.cards import card, post, standalone
from support.dialects import Dialect


def customer(api: httpx.Client) -> str:
    return str(api.post("/v1/customers", data={"email": "pm@example.com"}).json()["id"])


def create_pm(api: httpx.Client, number: str = "4242424242424242", encoding: str = "form",
              **card_overrides: Any) -> httpx.Response:
    body = {"type": "card", "card": card(number, name=None, **card_overrides),
            "billing_details": {"name": "Ada Lovelace", "address": {"postal_code": "94107", "country": "US"}}}
    return post(api, "/v1/payment_methods", body, encoding)


def events_about(api: httpx.Client, object_id: str) -> list[dict[str, Any]]:
    data = api.get("/v1/events", params={"type": "payment_method.*", "limit": 100}).json()["data"]
    return [e for e in reversed(data) if e["data"]["object"]["id"] == object_id]


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_create_shows_the_card_but_never_its_number(api: httpx.Client, dialect: Dialect,
                                                    encoding: str) -> None:
    resp = create_pm(api, "5555555555554444", encoding, cvc="947")
    assert resp.status_code == 200, resp.text
    pm = resp.json()
    assert re.fullmatch(dialect.id_re("pm"), pm["id"]), pm["id"]
    assert pm["object"] == "payment_method" and pm["type"] == "card"
    assert abs(pm["created"] - dialect.now()) <= dialect.ts(60_000)
    assert pm["customer"] is None and pm["livemode"] is False
    assert pm["billing_details"]["name"] == "Ada Lovelace"
    assert pm["billing_details"]["address"]["postal_code"] == "94107"
    assert pm["card"] == {
        "brand": "mastercard", "last4": "4444", "exp_month": 4, "exp_year": pm["card"]["exp_year"],
        "fingerprint": pm["card"]["fingerprint"], "funding": "credit", "country": "US",
        "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
    }
    assert len(pm["card"]["fingerprint"]) == 16 and pm["card"]["fingerprint"].isalnum()
    assert "5555555555554444" not in resp.text and not standalone("947").search(resp.text)
    assert api.get(f"/v1/payment_methods/{pm['id']}").json() == pm


def test_fingerprint_is_equal_for_equal_numbers(api: httpx.Client) -> None:
    a, b, c = (create_pm(api, n).json() for n in ("4111111111111111", "4111111111111111", "4242424242424242"))
    assert a["card"]["fingerprint"] == b["card"]["fingerprint"] != c["card"]["fingerprint"]
    assert a["id"] != b["id"]


def test_no_cvc_means_no_cvc_check(api: httpx.Client) -> None:
    pm = create_pm(api, cvc=None).json()
    assert pm["card"]["checks"]["cvc_check"] is None


@pytest.mark.parametrize(("overrides", "code", "param"), [
    ({"number": "4242424242424241"}, "incorrect_number", "number"),
    ({"number": "42424242"}, "incorrect_number", "number"),
    ({"number": "4242 4242 4242 424x"}, "incorrect_number", "number"),
    ({"exp_month": "13"}, "invalid_expiry_month", "exp_month"),
    ({"exp_month": "0"}, "invalid_expiry_month", "exp_month"),
    ({"exp_year": "2020"}, "invalid_expiry_year", "exp_year"),
    ({"exp_year": "20"}, "invalid_expiry_year", "exp_year"),
    ({"cvc": "12"}, "invalid_cvc", "cvc"),
    ({"number": "378282246310005", "cvc": "123"}, "invalid_cvc", "cvc"),
])
def test_card_form_errors_are_402s_naming_the_field(api: httpx.Client, overrides: dict[str, str], code: str,
                                                    param: str) -> None:
    overrides = dict(overrides)  # the parameter's own dict is shared by the run in each dialect
    number = overrides.pop("number", "4242424242424242")
    error = assert_error(create_pm(api, number, **overrides), 402, code, param=param, type_="card_error")
    assert number not in error["message"]


def test_missing_card_fields_are_400s(api: httpx.Client) -> None:
    assert_error(api.post("/v1/payment_methods", data={"type": "card"}), 400, "parameter_missing",
                 param="card")
    assert_error(api.post("/v1/payment_methods", data={"type": "card", "card[number]": "4242424242424242"}),
                 400, "parameter_missing", param="card[exp_month]")
    assert_error(api.post("/v1/payment_methods", data={"type": "alipay"}), 400, param="type")


def test_a_publishable_key_may_create_but_not_read(server: Any) -> None:
    with server.client(server.pk) as public:
        resp = create_pm(public)
        assert resp.status_code == 200, resp.text
        assert_error(public.get(f"/v1/payment_methods/{resp.json()['id']}"), 403, "secret_key_required")
        assert_error(public.get("/v1/payment_methods"), 403, "secret_key_required")


def test_update_billing_details_metadata_and_expiry(api: httpx.Client) -> None:
    pm = create_pm(api).json()
    resp = api.post(f"/v1/payment_methods/{pm['id']}", data={
        "billing_details[email]": "ada@example.com", "metadata[tier]": "gold",
        "card[exp_month]": "12", "card[exp_year]": str(pm["card"]["exp_year"] + 1)})
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert updated["billing_details"]["email"] == "ada@example.com"
    assert updated["billing_details"]["name"] == "Ada Lovelace"  # untouched fields stay
    assert updated["metadata"] == {"tier": "gold"}
    assert (updated["card"]["exp_month"], updated["card"]["exp_year"]) == (12, pm["card"]["exp_year"] + 1)
    event = events_about(api, pm["id"])[-1]
    assert event["type"] == "payment_method.updated"
    assert event["data"]["previous_attributes"]["metadata"] == {}
    assert_error(api.post(f"/v1/payment_methods/{pm['id']}", data={"card[exp_month]": "13"}), 402,
                 "invalid_expiry_month", param="exp_month", type_="card_error")
    assert_error(api.post(f"/v1/payment_methods/{pm['id']}", data={"card[number]": "4111111111111111"}), 400,
                 "parameter_unknown", param="card[number]")


def test_attach_and_detach_rules(api: httpx.Client) -> None:
    cus, other = customer(api), customer(api)
    pm = create_pm(api).json()
    attached = api.post(f"/v1/payment_methods/{pm['id']}/attach", data={"customer": cus}).json()
    assert attached["customer"] == cus
    again = api.post(f"/v1/payment_methods/{pm['id']}/attach", data={"customer": cus})
    assert again.status_code == 200  # attaching to the same customer is a no-op
    assert_error(api.post(f"/v1/payment_methods/{pm['id']}/attach", data={"customer": other}), 400,
                 "payment_method_unexpected_state")
    detached = api.post(f"/v1/payment_methods/{pm['id']}/detach").json()
    assert detached["customer"] is None
    assert_error(api.post(f"/v1/payment_methods/{pm['id']}/detach"), 400, "payment_method_unexpected_state")
    assert_error(api.post(f"/v1/payment_methods/{pm['id']}/attach", data={"customer": cus}), 400,
                 "payment_method_unexpected_state")
    # a detached card can't be used either
    resp = api.post("/v1/setup_intents", data={"confirm": "true", "customer": cus,
                                               "payment_method": pm["id"]})
    assert_error(resp, 400, "payment_method_unexpected_state", param="payment_method")
    types = [e["type"] for e in events_about(api, pm["id"])]
    assert types == ["payment_method.attached", "payment_method.detached"]
    assert events_about(api, pm["id"])[-1]["data"]["previous_attributes"] == {"customer": cus}


def test_attach_needs_a_live_customer(api: httpx.Client) -> None:
    pm = create_pm(api).json()
    attach = f"/v1/payment_methods/{pm['id']}/attach"
    assert_error(api.post(attach), 400, "parameter_missing", param="customer")
    assert_error(api.post(attach, data={"customer": "cus_0000000000000000000"}), 404, "resource_missing",
                 param="customer")
    gone = customer(api)
    api.delete(f"/v1/customers/{gone}")
    assert_error(api.post(f"/v1/payment_methods/{pm['id']}/attach", data={"customer": gone}), 404,
                 "resource_missing", param="customer")
    assert_error(api.get("/v1/payment_methods/pm_0000000000000000000"), 404, "resource_missing")


def test_list_by_customer(api: httpx.Client) -> None:
    cus = customer(api)
    ids = []
    for number in ("4242424242424242", "5555555555554444", "378282246310005"):
        pm = create_pm(api, number).json()
        api.post(f"/v1/payment_methods/{pm['id']}/attach", data={"customer": cus})
        ids.append(pm["id"])
    create_pm(api)  # not attached: not listed
    listed = api.get(f"/v1/customers/{cus}/payment_methods", params={"type": "card"}).json()
    assert listed["object"] == "list" and listed["url"] == f"/v1/customers/{cus}/payment_methods"
    assert [pm["id"] for pm in listed["data"]] == ids[::-1]
    page = api.get(f"/v1/customers/{cus}/payment_methods", params={"limit": 2}).json()
    assert page["has_more"] is True and len(page["data"]) == 2
    rest = api.get(f"/v1/customers/{cus}/payment_methods", params={"starting_after": page["data"][-1]["id"]})
    assert [pm["id"] for pm in rest.json()["data"]] == [ids[0]]
    same = api.get("/v1/payment_methods", params={"customer": cus, "type": "card"}).json()
    assert [pm["id"] for pm in same["data"]] == ids[::-1]
    assert api.get("/v1/payment_methods", params={"customer": cus, "type": "alipay"}).json()["data"] == []
    assert_error(api.get("/v1/customers/cus_0000000000000000000/payment_methods"), 404, "resource_missing")
    expanded = api.get(f"/v1/customers/{cus}/payment_methods", params={"expand[]": "data.customer"}).json()
    assert expanded["data"][0]["customer"]["id"] == cus


def test_deleting_a_customer_detaches_its_payment_methods(api: httpx.Client) -> None:
    cus = customer(api)
    resp = api.post("/v1/setup_intents", json={
        "confirm": True, "customer": cus, "return_url": "https://shop.example/back",
        "payment_method_data": {"type": "card", "card": card("4242424242424242")}})
    pm_id = resp.json()["payment_method"]
    assert api.get(f"/v1/payment_methods/{pm_id}").json()["customer"] == cus
    assert api.delete(f"/v1/customers/{cus}").json()["deleted"] is True
    assert api.get(f"/v1/payment_methods/{pm_id}").json()["customer"] is None
    assert api.get(f"/v1/customers/{cus}/payment_methods").json()["data"] == []
    assert [e["type"] for e in events_about(api, pm_id)][-1] == "payment_method.detached"
    other = customer(api)
    resp = api.post("/v1/setup_intents", data={"confirm": "true", "customer": other, "payment_method": pm_id})
    assert_error(resp, 400, "payment_method_unexpected_state", param="payment_method")


def test_setup_with_payment_method_attaches_it(api: httpx.Client) -> None:
    cus = customer(api)
    pm = create_pm(api, "4000002500003155").json()
    seti = api.post("/v1/setup_intents", data={"confirm": "true", "customer": cus, "payment_method": pm["id"],
                                               "return_url": "https://shop.example/back"}).json()
    assert seti["status"] == "requires_action"
    assert api.get(f"/v1/payment_methods/{pm['id']}").json()["customer"] is None
