"""PAYKEEP_FAST_PATH=0 (docs/deployment.md): the app is FastAPI's stock one (no front door outside its stack,
its own router and dependency path for /v1, SQLAlchemy's own execution for reads, uvicorn's own HTTP
protocol), and a client sees the same: the Request-Id on every response, the error envelopes, the access
line and the request metrics. In-process ASGI on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from paykeep import bootstrap, cli
from paykeep.adapters.db import repository
from paykeep.config import Settings
from paykeep.services import customers
from paykeep.web.api.route import ApiRoute
from paykeep.web.front_door import FrontDoor


@pytest.fixture(params=["1", "0"], ids=["fast_path_on", "fast_path_off"])
def app_and_key(request: pytest.FixtureRequest, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, bool]]:
    monkeypatch.setenv("PAYKEEP_FAST_PATH", request.param)
    url = f"sqlite:///{tmp_path / 'paykeep.db'}"
    settings = Settings.from_env(database_url=url, key_file=tmp_path / "key")
    runtime, keys = bootstrap.initialise(settings)
    try:
        app = bootstrap.create_app(runtime, run_background=False)
        yield app, keys.keys[("secret", False)], settings.fast_path
    finally:
        runtime.close()
        repository.use_driver_selects(True)  # the process default, for the tests that follow


def call(app: Any, key: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://paykeep.test") as client:
            return await client.request(method, path, auth=(key, ""), **kwargs)

    return asyncio.run(go())


def requests_counted(method: str, route: str, status: int) -> float:
    labels = {"method": method, "route": route, "status": str(status)}
    return REGISTRY.get_sample_value("paykeep_http_requests_total", labels) or 0.0


def test_the_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, on in (("0", False), ("false", False), ("off", False), ("1", True), ("", True)):
        monkeypatch.setenv("PAYKEEP_FAST_PATH", value)
        assert Settings.from_env().fast_path is on, value
    monkeypatch.delenv("PAYKEEP_FAST_PATH")
    assert Settings.from_env().fast_path is True


def test_off_builds_the_stock_app_and_on_the_fast_one(app_and_key):
    app, _key, fast = app_and_key
    stack = app.build_middleware_stack()
    routes = [r for r in app.router.routes if isinstance(r, ApiRoute)]
    assert len(routes) >= 30
    if fast:
        assert isinstance(stack, FrontDoor) and stack.short_way
        assert not any(m.cls is FrontDoor for m in app.user_middleware)
        assert all(r.app is not r.stock_app for r in routes)  # ApiRoute's direct call
        assert repository._VIA_DRIVER[0] is True
    else:
        assert not isinstance(stack, FrontDoor)  # Starlette's ServerErrorMiddleware is outermost
        (door,) = [m for m in app.user_middleware if m.cls is FrontDoor]
        assert door.kwargs == {"web_app": app, "short_way": False}
        assert all(r.app is r.stock_app for r in routes)  # FastAPI's own handler and dependency solver
        assert repository._VIA_DRIVER[0] is False


def test_either_way_a_client_sees_the_same_answers_ids_lines_and_metrics(app_and_key, monkeypatch, caplog):
    app, key, fast = app_and_key
    created = call(app, key, "POST", "/v1/customers", data={"email": "jenny@example.com"})
    assert created.status_code == 200 and created.json()["email"] == "jenny@example.com"
    cus = created.json()["id"]
    counted = requests_counted("GET", "/v1/customers/{customer_id}", 200)
    with caplog.at_level(logging.INFO, logger="paykeep.access"):
        got = call(app, key, "GET", f"/v1/customers/{cus}", params={"colour": "red"})
    assert got.status_code == 400 and got.json()["error"]["param"] == "colour"  # parameters as before
    got = call(app, key, "GET", f"/v1/customers/{cus}")
    assert got.status_code == 200 and got.json()["id"] == cus
    assert requests_counted("GET", "/v1/customers/{customer_id}", 200) == counted + 1
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "paykeep.access"]
    assert lines and lines[-1]["path"] == f"/v1/customers/{cus}" and lines[-1]["status"] == 400

    responses = [created, got, call(app, key, "GET", "/v1/customers/cus_0000000000000000000"),
                 call(app, key, "PUT", "/v1/customers"), call(app, key, "GET", "/v1/nothing/here"),
                 call(app, key, "GET", "/healthz"), call(app, "sk_test_wrong", "GET", "/v1/customers")]
    assert [r.status_code for r in responses] == [200, 200, 404, 405, 404, 200, 401]
    ids = [r.headers.get("request-id", "") for r in responses]
    assert all(re.fullmatch(r"req_\d{19}", i) for i in ids) and len(set(ids)) == len(ids), ids
    assert responses[2].json()["error"]["code"] == "resource_missing"
    assert "Unrecognized request URL" in responses[4].json()["error"]["message"]

    def broken(ctx: Any, customer_id: str) -> dict[str, Any]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(customers, "retrieve_customer", broken)
    with caplog.at_level(logging.INFO):
        crashed = call(app, key, "GET", f"/v1/customers/{cus}")
    assert crashed.status_code == 500 and crashed.json()["error"]["type"] == "api_error"
    assert "a bug" not in crashed.text and crashed.headers["request-id"].startswith("req_")
    logged = [r.getMessage() for r in caplog.records if r.name == "paykeep.web"]
    assert logged.count("unhandled error: RuntimeError") == 1, logged
    access = [json.loads(r.getMessage()) for r in caplog.records if r.name == "paykeep.access"]
    assert access[-1]["status"] == 500 and access[-1]["request_id"] == crashed.headers["request-id"]


def test_off_reads_do_not_touch_the_driver_directly(app_and_key, monkeypatch):
    app, key, fast = app_and_key
    cus = call(app, key, "POST", "/v1/customers", data={"name": "Jenny"}).json()["id"]
    driver_reads: list[str] = []
    real_rows = repository._DriverSelect.rows

    def spy(self: Any, conn: Any, params: Any) -> Any:
        driver_reads.append(self.sql)
        return real_rows(self, conn, params)

    monkeypatch.setattr(repository._DriverSelect, "rows", spy)
    got = call(app, key, "GET", f"/v1/customers/{cus}")
    assert got.status_code == 200 and got.json()["name"] == "Jenny"
    assert bool(driver_reads) is fast


def test_serve_picks_uvicorns_own_protocol_when_off(monkeypatch):
    monkeypatch.delenv("PAYKEEP_HTTP_PROTOCOL", raising=False)
    on = cli._http_protocol(Settings(fast_path=True))
    off = cli._http_protocol(Settings(fast_path=False))
    assert on == "paykeep.web.http_protocol:CoalescingHttpToolsProtocol"
    assert off == "paykeep.web.http_protocol:LimitedHttpToolsProtocol"  # the HTTP limits stay, one-write goes
    from uvicorn.importer import import_from_string

    off_class, on_class = import_from_string(off), import_from_string(on)  # what uvicorn will load
    assert issubclass(on_class, off_class) and not issubclass(off_class, on_class)
    monkeypatch.setenv("PAYKEEP_HTTP_PROTOCOL", "h11")  # an explicit choice wins either way
    assert cli._http_protocol(Settings(fast_path=True)) == "h11"
    assert cli._http_protocol(Settings(fast_path=False)) == "h11"
