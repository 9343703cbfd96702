"""Prices over real HTTP (issue 20): POST/GET /v1/prices, GET/POST /v1/prices/{id}, one-time prices of a
product (or of a new one from product_data), lookup keys, the list filters, search, the price.* events, and
bad input; recurring and tiered prices are refused with parameter_unsupported. Both dialects."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from support.assertions import assert_error


def _tag() -> str:
    return uuid.uuid4().hex[:12]


def _product(api: httpx.Client, **params: Any) -> str:
    resp = api.post("/v1/products", json={"name": "Poster", **params})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["id"])


def _price(api: httpx.Client, **params: Any) -> dict[str, Any]:
    body = {"currency": "usd", **({} if "unit_amount_decimal" in params else {"unit_amount": 2000}), **params}
    if "product" not in body and "product_data" not in body:
        body["product"] = _product(api)
    resp = api.post("/v1/prices", json=body)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _events(api: httpx.Client, event_type: str, object_id: str) -> list[dict[str, Any]]:
    listed = api.get("/v1/events", params={"type": event_type, "limit": 100}).json()["data"]
    return [e for e in listed if e["data"]["object"]["id"] == object_id]


def test_create_a_one_time_price_of_a_product(api, dialect):
    product = _product(api)
    price = _price(api, product=product, nickname="A2", metadata={"size": "A2"}, tax_behavior="exclusive")
    assert dialect.id_re("price").fullmatch(price["id"]), price["id"]
    assert price["object"] == "price" and price["product"] == product and price["active"] is True
    assert price["currency"] == dialect.currency("usd") and price["unit_amount"] == 2000
    assert price["unit_amount_decimal"] == "2000" and price["type"] == "one_time"
    assert price["billing_scheme"] == "per_unit" and price["recurring"] is None
    assert price["nickname"] == "A2" and price["metadata"] == {"size": "A2"} and price["lookup_key"] is None
    assert price["tax_behavior"] == "exclusive" and price["livemode"] is False
    assert abs(price["created"] - dialect.now()) <= dialect.ts(60_000)
    assert api.get(f"/v1/prices/{price['id']}").json() == price
    [event] = _events(api, "price.created", price["id"])
    assert event["data"]["object"] == price


def test_product_data_makes_the_product_first(api):
    price = _price(api, product_data={"name": "Sticker", "metadata": {"k": "v"}}, unit_amount_decimal="350")
    assert price["unit_amount"] == 350
    product = api.get(f"/v1/products/{price['product']}").json()
    assert product["name"] == "Sticker" and product["metadata"] == {"k": "v"}
    assert len(_events(api, "product.created", product["id"])) == 1
    expanded = api.get(f"/v1/prices/{price['id']}", params={"expand[]": "product"}).json()
    assert expanded["product"] == product


def test_a_free_price_and_form_encoding(api, dialect):
    product = _product(api)
    resp = api.post("/v1/prices", data={"product": product, "currency": "JPY", "unit_amount": "0"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["unit_amount"] == 0 and resp.json()["currency"] == dialect.currency("jpy")


def test_update_archives_renames_and_emits_price_updated(api):
    price = _price(api, nickname="old")
    resp = api.post(f"/v1/prices/{price['id']}", json={"active": False, "nickname": "new",
                                                       "metadata": {"k": "v"}})
    assert resp.status_code == 200, resp.text
    assert resp.json()["active"] is False and resp.json()["nickname"] == "new"
    [event] = _events(api, "price.updated", price["id"])
    assert event["data"]["previous_attributes"] == {"active": True, "nickname": "old", "metadata": {}}
    assert event["data"]["object"]["active"] is False


def test_lookup_keys_are_unique_and_can_be_transferred(api):
    key = f"standard_{_tag()}"
    first = _price(api, lookup_key=key)
    assert first["lookup_key"] == key
    error = assert_error(api.post("/v1/prices", json={"product": first["product"], "currency": "usd",
                                                      "unit_amount": 2500, "lookup_key": key}),
                         400, param="lookup_key")
    assert first["id"] in error["message"]
    second = _price(api, product=first["product"], unit_amount=2500, lookup_key=key, transfer_lookup_key=True)
    assert second["lookup_key"] == key
    assert api.get(f"/v1/prices/{first['id']}").json()["lookup_key"] is None
    [moved] = _events(api, "price.updated", first["id"])
    assert moved["data"]["previous_attributes"] == {"lookup_key": key}
    listed = api.get("/v1/prices", params={"lookup_keys[]": [key, "no-such-key"]}).json()["data"]
    assert [p["id"] for p in listed] == [second["id"]]
    # and back again, by update
    resp = api.post(f"/v1/prices/{first['id']}", json={"lookup_key": key, "transfer_lookup_key": True})
    assert resp.status_code == 200 and resp.json()["lookup_key"] == key
    assert api.get(f"/v1/prices/{second['id']}").json()["lookup_key"] is None
    resp = api.post(f"/v1/prices/{first['id']}", json={"lookup_key": ""})
    assert resp.status_code == 200 and resp.json()["lookup_key"] is None


def test_list_filters(api, dialect):
    product = _product(api)
    usd = _price(api, product=product)
    eur = _price(api, product=product, currency="eur")
    inactive = _price(api, product=product, active=False)

    def ids(**params: Any) -> list[str]:
        resp = api.get("/v1/prices", params={"product": product, **params})
        assert resp.status_code == 200, resp.text
        assert resp.json()["url"] == "/v1/prices"
        return [p["id"] for p in resp.json()["data"]]

    assert ids() == [inactive["id"], eur["id"], usd["id"]]
    assert ids(active="true") == [eur["id"], usd["id"]]
    assert ids(active="false") == [inactive["id"]]
    assert ids(currency="EUR") == [eur["id"]] and ids(currency="eur") == [eur["id"]]
    assert ids(type="one_time") == [inactive["id"], eur["id"], usd["id"]] and ids(type="recurring") == []
    assert ids(**{"created[gte]": usd["created"]}) == [inactive["id"], eur["id"], usd["id"]]
    assert ids(limit=1)[0] == inactive["id"]
    assert_error(api.get("/v1/prices", params={"currency": "xyz"}), 400, param="currency")


def test_search_prices(api):
    tag = _tag()
    product = _product(api)
    a = _price(api, product=product, metadata={"run": tag}, lookup_key=f"a_{tag}")
    b = _price(api, product=product, metadata={"run": tag}, currency="eur")
    run = f'metadata["run"]:"{tag}"'

    def found(query: str) -> list[str]:
        resp = api.get("/v1/prices/search", params={"query": query})
        assert resp.status_code == 200, resp.text
        return [p["id"] for p in resp.json()["data"]]

    assert found(run) == [b["id"], a["id"]]
    assert found(f'{run} currency:"eur"') == [b["id"]]
    assert found(f'lookup_key:"a_{tag}"') == [a["id"]]
    assert found(f'product:"{product}" type:"one_time"') == [b["id"], a["id"]]
    assert found(f'{run} active:"false"') == []


def test_bad_input_is_a_400_naming_the_parameter(api):
    product = _product(api)
    base = {"product": product, "currency": "usd"}
    assert_error(api.post("/v1/prices", json={"product": product, "unit_amount": 1}), 400,
                 "parameter_missing", param="currency")
    assert_error(api.post("/v1/prices", json=base), 400, "parameter_missing", param="unit_amount")
    assert_error(api.post("/v1/prices", json={"currency": "usd", "unit_amount": 1}), 400, "parameter_missing",
                 param="product")
    assert_error(api.post("/v1/prices", json={**base, "unit_amount": -1}), 400, param="unit_amount")
    assert_error(api.post("/v1/prices", json={**base, "unit_amount": "1.5"}), 400,
                 "parameter_invalid_integer", param="unit_amount")
    assert_error(api.post("/v1/prices", json={**base, "unit_amount_decimal": "12.5"}), 400,
                 param="unit_amount_decimal")
    assert_error(api.post("/v1/prices", json={**base, "unit_amount": 1, "unit_amount_decimal": "1"}), 400,
                 param="unit_amount_decimal")
    assert_error(api.post("/v1/prices", json={**base, "currency": "zzz", "unit_amount": 1}), 400,
                 param="currency")
    assert_error(api.post("/v1/prices", json={**base, "unit_amount": 1, "tax_behavior": "maybe"}), 400,
                 param="tax_behavior")
    assert_error(api.post("/v1/prices", json={**base, "unit_amount": 1, "product_data": {"name": "x"}}), 400,
                 param="product_data")
    assert_error(api.post("/v1/prices", json={**base, "unit_amount": 1, "lookup_key": "k" * 201}), 400,
                 param="lookup_key")
    assert_error(api.post("/v1/prices", json={**base, "product": "prod_123", "unit_amount": 1}), 404,
                 "resource_missing", param="product")
    assert_error(api.post("/v1/prices", json={**base, "unit_amount": 1, "billing_scheme": "tiered"}), 400,
                 param="billing_scheme")
    assert_error(api.get("/v1/prices/price_123"), 404, "resource_missing", param="id")
    assert_error(api.post("/v1/prices/price_123", json={"active": False}), 404, "resource_missing")


def test_recurring_and_tiered_prices_are_refused_with_parameter_unsupported(api):
    product = _product(api)
    base = {"product": product, "currency": "usd", "unit_amount": 1000}
    for extra, param in (({"recurring": {"interval": "month"}}, "recurring"),
                         ({"tiers": [{"up_to": "inf", "unit_amount": 5}]}, "tiers"),
                         ({"transform_quantity": {"divide_by": 2, "round": "up"}}, "transform_quantity"),
                         ({"custom_unit_amount": {"enabled": True}}, "custom_unit_amount"),
                         ({"currency_options": {"eur": {"unit_amount": 900}}}, "currency_options")):
        error = assert_error(api.post("/v1/prices", json={**base, **extra}), 400, "parameter_unsupported",
                             param=param)
        assert "one-time" in error["message"], error
    assert_error(api.get("/v1/prices", params={"recurring[interval]": "month"}), 400, "parameter_unsupported",
                 param="recurring")
    resp = api.post("/v1/prices", data={**base, "recurring[interval]": "month", "unit_amount": "1000"})
    assert_error(resp, 400, "parameter_unsupported", param="recurring")
