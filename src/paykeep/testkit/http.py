"""The HTTP client of the test kit's commands (`paykeep trigger`, `paykeep listen`), as a merchant's code
talks to paykeep: over the network to a running server (the standard library's urllib: these commands are
clients of the server, not layers of it), or, for a local database, to the ASGI app itself in this process
(the same routes, authentication, dialects and transactions, without a socket)."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

from paykeep import __version__

USER_AGENT = f"paykeep-testkit/{__version__}"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Unreachable(Exception):
    """The server could not be reached or did not answer (one line, for the user)."""


class Transport(Protocol):
    def request(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None = None) -> Reply:
        ...

    def close(self) -> None: ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is the answer (hosted pages redirect the browser; the caller reads Location)


def opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirects())


class UrllibTransport:
    """Requests to a running server; `url` is absolute."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._opener = opener()

    def request(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None = None) -> Reply:
        req = urllib.request.Request(url, data=body, method=method,
                                     headers={"User-Agent": USER_AGENT, **headers})
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                return Reply(resp.status, _lower(resp.headers.items()), resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return Reply(err.code, _lower(err.headers.items()), err.read())
        except (urllib.error.URLError, OSError, HTTPException) as exc:
            raise Unreachable(describe(url, exc)) from None

    def close(self) -> None:
        pass


def describe(url: str, exc: BaseException) -> str:
    """`cannot reach http://host:port: connection refused`, whatever layer raised it."""
    parts = urlsplit(url)
    reason: Any = getattr(exc, "reason", exc)
    if isinstance(reason, socket.timeout | TimeoutError):
        text = "timed out"
    elif isinstance(reason, ConnectionRefusedError):
        text = "connection refused"
    elif isinstance(reason, socket.gaierror):
        text = f"unknown host {parts.hostname!r}"
    else:
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return f"cannot reach {parts.scheme}://{parts.netloc}: {text}"


def _lower(items: Any) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in items}


class AsgiTransport:
    """Requests to an ASGI app in this process, on one event loop of its own; any origin in `url` is
    ignored (its path and query are the request)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._runner = asyncio.Runner()

    def request(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None = None) -> Reply:
        return self._runner.run(self._call(method, url, headers, body or b""))

    async def _call(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Reply:
        parts = urlsplit(url)
        path = unquote(parts.path) or "/"
        raw_headers = [(b"host", b"paykeep.local"), (b"user-agent", USER_AGENT.encode())]
        raw_headers += [(name.lower().encode("latin-1"), value.encode("latin-1"))
                        for name, value in headers.items()]
        if body:
            raw_headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": quote(path).encode(),
            "query_string": parts.query.encode("latin-1"), "root_path": "", "headers": raw_headers,
            "client": ("127.0.0.1", 0), "server": ("paykeep.local", 80),
        }
        sent_body = False
        done = asyncio.Event()
        status = 500
        response_headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers.update(_lower((k.decode("latin-1"), v.decode("latin-1"))
                                               for k, v in message.get("headers", ())))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        try:
            await self.app(scope, receive, send)
        finally:
            done.set()
        return Reply(status, response_headers, b"".join(chunks))

    def close(self) -> None:
        self._runner.close()


def encode_form(params: Mapping[str, Any]) -> bytes:
    """Stripe's bracket notation, as its SDKs send a body: `card[number]=…`, `expand[0]=…`, booleans as
    `true`/`false`."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{prefix}[{key}]" if prefix else str(key), item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(f"{prefix}[{index}]", item)
        elif isinstance(value, bool):
            pairs.append((prefix, "true" if value else "false"))
        elif value is not None:
            pairs.append((prefix, str(value)))

    walk("", params)
    return "&".join(f"{quote(k, safe='[]')}={quote(v, safe='')}" for k, v in pairs).encode("ascii")
