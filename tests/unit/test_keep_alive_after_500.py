"""After a 500 the connection is either still usable or the response says `Connection: close` (issue 17,
finding 3): a pooled client's next request never fails at the network level. A real uvicorn server on
127.0.0.1 with paykeep's HTTP protocols, in a thread of this process so that a service can be made to fail."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from paykeep import bootstrap
from paykeep.config import Settings
from paykeep.services import customers
from paykeep.web.http_protocol import CoalescingHttpToolsProtocol, LimitedHttpToolsProtocol


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=[CoalescingHttpToolsProtocol, LimitedHttpToolsProtocol], ids=["coalescing", "stock"])
def served(request: Any, tmp_path: Path) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path / 'paykeep.db'}"
    settings = Settings.from_env(database_url=url, key_file=tmp_path / "key")
    runtime, keys = bootstrap.initialise(settings)
    app = bootstrap.create_app(runtime, run_background=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http=request.param,
                                           log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", keys.keys[("secret", False)]
    finally:
        server.should_exit = True
        thread.join(10)
        runtime.close()


def test_a_pooled_client_goes_on_after_a_500(served, monkeypatch):
    base, key = served

    def broken(ctx: Any, customer_id: str) -> dict[str, Any]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(customers, "retrieve_customer", broken)
    one = httpx.Limits(max_connections=1)  # every request on the same pooled connection, when it lasts
    with httpx.Client(base_url=base, auth=(key, ""), limits=one, timeout=10) as client:
        for _ in range(20):
            crashed = client.get("/v1/customers/cus_0000000000000000000")
            assert crashed.status_code == 500 and crashed.json()["error"]["type"] == "api_error"
            assert crashed.headers.get("connection") == "close"  # the server hangs up after it: it says so
            assert client.get("/v1/customers", params={"limit": 1}).status_code == 200  # the next one works
