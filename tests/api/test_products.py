"""Products over real HTTP (issue 20): POST/GET /v1/products, GET/POST/DELETE /v1/products/{id}, the list
filters, search, the product.* events, and bad input (a 400 naming the parameter), in both dialects."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from support.assertions import assert_error


def _tag() -> str:
    return uuid.uuid4().hex[:12]


def _product(api: httpx.Client, **params: Any) -> dict[str, Any]:
    resp = api.post("/v1/products", json={"name": "T-shirt", **params})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _events(api: httpx.Client, event_type: str, object_id: str) -> list[dict[str, Any]]:
    listed = api.get("/v1/events", params={"type": event_type, "limit": 100}).json()["data"]
    return [e for e in listed if e["data"]["object"]["id"] == object_id]


def test_create_returns_stripes_product_object_and_emits_product_created(api, dialect):
    product = _product(api, description="Cotton", images=["https://shop.example/t.png"],
                       metadata={"sku": "T-1"}, statement_descriptor="SHOP TSHIRT", unit_label="shirt",
                       url="https://shop.example/t", shippable=True, type="good",
                       package_dimensions={"height": 1.5, "length": 20, "weight": 200, "width": 30},
                       marketing_features=[{"name": "Organic"}])
    assert dialect.id_re("prod").fullmatch(product["id"]), product["id"]
    assert product["object"] == "product" and product["active"] is True and product["name"] == "T-shirt"
    assert product["images"] == ["https://shop.example/t.png"] and product["metadata"] == {"sku": "T-1"}
    assert product["type"] == "good" and product["shippable"] is True and product["default_price"] is None
    assert product["package_dimensions"] == {"height": 1.5, "length": 20.0, "weight": 200.0, "width": 30.0}
    assert product["marketing_features"] == [{"name": "Organic"}] and product["tax_code"] is None
    assert abs(product["created"] - dialect.now()) <= dialect.ts(60_000)
    assert product["updated"] == product["created"]
    assert api.get(f"/v1/products/{product['id']}").json() == product
    [event] = _events(api, "product.created", product["id"])
    assert event["data"]["object"] == product


def test_defaults_of_a_product_with_only_a_name(api):
    product = _product(api)
    assert product["type"] == "service" and product["images"] == [] and product["description"] is None
    assert product["marketing_features"] == [] and product["package_dimensions"] is None
    assert product["url"] is None and product["shippable"] is None and product["livemode"] is False


def test_default_price_data_makes_its_default_price(api, dialect):
    product = _product(api, default_price_data={"currency": "eur", "unit_amount": 1500})
    assert dialect.id_re("price").fullmatch(product["default_price"] or "")
    price = api.get(f"/v1/prices/{product['default_price']}").json()
    assert price["product"] == product["id"] and price["unit_amount"] == 1500
    assert price["currency"] == dialect.currency("eur") and price["type"] == "one_time"
    expanded = api.get(f"/v1/products/{product['id']}", params={"expand[]": "default_price"}).json()
    assert expanded["default_price"] == price
    assert [e["data"]["object"]["id"] for e in _events(api, "price.created", price["id"])] == [price["id"]]


def test_update_changes_fields_and_emits_previous_attributes(api):
    product = _product(api, description="old", metadata={"a": "1", "b": "2"})
    resp = api.post(f"/v1/products/{product['id']}", json={"name": "Hoodie", "description": "",
                                                            "metadata": {"a": "", "c": "3"}})
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert updated["name"] == "Hoodie" and updated["description"] is None
    assert updated["metadata"] == {"b": "2", "c": "3"} and updated["updated"] >= product["updated"]
    [event] = _events(api, "product.updated", product["id"])
    assert event["data"]["previous_attributes"] == {"name": "T-shirt", "description": "old",
                                                   "metadata": {"a": "1", "b": "2"}}
    # nothing changed: no second event
    assert api.post(f"/v1/products/{product['id']}", json={"name": "Hoodie"}).status_code == 200
    assert len(_events(api, "product.updated", product["id"])) == 1


def test_default_price_must_be_an_active_price_of_the_product(api):
    product = _product(api)
    other = _product(api, default_price_data={"currency": "usd", "unit_amount": 100})
    assert_error(api.post(f"/v1/products/{product['id']}", json={"default_price": other["default_price"]}),
                 400, param="default_price")
    own = api.post("/v1/prices", json={"product": product["id"], "currency": "usd",
                                       "unit_amount": 900}).json()
    assert api.post(f"/v1/prices/{own['id']}", json={"active": False}).status_code == 200
    assert_error(api.post(f"/v1/products/{product['id']}", json={"default_price": own["id"]}),
                 400, param="default_price")
    assert api.post(f"/v1/prices/{own['id']}", json={"active": True}).status_code == 200
    resp = api.post(f"/v1/products/{product['id']}", json={"default_price": own["id"]})
    assert resp.status_code == 200 and resp.json()["default_price"] == own["id"]
    assert_error(api.post(f"/v1/products/{product['id']}", json={"default_price": "price_123"}),
                 404, "resource_missing", param="default_price")


def test_archive_then_list_active_and_inactive(api):
    tag = _tag()
    kept = _product(api, url=f"https://shop.example/{tag}/kept")
    archived = _product(api, url=f"https://shop.example/{tag}/archived")
    resp = api.post(f"/v1/products/{archived['id']}", data={"active": "false"})
    assert resp.status_code == 200 and resp.json()["active"] is False
    ids = {kept["id"], archived["id"]}
    def listed_ids(**params: Any) -> list[str]:
        return [p["id"] for p in api.get("/v1/products", params={"limit": 100, **params}).json()["data"]]

    active, inactive = listed_ids(active="true"), listed_ids(active="false")
    assert kept["id"] in active and archived["id"] not in active
    assert archived["id"] in inactive and kept["id"] not in inactive
    listed = api.get("/v1/products", params={"ids[]": list(ids)}).json()
    assert listed["object"] == "list" and listed["url"] == "/v1/products"
    assert [p["id"] for p in listed["data"]] == [archived["id"], kept["id"]]  # newest first
    by_url = api.get("/v1/products", params={"url": f"https://shop.example/{tag}/kept"}).json()["data"]
    assert [p["id"] for p in by_url] == [kept["id"]]


def test_list_pages_with_cursors(api):
    made = [_product(api, name=f"p{i}")["id"] for i in range(3)]
    first = api.get("/v1/products", params={"ids[]": made, "limit": 2}).json()
    assert first["has_more"] is True and [p["id"] for p in first["data"]] == made[::-1][:2]
    rest = api.get("/v1/products", params={"ids[]": made, "limit": 2,
                                           "starting_after": first["data"][-1]["id"]}).json()
    assert rest["has_more"] is False and [p["id"] for p in rest["data"]] == [made[0]]


def test_delete_a_product_without_prices(api):
    product = _product(api)
    resp = api.delete(f"/v1/products/{product['id']}")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"id": product["id"], "object": "product", "deleted": True}
    assert_error(api.get(f"/v1/products/{product['id']}"), 404, "resource_missing")
    assert_error(api.post(f"/v1/products/{product['id']}", json={"name": "x"}), 404, "resource_missing")
    [event] = _events(api, "product.deleted", product["id"])
    assert event["data"]["object"]["name"] == "T-shirt"  # the product as it was
    listed = api.get("/v1/products", params={"limit": 100}).json()["data"]
    assert product["id"] not in [p["id"] for p in listed]


def test_a_product_with_prices_cannot_be_deleted(api):
    product = _product(api, default_price_data={"currency": "usd", "unit_amount": 500})
    error = assert_error(api.delete(f"/v1/products/{product['id']}"), 400, "resource_in_use")
    assert "prices" in error["message"]
    assert api.get(f"/v1/products/{product['id']}").status_code == 200


def test_search_products(api):
    tag = _tag()
    shirt = _product(api, name=f"Shirt {tag}", metadata={"run": tag})
    mug = _product(api, name=f"Mug {tag}", metadata={"run": tag}, active=False)
    run = f'metadata["run"]:"{tag}"'

    def found(query: str) -> list[str]:
        resp = api.get("/v1/products/search", params={"query": query})
        assert resp.status_code == 200, resp.text
        assert resp.json()["object"] == "search_result"
        return [p["id"] for p in resp.json()["data"]]

    assert found(run) == [mug["id"], shirt["id"]]
    assert found(f"{run} active:'true'") == [shirt["id"]]
    assert found(f'name~"mug {tag[:6]}"') == [mug["id"]]
    assert_error(api.get("/v1/products/search", params={"query": 'colour:"red"'}), 400, param="query")


def test_bad_input_is_a_400_naming_the_parameter(api):
    assert_error(api.post("/v1/products", json={}), 400, "parameter_missing", param="name")
    assert_error(api.post("/v1/products", json={"name": ""}), 400, "parameter_invalid_empty", param="name")
    assert_error(api.post("/v1/products", json={"name": "x", "type": "gift"}), 400, param="type")
    assert_error(api.post("/v1/products", json={"name": "x", "images": [f"https://i/{n}" for n in range(9)]}),
                 400, param="images")
    assert_error(api.post("/v1/products", json={"name": "x", "colour": "red"}), 400, "parameter_unknown",
                 param="colour")
    assert_error(api.post("/v1/products", json={"name": "x", "statement_descriptor": "x" * 23}), 400,
                 param="statement_descriptor")
    assert_error(api.post("/v1/products", json={"name": "x", "default_price_data": {"currency": "usd"}}),
                 400, "parameter_missing", param="default_price_data[unit_amount]")
    assert_error(api.get("/v1/products/prod_123"), 404, "resource_missing", param="id")


def test_parameters_paykeep_refuses_on_purpose(api):
    error = assert_error(api.post("/v1/products", json={"name": "x", "id": "my-shirt"}), 400,
                         "parameter_unsupported", param="id")
    assert "metadata" in error["message"]
    assert_error(api.post("/v1/products", json={"name": "x", "tax_code": "txcd_99999999"}), 400,
                 "parameter_unsupported", param="tax_code")
    recurring = {"currency": "usd", "unit_amount": 500, "recurring": {"interval": "month"}}
    error = assert_error(api.post("/v1/products", json={"name": "x", "default_price_data": recurring}), 400,
                         "parameter_unsupported", param="default_price_data[recurring]")
    assert "subscriptions" in error["message"]
