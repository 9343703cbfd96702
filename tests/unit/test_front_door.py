"""web/front_door.py: the short way to /v1 routes picks the route FastAPI would pick and answers errors as the
app's own handlers do; everything else still goes through FastAPI. In-process ASGI on a real SQLite file."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Match

from paykeep import bootstrap
from paykeep.config import Settings
from paykeep.services import customers
from paykeep.web.api.endpoint import Api
from paykeep.web.api.route import ApiRoute
from paykeep.web.front_door import FrontDoor, _table


@pytest.fixture
def app_and_key(tmp_path: Path) -> Iterator[tuple[Any, str]]:
    url = f"sqlite:///{tmp_path / 'paykeep.db'}"
    settings = Settings.from_env(database_url=url, key_file=tmp_path / "key")
    runtime, keys = bootstrap.initialise(settings)
    try:
        yield bootstrap.create_app(runtime, run_background=False), keys.keys[("secret", False)]
    finally:
        runtime.close()


def call(app: Any, key: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://paykeep.test") as client:
            return await client.request(method, path, auth=(key, ""), **kwargs)

    return asyncio.run(go())


def test_the_short_way_picks_the_route_fastapi_would_pick_for_every_v1_route(app_and_key):
    app, _key = app_and_key
    app.build_middleware_stack()
    door = FrontDoor(app, app)
    api_routes = [r for r in app.router.routes if isinstance(r, ApiRoute) and r.path.startswith("/v1/")]
    assert len(api_routes) >= 30
    for route in api_routes:
        path = re.sub(r"\{[^}]+\}", "cus_1234567890123456789", route.path)
        for method in sorted(route.methods or ()):
            scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
            fastapi_pick = next(r for r in app.router.routes if r.matches(dict(scope))[0] == Match.FULL)
            target = door._api_target(scope)
            assert target is not None and target[0] is fastapi_pick, (method, route.path)
    # not ours: FastAPI answers (404, 405, pages)
    others = (("GET", "/v1/nothing"), ("PUT", "/v1/customers"), ("GET", "/dashboard"), ("GET", "/v2/x"))
    for method, path in others:
        assert door._api_target({"method": method, "path": path, "root_path": ""}) is None


def test_a_route_of_another_kind_before_a_segment_leaves_that_segment_to_fastapi():
    """A route of another kind with a /v1 path shadows the routes of its segment that come after it; and an
    endpoint with a parameter that is neither a path id nor the Api is refused when the route is built."""
    class Other:
        path = "/v1/customers/search"

    async def endpoint(object_id: str, api: Api) -> None: ...

    ours = ApiRoute("/v1/customers/{object_id}", endpoint)
    mine = ApiRoute("/v1/refunds/{object_id}", endpoint)
    assert _table([mine, Other(), ours]) == {"refunds": [mine]}
    assert _table([ours, Other(), mine]) == {"customers": [ours], "refunds": [mine]}

    async def confused(object_id: str, colour: str, api: Api) -> None: ...

    with pytest.raises(TypeError, match="'colour' is neither a path id nor the one Api"):
        ApiRoute("/v1/customers/{object_id}", confused)


def test_errors_on_the_short_way_are_the_apps_own_envelopes_with_a_request_id(app_and_key, monkeypatch):
    app, key = app_and_key
    missing = call(app, key, "GET", "/v1/customers/cus_0000000000000000000")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"
    assert re.fullmatch(r"req_\d{19}", missing.headers["request-id"])

    unknown = call(app, key, "GET", "/v1/customers/cus_0000000000000000000", params={"colour": "red"})
    assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "colour"

    def broken(ctx: Any, customer_id: str) -> dict[str, Any]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(customers, "retrieve_customer", broken)
    crashed = call(app, key, "GET", "/v1/customers/cus_0000000000000000000")
    assert crashed.status_code == 500 and crashed.json()["error"]["type"] == "api_error"
    assert "a bug" not in crashed.text and crashed.headers["request-id"].startswith("req_")
    assert call(app, key, "GET", "/healthz").status_code == 200  # and the app goes on


def test_what_the_short_way_does_not_serve_still_gets_fastapis_answers(app_and_key):
    app, key = app_and_key
    wrong_method = call(app, key, "PUT", "/v1/customers")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["type"] == "invalid_request_error"
    unknown_url = call(app, key, "GET", "/v1/nothing/here")
    assert unknown_url.status_code == 404
    assert "Unrecognized request URL" in unknown_url.json()["error"]["message"]
    for resp in (wrong_method, unknown_url, call(app, key, "GET", "/openapi.json")):
        assert resp.headers["request-id"].startswith("req_")
