"""GET /v1/customers/{id}/payment_methods/{pm} (API.md §9): one of the customer's cards, or 404."""

from __future__ import annotations

from support.assertions import assert_error
from support.payments import customer, save_card


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
