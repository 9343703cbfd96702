"""CORS for exactly the endpoints a browser may call with a publishable key (docs/browser-api.md): the /v1
routes whose endpoint takes a `PublishableApi` (POST /v1/payment_methods, GET and confirm of both
intents).

Any origin (`Access-Control-Allow-Origin: *`), never credentials (no cookie is read: a key authenticates).
A preflight (`OPTIONS` with `Access-Control-Request-Method`) for one of them is answered 204 here; for any
other path or method it goes on to the app like any request (a 405 without CORS headers, which the browser
reads as a refusal). Every other endpoint answers without CORS headers. web/front_door.py applies it, on the
fast path and with it off (PAYKEEP_FAST_PATH=0) alike.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from paykeep.web.api.route import ApiRoute

ALLOW_HEADERS = "Authorization, Content-Type, Stripe-Version, Idempotency-Key, Paykeep-Dialect"
EXPOSE_HEADERS = "Request-Id, Stripe-Version, Idempotent-Replayed"
MAX_AGE = "600"
RESPONSE_HEADERS: list[tuple[bytes, bytes]] = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", EXPOSE_HEADERS.encode()),
]


def preflight_headers(methods: list[str]) -> list[tuple[bytes, bytes]]:
    return [
        (b"access-control-allow-origin", b"*"),
        (b"access-control-allow-methods", ", ".join(methods).encode()),
        (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
        (b"access-control-max-age", MAX_AGE.encode()),
        (b"content-length", b"0"),
    ]


class BrowserRoutes:
    """Which method of which /v1 path is open to browsers: the route FastAPI would pick for (method, path) --
    the first in the app's order whose regex and methods match -- takes a publishable key."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._routes = [r for r in routes if isinstance(r, ApiRoute)]  # all /v1 routes are ApiRoutes

    def is_open(self, method: str, path: str) -> bool:
        for route in self._routes:
            if method in (route.methods or ()) and route.path_regex.match(path) is not None:
                return route.publishable
        return False

    def open_methods(self, path: str) -> list[str]:
        """The methods a browser may call on `path` (sorted); empty for a path with none."""
        methods = {m for r in self._routes if r.publishable and r.path_regex.match(path)
                   for m in r.methods or ()}
        return sorted(m for m in methods if self.is_open(m, path))
