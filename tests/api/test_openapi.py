"""/openapi.json describes every /v1 endpoint and its parameters; /healthz and /readyz need no key."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from support.assertions import REQUEST_ID
from support.server import PaykeepServer

METHODS = ("get", "post", "delete", "put", "patch")


@pytest.fixture(scope="module")
def doc(server: PaykeepServer) -> dict[str, Any]:
    resp = httpx.get(server.base_url + "/openapi.json", timeout=30)
    assert resp.status_code == 200, "served without an API key"
    assert REQUEST_ID.match(resp.headers["request-id"])
    return dict(resp.json())


def served_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of every /v1 route the app mounts (the same route modules create_app includes)."""
    from paykeep.web.api import routes

    found: set[tuple[str, str]] = set()
    for info in pkgutil.iter_modules(routes.__path__):
        router = getattr(importlib.import_module(f"{routes.__name__}.{info.name}"), "router", None)
        for route in getattr(router, "routes", []):
            path = getattr(route, "path", "")
            # routes left out of the document on purpose (include_in_schema=False: the event stream, whose
            # answer is a stream, not a JSON object, and which a fuzzer must not wait on) are not counted
            if path.startswith("/v1") and getattr(route, "include_in_schema", True):
                found |= {(m, path) for m in getattr(route, "methods", ()) if m != "HEAD"}
    return found


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method.upper(), path, op


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def query_params(op: dict[str, Any]) -> set[str]:
    return {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}


def body_fields(doc: dict[str, Any], op: dict[str, Any]) -> set[str]:
    content = op["requestBody"]["content"]
    return set(resolve(doc, content["application/x-www-form-urlencoded"]["schema"]).get("properties", {}))


def test_every_v1_route_is_described(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.")
    described = {(m, p) for m, p, _ in operations(doc)}
    routes = served_routes()
    assert ("POST", "/v1/customers") in routes
    assert routes <= described, sorted(routes - described)


def test_every_v1_operation_documents_its_parameters(doc: dict[str, Any]) -> None:
    for method, path, op in operations(doc):
        if not path.startswith("/v1"):
            continue
        where = f"{method} {path}"
        path_params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert path_params == set(re.findall(r"\{(\w+)\}", path)), where
        if method == "POST":
            content = op.get("requestBody", {}).get("content", {})
            assert {"application/json", "application/x-www-form-urlencoded"} <= set(content), where
            assert (
                content["application/json"]["schema"]
                == content["application/x-www-form-urlencoded"]["schema"]
            )
            assert "expand" in body_fields(doc, op), where
        elif method == "GET":
            assert "expand" in query_params(op), where
        if method == "GET" and path.endswith("/search"):  # a search pages with `page` (its next_page)
            assert {"query", "limit", "page"} <= query_params(op), where
        elif method == "GET" and not path_params:
            assert {"limit", "starting_after", "ending_before"} <= query_params(op), where


def test_customer_parameters_are_described(doc: dict[str, Any]) -> None:
    fields = {"email", "name", "phone", "description", "address", "shipping", "metadata", "expand"}
    assert fields <= body_fields(doc, doc["paths"]["/v1/customers"]["post"])
    assert fields <= body_fields(doc, doc["paths"]["/v1/customers/{customer_id}"]["post"])
    assert {"limit", "starting_after", "ending_before", "email", "created", "expand"} <= query_params(
        doc["paths"]["/v1/customers"]["get"]
    )
    assert {"expand"} <= query_params(doc["paths"]["/v1/customers/{customer_id}"]["get"])
    address = resolve(doc, {"$ref": "#/components/schemas/Address"})
    assert {"line1", "line2", "city", "state", "postal_code", "country"} <= set(address["properties"])


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert refs
    schemas = doc["components"]["schemas"]
    missing = {
        r for r in refs if r.rsplit("/", 1)[1] not in schemas or not r.startswith("#/components/schemas/")
    }
    assert not missing, missing
    assert not any(k.startswith("x-paykeep") for _, _, op in operations(doc) for k in op)


def test_both_authentication_schemes_are_described(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert {(s["type"], s["scheme"]) for s in schemes.values()} == {("http", "basic"), ("http", "bearer")}


def test_healthz_and_readyz(server: PaykeepServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as anon:
        health = anon.get("/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        assert REQUEST_ID.match(health.headers["request-id"])
        ready = anon.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ok"
