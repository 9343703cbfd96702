"""The outermost ASGI layer: every HTTP request's Request-Id, metrics and access line, and the short way to
the /v1 routes.

Every request gets an id (the `Request-Id` header on every response, and `request.state.request_id`), is
counted and timed (`app.state.request_metrics`, when /metrics is on) and logged in one line. A request whose
method and path a /v1 route (`ApiRoute`) serves goes straight to that route; everything else (hosted pages,
dashboard, OpenAPI, 404s and 405s) goes through FastAPI's own stack.

Why the short way: FastAPI's stack around a route (server-error, telemetry, body-limit, exception and
exit-stack middleware, then a router walking every route in turn) cost ~40 us of a ~240 us GET, for nothing
the /v1 routes use. The short way picks the route FastAPI would pick (same regex, same convertors, routes in
the app's order; see `_table`) and answers an exception through the handler the app registered for it,
exactly as FastAPI's ExceptionMiddleware and ServerErrorMiddleware would: a handled error is the response;
an unexpected one gets the app's 500 response and is raised again for the server to log.

With the fast path off (PAYKEEP_FAST_PATH=0, docs/deployment.md) there is no short way and no layer outside
FastAPI's: the same class, `short_way=False`, is ordinary Starlette middleware (`app.add_middleware`) in
front of FastAPI's own router for every route. Starlette puts it inside its ServerErrorMiddleware, so an
error nothing handled reaches it before any answer: it answers with the app's 500 handler (as
ServerErrorMiddleware would, which then only raises it again), and that answer carries the Request-Id and
is counted and logged with its status as before.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paykeep.logs import log_request
from paykeep.web import cors
from paykeep.web.api.route import ApiRoute

Target = tuple[ApiRoute, dict[str, Any]]


class FrontDoor:
    def __init__(self, app: ASGIApp, web_app: Any, *, short_way: bool = True) -> None:
        self.app = app  # FastAPI's middleware stack (short_way=False: what follows it in that stack)
        self.web_app = web_app  # the FastAPI application (its state, routes and exception handlers)
        self.short_way = short_way
        self._routes: dict[str, list[ApiRoute]] | None = None
        self._browser: cors.BrowserRoutes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.web_app.state
        request_id = state.deps.ids.new("req")
        request_state = scope.setdefault("state", {})
        request_state["request_id"] = request_id
        header = (b"request-id", request_id.encode())
        started = time.perf_counter()
        status = 0  # until the response starts
        request_log: Any = getattr(state, "request_log", None)  # services/request_logs.py; None: off
        logged = request_log.begin(scope) if request_log is not None else None  # None: not recorded

        cors_headers: list[tuple[bytes, bytes]] = []

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header, *cors_headers]
                version = request_state.get("stripe_version")  # set by auth for a Stripe-dialect request
                if version is not None:
                    message["headers"].append((b"stripe-version", version.encode("latin-1", "replace")))
            elif logged is not None:
                logged.body(message)
            await send(message)

        metrics = getattr(state, "request_metrics", None)
        if metrics is not None:
            metrics.started()
        try:
            try:
                target = self._api_target(scope) if self.short_way else None
                if scope["path"].startswith("/v1/") and self._browser_open(scope, target):
                    cors_headers = cors.RESPONSE_HEADERS  # a browser's endpoint (web/cors.py)
                if scope["method"] == "OPTIONS" and await self._preflight(scope, send_with_id):
                    return  # (the access line and metrics: below)
                if target is None:
                    await self.app(scope, receive, send_with_id)
                else:
                    await self._serve(target, scope, receive, send_with_id)
            except Exception as exc:
                # (around FastAPI's stack, its ServerErrorMiddleware has answered already: `status` is set)
                handler, unexpected = self._handler_for(exc)
                if handler is None or status:  # nothing to answer with, or the answer has begun
                    raise
                response = await handler(Request(scope, receive), exc)
                await response(scope, receive, send_with_id)
                if unexpected:
                    raise
        finally:
            seconds = time.perf_counter() - started
            status = status or 500  # no response at all: the server answers 500
            if metrics is not None:
                metrics.finished(scope, status, seconds)
            log_request(scope["method"], scope["path"], status, seconds * 1000, request_id)
            if logged is not None:
                request_log.finish(logged, scope, status, seconds, request_id)

    # -- CORS for the browser's endpoints (web/cors.py) ----------------------------------------------
    def _browser_routes(self) -> cors.BrowserRoutes:
        if self._browser is None:
            self._browser = cors.BrowserRoutes(self.web_app.router.routes)
        return self._browser

    def _browser_open(self, scope: Scope, target: Target | None) -> bool:
        if target is not None:
            return target[0].publishable
        return self._browser_routes().is_open(scope["method"], scope["path"])

    async def _preflight(self, scope: Scope, send: Send) -> bool:
        """Answer a CORS preflight for a browser's endpoint (204); False: not one, the app answers it."""
        asked = _header(scope, b"access-control-request-method")
        path: str = scope["path"]
        if asked is None or not path.startswith("/v1/"):
            return False
        methods = self._browser_routes().open_methods(path)
        if asked.upper() not in methods:
            return False
        await send({"type": "http.response.start", "status": 204, "headers": cors.preflight_headers(methods)})
        await send({"type": "http.response.body", "body": b""})
        return True

    # -- the short way ------------------------------------------------------------------------------
    def _api_target(self, scope: Scope) -> Target | None:
        path: str = scope["path"]
        if not path.startswith("/v1/") or scope.get("root_path"):
            return None
        if self._routes is None:
            self._routes = _table(self.web_app.router.routes)
        for route in self._routes.get(path[4:].partition("/")[0], ()):
            match = route.path_regex.match(path)
            if match is not None and scope["method"] in route.methods:  # type: ignore[operator]
                convert = route.param_convertors
                return route, {name: convert[name].convert(raw) for name, raw in match.groupdict().items()}
        return None

    async def _serve(self, target: Target, scope: Scope, receive: Receive, send: Send) -> None:
        route, path_params = target
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        scope["path_params"] = path_params
        await route.app(scope, receive, send)

    def _handler_for(self, exc: Exception) -> tuple[Any, bool]:
        """The app's handler for `exc` (nearest class first), and whether it is the 500 handler."""
        handlers = self.web_app.exception_handlers
        for cls in type(exc).__mro__:
            if cls in handlers and cls is not Exception:
                return handlers[cls], False
        return handlers.get(Exception) or handlers.get(500), True


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _table(routes: list[BaseRoute]) -> dict[str, list[ApiRoute]]:
    """/v1 routes by their path's first segment (`customers` for /v1/customers/{customer_id}), in the app's
    order: the route FastAPI would pick is the first of them whose regex and methods match. Left to FastAPI:
    a segment once another kind of route with a /v1 path comes before the rest of its routes, and every route
    after one whose routes cannot be known here (a nested router) or whose first segment is a parameter."""
    table: dict[str, list[ApiRoute]] = {}
    shadowed: set[str] = set()
    for route in routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            break
        if not path.startswith("/v1/"):
            continue
        segment = path[4:].partition("/")[0]
        if "{" in segment:
            break
        if not isinstance(route, ApiRoute):
            shadowed.add(segment)
        elif segment not in shadowed:
            table.setdefault(segment, []).append(route)
    return table
