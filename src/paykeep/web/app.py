"""The ASGI application: /v1 API, hosted pages, health; the error envelope. Request ids, metrics and the
access log: web/front_door.py."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from paykeep import __version__
from paykeep.domain.errors import InvalidRequest, PaykeepError
from paykeep.services.ports import Deps
from paykeep.web import pages
from paykeep.web.api import routes as api_routes
from paykeep.web.api.endpoint import json_response
from paykeep.web.api.errors import envelope, internal_error, status_for
from paykeep.web.api.openapi import describe_responses
from paykeep.web.api.ratelimit import RateLimiter
from paykeep.web.api.route import ApiRoute
from paykeep.web.front_door import FrontDoor
from paykeep.wire.dialects import in_dialect

log = logging.getLogger("paykeep.web")


class PaykeepApp(FastAPI):
    """FastAPI with the front door (web/front_door.py) outside its middleware stack: Request-Id, metrics,
    the access line, and the short way to the /v1 routes. With `fast_path=False` (PAYKEEP_FAST_PATH=0) a
    stock FastAPI app: the front door is ordinary middleware without the short way (see create_app)."""

    def __init__(self, *args: Any, fast_path: bool = True, **kwargs: Any) -> None:
        self.fast_path = fast_path
        super().__init__(*args, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return FrontDoor(stack, self) if self.fast_path else stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # FastAPI's own __call__ asks, on every request, whether OpenTelemetry is configured (it never is
        # here: paykeep exports Prometheus metrics); requests go straight to the stack as in Starlette.
        if self.fast_path and scope["type"] == "http" and not self.root_path:
            await Starlette.__call__(self, scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def _error_response(err: PaykeepError, request: Request | None = None) -> Response:
    headers = {}
    retry_after = err.extra.pop("retry_after", None) if err.extra else None
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    body = envelope(err)
    state = request.scope.get("state", {}) if request is not None else {}
    if err.extra and state.get("dialect") is not None:  # an object in the error: in the request's dialect
        body = in_dialect(body, state["dialect"], state.get("stripe_version"))
    return json_response(body, status_for(err), headers)


def _allowed_methods(request: Request) -> str:
    """`Allow` for a 405 (RFC 9110): the methods of every route whose path matches, not only the first's."""
    from starlette.routing import Match, Route

    matching = [route for route in request.app.router.routes if isinstance(route, Route) and route.methods
                and route.matches(request.scope)[0] != Match.NONE]
    literal = [route for route in matching if route.path == request.url.path]  # as /openapi.json lists it
    return ", ".join(sorted({method for route in literal or matching for method in route.methods or ()}))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PaykeepError)
    async def _paykeep_error(request: Request, err: PaykeepError) -> Response:
        return _error_response(err, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        loc = exc.errors()[0].get("loc", ("",)) if exc.errors() else ("",)
        return _error_response(InvalidRequest(f"Invalid request: {loc[-1]}", code="parameter_invalid",
                                              param=str(loc[-1])))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            err = InvalidRequest(f"Unrecognized request URL ({request.method}: {request.url.path}).")
            return json_response(envelope(err), 404)
        if exc.status_code == 405:
            err = InvalidRequest(f"Unrecognized request URL ({request.method}: {request.url.path}).")
            return json_response(envelope(err), 405, {"Allow": _allowed_methods(request)})
        return json_response(envelope(InvalidRequest(str(exc.detail))), exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        if request.scope.get("state", {}).get("error_logged") is not exc:  # once, though two layers may ask
            log.error("unhandled error: %s", type(exc).__name__)
            request.state.error_logged = exc
        # uvicorn closes the connection after an app raised: say so, or a pooled client's next request fails
        return json_response(envelope(internal_error()), 500, {"Connection": "close"})

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _exc: ClientDisconnect) -> Response:
        # The client hung up before its request was read: nothing is wrong here and no one is listening.
        # Info, not an error; 499 (nginx's "client closed request") in the access line and /metrics, no 5xx.
        log.info("client disconnected before its request was read (%s)", request.scope.get("state", {})
                 .get("request_id", "-"))
        return Response(status_code=499)


def _openapi_with_defs(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(title="paykeep", version=__version__, routes=app.routes,
                         description="WooshPay Direct API (Stripe-shaped), self-hosted.")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                components.update(operation.pop("x-paykeep-defs", {}) or {})
    schema["components"]["securitySchemes"] = {
        "basicAuth": {"type": "http", "scheme": "basic"},
        "bearerAuth": {"type": "http", "scheme": "bearer"},
    }
    schema["security"] = [{"basicAuth": []}, {"bearerAuth": []}]
    describe_responses(schema)  # the real 200s and error statuses (web/api/openapi.py)
    app.openapi_schema = schema
    return schema


def _include_package_routers(app: FastAPI, package: Any) -> None:
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        router = getattr(module, "router", None)
        if router is None:
            continue
        if all(isinstance(route, APIRoute) for route in router.routes):
            # Its routes straight into the app's list: `include_router` keeps a nested router that every
            # request walks through (~20 us a request with a dozen of them), for nothing we use here.
            app.router.routes.extend(router.routes)
        else:
            app.include_router(router)


def create_app(deps: Deps, *, rate_limit: float = 0.0, extras: dict[str, Any] | None = None,
               fast_path: bool = True) -> FastAPI:
    """Build the app around already-built deps (see bootstrap). No module-level app exists. `fast_path`
    False (PAYKEEP_FAST_PATH=0): FastAPI's own middleware stack, router and dependency path, the front
    door as ordinary middleware for Request-Id, metrics and the access line."""
    app = PaykeepApp(title="paykeep", version=__version__, docs_url="/docs", redoc_url=None,
                     fast_path=fast_path)
    app.state.deps = deps
    app.state.limiter = RateLimiter(rate_limit)
    for name, value in (extras or {}).items():
        setattr(app.state, name, value)
    _install_error_handlers(app)
    _include_package_routers(app, api_routes)  # first: the front door's short way relies on it
    _include_package_routers(app, pages)
    app.openapi = lambda: _openapi_with_defs(app)  # type: ignore[method-assign]
    if not fast_path:
        app.router.routes[:] = [r.stock() if isinstance(r, ApiRoute) else r for r in app.router.routes]
        app.add_middleware(FrontDoor, web_app=app, short_way=False)
    return app
