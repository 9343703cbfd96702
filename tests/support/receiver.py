"""A real webhook receiver on 127.0.0.1 for tests: records every request's raw body and headers.

`respond(n, request)` decides each answer (n = 1-based count of requests so far): return (status, headers,
body) or HANG to hold the connection open without answering (released by `close()` or after `hang_limit`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = object()
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time()
    at_perf: float = 0.0  # time.perf_counter()

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]

    @property
    def signature(self) -> str | None:
        for name, value in self.headers.items():
            if name.lower() == "wooshpay-signature":
                return value
        return None


def always(status: int, body: bytes = b"ok", headers: dict[str, str] | None = None) -> Callable[..., Answer]:
    return lambda _n, _req: (status, headers or {}, body)


def fail_first(failures: int, status: int = 500) -> Callable[..., Answer]:
    return lambda n, _req: (status, {}, b"not yet") if n <= failures else (200, {}, b"ok")


@dataclass
class Receiver:
    respond: Callable[[int, Received], Any] = field(default_factory=lambda: always(200))
    port: int = 0
    hang_limit: float = 30.0
    requests: list[Received] = field(default_factory=list)
    host: str = "127.0.0.1"  # any loopback address (127.0.0.2 plays "an address live mode refuses")

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.in_flight = 0
        self.max_in_flight = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                received = Received(
                    self.path, dict(self.headers.items()), body, time.time(), time.perf_counter()
                )
                with receiver._lock:
                    receiver.requests.append(received)
                    n = len(receiver.requests)
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                try:
                    answer = receiver.respond(n, received)
                    if answer is HANG:
                        receiver._release.wait(receiver.hang_limit)
                        self.close_connection = True
                        return
                    status, headers, payload = answer
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                finally:
                    with receiver._lock:
                        receiver.in_flight -= 1

            do_GET = do_POST  # noqa: N815

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hooks"

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def event_ids(self) -> list[str]:
        return [r.event["id"] for r in self.snapshot() if r.path == "/hooks"]

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 15.0) -> list[Received]:
        """Poll (bounded) until `predicate(requests)` holds; returns the requests or fails the test."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.snapshot()
            if predicate(got):
                return got
            time.sleep(0.02)
        raise AssertionError(f"receiver condition not met in {timeout}s; got {len(self.snapshot())} requests")

    def wait_count(self, count: int, timeout: float = 15.0) -> list[Received]:
        return self.wait_for(lambda reqs: len(reqs) >= count, timeout)

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll `predicate()` until it returns something truthy (bounded); returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met in {timeout}s")
        time.sleep(interval)
