"""/openapi.json's responses are the real ones (API.md §12, issue 17 finding 10): every /v1 operation
documents its 200 object (or list) and the error statuses with the error envelope, and real responses of
every object type, from every kind of operation, validate against what the document says."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest

from support.payments import RETURN_URL, card, pay
from support.server import PaykeepServer

METHODS = ("get", "post", "delete")


@pytest.fixture(scope="module")
def doc(server: PaykeepServer) -> dict[str, Any]:
    return dict(httpx.get(server.base_url + "/openapi.json", timeout=30).json())


def _inline(doc: dict[str, Any], node: Any) -> Any:
    """The schema with every $ref replaced by its target (the document has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(doc, doc["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
        return {k: _inline(doc, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(doc, v) for v in node]
    return node


def check(doc: dict[str, Any], method: str, path: str, resp: httpx.Response,
          expect: int = 200) -> dict[str, Any]:
    """The response has the expected status, documented for the operation, and its body validates."""
    assert resp.status_code == expect, (method, path, resp.status_code, resp.text)
    op = doc["paths"][path][method]
    status = str(resp.status_code)
    assert status in op["responses"], (method, path, status, sorted(op["responses"]))
    schema = _inline(doc, op["responses"][status]["content"]["application/json"]["schema"])
    body = resp.json()
    jsonschema.Draft202012Validator(schema).validate(body)
    return dict(body)


def test_every_v1_operation_documents_its_200_and_its_errors(doc: dict[str, Any]) -> None:
    for path, item in doc["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, op in item.items():
            if method not in METHODS:
                continue
            responses = op["responses"]
            ok = responses["200"]["content"]["application/json"]["schema"]
            assert ok.get("$ref", "").startswith("#/components/schemas/"), (method, path, ok)
            assert ok != {}, (method, path)
            expected = {"400", "401", "403", "404", "429", "503"}
            if method != "get":
                expected |= {"402", "409"}
            assert expected <= set(responses), (method, path, sorted(responses))
            assert "422" not in responses, "paykeep answers bad parameters with 400, never 422"
            for status in expected:
                assert responses[status]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"}
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert set(error["properties"]["error"]["properties"]["type"]["enum"]) == {
        "invalid_request_error", "card_error", "idempotency_error", "api_error"}


def test_real_responses_validate_against_the_document(doc: dict[str, Any], api: httpx.Client,
                                                      server: PaykeepServer) -> None:
    cus = check(doc, "post", "/v1/customers", api.post("/v1/customers", json={"email": "o@example.com",
                                                                              "metadata": {"a": "1"}}))
    check(doc, "get", "/v1/customers/{customer_id}", api.get(f"/v1/customers/{cus['id']}"))
    check(doc, "get", "/v1/customers", api.get("/v1/customers"))
    pm = check(doc, "post", "/v1/payment_methods",
               api.post("/v1/payment_methods", json={"type": "card", "card": card("4242424242424242")}))
    check(doc, "post", "/v1/payment_methods/{pm_id}/attach",
          api.post(f"/v1/payment_methods/{pm['id']}/attach", json={"customer": cus["id"]}))
    check(doc, "get", "/v1/customers/{customer_id}/payment_methods",
          api.get(f"/v1/customers/{cus['id']}/payment_methods", params={"type": "card"}))
    check(doc, "get", "/v1/payment_methods/{pm_id}",
          api.get(f"/v1/payment_methods/{pm['id']}", params={"expand[]": "customer"}))
    seti = check(doc, "post", "/v1/setup_intents", api.post("/v1/setup_intents", json={
        "customer": cus["id"], "payment_method": pm["id"], "confirm": True, "return_url": RETURN_URL}))
    check(doc, "get", "/v1/setup_intents/{intent_id}",
          api.get(f"/v1/setup_intents/{seti['id']}", params={"expand[]": ["customer", "payment_method"]}))
    check(doc, "get", "/v1/setup_intents", api.get("/v1/setup_intents"))
    paid = pay(api, "4242424242424242", amount=3000)
    pi = check(doc, "post", "/v1/payment_intents", paid)
    check(doc, "get", "/v1/payment_intents/{intent_id}",
          api.get(f"/v1/payment_intents/{pi['id']}", params={"expand[]": "latest_charge"}))
    declined = pay(api, "4000000000000002")
    check(doc, "post", "/v1/payment_intents", declined, 402)
    refund = check(doc, "post", "/v1/refunds", api.post("/v1/refunds", json={"payment_intent": pi["id"],
                                                                             "amount": 100}))
    check(doc, "get", "/v1/refunds/{refund_id}", api.get(f"/v1/refunds/{refund['id']}"))
    check(doc, "get", "/v1/refunds", api.get("/v1/refunds"))
    cs = check(doc, "post", "/v1/checkout/sessions", api.post("/v1/checkout/sessions", json={
        "mode": "setup", "customer": cus["id"], "success_url": RETURN_URL}))
    check(doc, "get", "/v1/checkout/sessions/{session_id}", api.get(f"/v1/checkout/sessions/{cs['id']}"))
    we = check(doc, "post", "/v1/webhook_endpoints", api.post("/v1/webhook_endpoints", json={
        "url": "https://hooks.example/paykeep", "enabled_events": ["*"]}))
    check(doc, "get", "/v1/webhook_endpoints/{endpoint_id}", api.get(f"/v1/webhook_endpoints/{we['id']}"))
    check(doc, "get", "/v1/webhook_endpoints/{endpoint_id}/attempts",
          api.get(f"/v1/webhook_endpoints/{we['id']}/attempts"))
    events = check(doc, "get", "/v1/events", api.get("/v1/events", params={"limit": 5}))
    check(doc, "get", "/v1/events/{event_id}", api.get(f"/v1/events/{events['data'][0]['id']}"))
    gone = api.delete(f"/v1/webhook_endpoints/{we['id']}")
    check(doc, "delete", "/v1/webhook_endpoints/{endpoint_id}", gone)
    check(doc, "delete", "/v1/customers/{customer_id}", api.delete(f"/v1/customers/{cus['id']}"))
    # errors, with their documented statuses
    check(doc, "get", "/v1/customers/{customer_id}", api.get("/v1/customers/cus_0"), 404)
    check(doc, "post", "/v1/refunds", api.post("/v1/refunds", json={"amount": True}), 400)
    with httpx.Client(base_url=server.base_url, timeout=30) as anon:
        check(doc, "get", "/v1/customers", anon.get("/v1/customers"), 401)
        check(doc, "get", "/v1/customers", anon.get("/v1/customers", auth=(server.pk, "")), 403)
        check(doc, "get", "/readyz", anon.get("/readyz"))
