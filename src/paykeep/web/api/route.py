"""The route class of every /v1 endpoint: FastAPI describes it (OpenAPI), ApiRequest does the work.

An endpoint's parameters are its path's ids (strings) and one `Api` / `PublishableApi`. FastAPI would resolve
them per request through its dependency solver, validate each path id as a `str`, and wrap the call in two
exit stacks for dependencies with `yield` that no endpoint here has: ~40 us of a GET that answers in ~250.
This class reads the same signature once, at start-up, and calls the endpoint with the path's values and the
ApiRequest that the `Api` annotation's own dependency builds. What reaches the client is unchanged: errors
still propagate to the app's exception handlers (the one error envelope), and the OpenAPI document still
comes from the same signature.

With the fast path off (PAYKEEP_FAST_PATH=0) the app serves `stock()` copies of these routes instead: the
ASGI app FastAPI built for the route, its dependency solver and all.
"""

from __future__ import annotations

import copy
import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.params import Depends
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from paykeep.web.api.endpoint import PUBLISHABLE_DEPENDENCY, ApiRequest


class ApiRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.stock_app = self.app  # FastAPI's own: request_response(get_route_handler())
        self.app = _lean_app(_bind(endpoint, set(self.param_convertors)))
        # a publishable key may call it: a browser's endpoint, answered with CORS headers (web/cors.py)
        self.publishable = _takes_publishable(endpoint)

    def stock(self) -> ApiRoute:
        """This route served the way FastAPI serves it (PAYKEEP_FAST_PATH=0); this one is left as it is."""
        route = copy.copy(self)
        route.app = self.stock_app
        return route


def _bind(endpoint: Callable[..., Any], path_names: set[str]) -> Callable[[Request], Awaitable[Response]]:
    """`endpoint(**path values, <api>=ApiRequest)` as `handler(request)`; refuses, at start-up, a signature
    with anything else in it."""
    hints = typing.get_type_hints(endpoint, include_extras=True)
    build: Callable[[Request], Awaitable[ApiRequest]] | None = None
    api_name = ""
    for name in inspect.signature(endpoint).parameters:
        if name in path_names:
            continue
        depends = [m for m in getattr(hints.get(name), "__metadata__", ()) if isinstance(m, Depends)]
        if not depends or build is not None or depends[0].dependency is None:
            raise TypeError(f"{endpoint.__qualname__}: {name!r} is neither a path id nor the one Api")
        build, api_name = depends[0].dependency, name
    if build is None:
        raise TypeError(f"{endpoint.__qualname__}: an API endpoint takes an Api or PublishableApi")
    run_async = inspect.iscoroutinefunction(endpoint)
    names = [n for n in inspect.signature(endpoint).parameters if n in path_names]

    async def handler(request: Request) -> Response:
        kwargs: dict[str, Any] = {name: request.path_params[name] for name in names}
        kwargs[api_name] = await build(request)
        if run_async:
            return typing.cast(Response, await endpoint(**kwargs))
        return typing.cast(Response, await run_in_threadpool(endpoint, **kwargs))

    return handler


def _takes_publishable(endpoint: Callable[..., Any]) -> bool:
    hints = typing.get_type_hints(endpoint, include_extras=True)
    return any(isinstance(m, Depends) and m.dependency is PUBLISHABLE_DEPENDENCY
               for hint in hints.values() for m in getattr(hint, "__metadata__", ()))


def _lean_app(handler: Callable[[Request], Awaitable[Response]]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await handler(Request(scope, receive, send))
        await response(scope, receive, send)

    return app
