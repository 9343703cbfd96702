"""CORS for exactly the endpoints a browser may call with a publishable key (docs/browser-api.md): any origin,
no credentials, preflights answered; every other endpoint answers without CORS headers. On the fast path and
with it off (PAYKEEP_FAST_PATH=0), each with its own server here (the suite's `nofast` pass runs the module's
shared server that way too)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.assertions import REQUEST_ID, assert_error
from support.payments import card
from support.server import PaykeepServer

ORIGIN = "https://shop.example"
ALLOWED = {"authorization", "content-type", "stripe-version", "idempotency-key", "paykeep-dialect"}


@pytest.fixture(scope="module", params=["fast", "stock"])
def srv(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
        dialect_name: str) -> Iterator[PaykeepServer]:
    env = {"PAYKEEP_FAST_PATH": "1" if request.param == "fast" else "0"}
    server = PaykeepServer(Path(tmp_path_factory.mktemp(f"cors-{request.param}")), env=env,
                           dialect=dialect_name).start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def ids(srv: PaykeepServer) -> dict[str, Any]:
    with srv.client() as api:
        seti = api.post("/v1/setup_intents", data={}).json()
        pi = api.post("/v1/payment_intents", data={"amount": 1000, "currency": "usd"}).json()
        cus = api.post("/v1/customers", data={}).json()
    return {"seti": seti, "pi": pi, "cus": cus["id"]}


def open_endpoints(ids: dict[str, Any]) -> list[tuple[str, str]]:
    seti, pi = ids["seti"]["id"], ids["pi"]["id"]
    return [("POST", "/v1/payment_methods"), ("GET", f"/v1/setup_intents/{seti}"),
            ("POST", f"/v1/setup_intents/{seti}/confirm"), ("GET", f"/v1/payment_intents/{pi}"),
            ("POST", f"/v1/payment_intents/{pi}/confirm")]


def closed_endpoints(ids: dict[str, Any]) -> list[tuple[str, str]]:
    seti, pi = ids["seti"]["id"], ids["pi"]["id"]
    return [("GET", "/v1/customers"), ("POST", "/v1/customers"), ("GET", f"/v1/customers/{ids['cus']}"),
            ("GET", "/v1/payment_methods"), ("POST", f"/v1/setup_intents/{seti}/cancel"),
            ("POST", f"/v1/setup_intents/{seti}"), ("GET", "/v1/setup_intents"),
            ("POST", "/v1/payment_intents"), ("GET", "/v1/payment_intents/search"),
            ("POST", f"/v1/payment_intents/{pi}/capture"), ("POST", f"/v1/payment_intents/{pi}"),
            ("DELETE", f"/v1/customers/{ids['cus']}"), ("GET", "/v1/events")]


def preflight(srv: PaykeepServer, method: str, path: str,
              headers: str = "authorization, content-type") -> httpx.Response:
    return httpx.options(srv.base_url + path, timeout=30, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})


def test_preflight_is_answered_for_the_browsers_endpoints(srv: PaykeepServer, ids: dict[str, Any]) -> None:
    for method, path in open_endpoints(ids):
        resp = preflight(srv, method, path)
        assert resp.status_code == 204, (method, path, resp.status_code, resp.text)
        assert resp.content == b""
        assert resp.headers["access-control-allow-origin"] == "*"
        assert method in [m.strip() for m in resp.headers["access-control-allow-methods"].split(",")]
        allowed = {h.strip().lower() for h in resp.headers["access-control-allow-headers"].split(",")}
        assert allowed >= ALLOWED, allowed
        assert "access-control-allow-credentials" not in resp.headers
        assert int(resp.headers["access-control-max-age"]) > 0
        assert REQUEST_ID.match(resp.headers["request-id"])


def test_no_preflight_for_other_endpoints_or_methods(srv: PaykeepServer, ids: dict[str, Any]) -> None:
    pi = ids["pi"]["id"]
    for method, path in [*closed_endpoints(ids), ("DELETE", f"/v1/payment_intents/{pi}"),
                         ("PUT", "/v1/payment_methods"), ("GET", "/v1/nothing_here")]:
        resp = preflight(srv, method, path)
        assert resp.status_code != 204, (method, path)
        assert not any(name.startswith("access-control-") for name in resp.headers), (method, path)
    # an OPTIONS that is no preflight is not answered as one either
    plain = httpx.options(srv.base_url + "/v1/payment_methods", timeout=30)
    assert plain.status_code == 405 and "access-control-allow-origin" not in plain.headers


def test_answers_of_the_browsers_endpoints_carry_cors_headers(srv: PaykeepServer,
                                                              ids: dict[str, Any]) -> None:
    seti, pi = ids["seti"], ids["pi"]
    headers = {"Origin": ORIGIN}
    with httpx.Client(base_url=srv.base_url, timeout=30, headers=headers) as browser:
        answers = [
            browser.post("/v1/payment_methods", data={"key": srv.pk, "type": "card", **{
                f"card[{k}]": v for k, v in card("4242424242424242").items() if k != "name"}}),
            browser.get(f"/v1/setup_intents/{seti['id']}",
                        params={"key": srv.pk, "client_secret": seti["client_secret"]}),
            browser.get(f"/v1/payment_intents/{pi['id']}",
                        params={"key": srv.pk, "client_secret": pi["client_secret"]}),
            # errors too: the script must be able to read them
            browser.post(f"/v1/payment_intents/{pi['id']}/confirm", data={"key": srv.pk}),
            browser.get(f"/v1/setup_intents/{seti['id']}", params={"key": srv.pk, "client_secret": "x"}),
            browser.get(f"/v1/setup_intents/{seti['id']}"),  # no key: 401
            browser.post("/v1/payment_methods", data={"key": srv.pk, "type": "card", **{
                f"card[{k}]": v for k, v in card("4242424242424241").items() if k != "name"}}),  # not Luhn
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 400, 400, 401, 402], [a.text for a in answers]
    for resp in answers:
        assert resp.headers["access-control-allow-origin"] == "*", resp.headers
        assert "request-id" in resp.headers["access-control-expose-headers"].lower()
        assert "access-control-allow-credentials" not in resp.headers


def test_other_endpoints_carry_no_cors_headers(srv: PaykeepServer, ids: dict[str, Any]) -> None:
    with srv.client(headers={"Origin": ORIGIN}) as api:
        for method, path in closed_endpoints(ids):
            resp = api.request(method, path)
            assert resp.status_code < 500, (method, path, resp.text)
            assert not any(name.startswith("access-control-") for name in resp.headers), (method, path)
        with srv.client(srv.pk, headers={"Origin": ORIGIN}) as public:
            refused = public.get("/v1/customers")
        assert_error(refused, 403, "secret_key_required")
        assert "access-control-allow-origin" not in refused.headers
    for path in ("/", "/3ds/tds_0000000000000000000_secret_x", "/openapi.json", "/dashboard", "/v1/"):
        resp = httpx.get(srv.base_url + path, timeout=30, headers={"Origin": ORIGIN})
        assert "access-control-allow-origin" not in resp.headers, path
