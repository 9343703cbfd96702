"""GET /v1/customers/{id}/payment_methods/{pm} (API.md §9): one of the customer's cards, or 404."""

from __future__ import annotations

from support.assertions import assert_error
from support.payments import card, customer, events_for, save_card


def test_retrieve_a_customers_card(api):
    cus, pm_id = save_card(api, "4242424242424242")
    resp = api.get(f"/v1/customers/{cus}/payment_methods/{pm_id}")
    assert resp.status_code == 200, resp.text
    pm = resp.json()
    assert pm == api.get(f"/v1/payment_methods/{pm_id}").json()
    assert pm["customer"] == cus and pm["card"]["last4"] == "4242"
    expanded = api.get(f"/v1/customers/{cus}/payment_methods/{pm_id}", params={"expand[]": "customer"}).json()
    assert expanded["customer"]["id"] == cus


def test_another_customers_card_or_an_unknown_one_is_404(api):
    cus, pm_id = save_card(api, "4242424242424242")
    other = customer(api, "other@example.com")
    error = assert_error(api.get(f"/v1/customers/{other}/payment_methods/{pm_id}"), 404, "resource_missing")
    assert pm_id in error["message"]
    assert_error(api.get(f"/v1/customers/{cus}/payment_methods/pm_0000000000000000000"), 404,
                 "resource_missing")
    assert_error(api.get(f"/v1/customers/cus_0000000000000000000/payment_methods/{pm_id}"), 404,
                 "resource_missing")
    detached = api.post(f"/v1/payment_methods/{pm_id}/detach")
    assert detached.status_code == 200, detached.text
    assert_error(api.get(f"/v1/customers/{cus}/payment_methods/{pm_id}"), 404, "resource_missing")


def test_create_with_payment_method_attaches_it_and_default_must_be_the_customers(api):
    pm = api.post("/v1/payment_methods", json={"type": "card", "card": card("4242424242424242")}).json()
    resp = api.post("/v1/customers", data={"email": "new@example.com", "payment_method": pm["id"],
                                           "invoice_settings[default_payment_method]": pm["id"]})
    assert resp.status_code == 200, resp.text
    cus = resp.json()
    assert cus["invoice_settings"]["default_payment_method"] == pm["id"]
    assert api.get(f"/v1/payment_methods/{pm['id']}").json()["customer"] == cus["id"]
    assert events_for(api, pm["id"], "payment_method.") == ["payment_method.attached"]
    listed = api.get(f"/v1/customers/{cus['id']}/payment_methods").json()["data"]
    assert [p["id"] for p in listed] == [pm["id"]]
    with_test_card = api.post("/v1/customers", data={"payment_method": "pm_card_visa"}).json()
    [fresh] = api.get(f"/v1/customers/{with_test_card['id']}/payment_methods").json()["data"]
    assert fresh["card"]["last4"] == "4242" and fresh["id"] != "pm_card_visa"


def test_a_default_payment_method_of_someone_else_is_refused(api):
    cus, pm_id = save_card(api, "4242424242424242")
    other = customer(api, "other@example.com")
    param = "invoice_settings[default_payment_method]"
    assert_error(api.post(f"/v1/customers/{other}", data={param: pm_id}), 400, param=param)
    assert api.get(f"/v1/customers/{other}").json()["invoice_settings"]["default_payment_method"] is None
    assert_error(api.post(f"/v1/customers/{other}", data={param: "pm_0000000000000000000"}), 404,
                 "resource_missing", param=param)
    assert_error(api.post("/v1/customers", data={"payment_method": "pm_0000000000000000000"}), 404,
                 "resource_missing", param="payment_method")
    ok = api.post(f"/v1/customers/{cus}", data={param: pm_id})
    assert ok.status_code == 200 and ok.json()["invoice_settings"]["default_payment_method"] == pm_id
