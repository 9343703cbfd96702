"""An Idempotency-Key whose request died with its process is free again after the restart (API.md §12,
issue 17 finding 8): the server is SIGKILLed under a load of keyed writes, so some keys are claimed
("running") by requests that never finish; after the restart the same requests run (200), not 409.
A key held by a process that is still alive (the test process here, as another API process would) stays
in use across the restart."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from typing import Any

import httpx
import psycopg

from support.assertions import assert_error
from support.runtime import request_in_flight
from support.server import PaykeepServer


def _running_keys(srv: PaykeepServer) -> set[str]:
    """The keys the database holds as running (read directly: the server is dead)."""
    sql = "SELECT key FROM idempotency_keys WHERE state = 'running'"
    if srv.db_url.startswith("sqlite"):
        with sqlite3.connect(srv.db_url.split("sqlite:///", 1)[1]) as conn:
            return {row[0] for row in conn.execute(sql)}
    with psycopg.connect(srv.db_url) as conn:
        return {row[0] for row in conn.execute(sql)}


def _load_then_kill(srv: PaykeepServer, sent: dict[str, dict[str, Any]]) -> set[str]:
    """Keyed POSTs from 8 threads; SIGKILL once 40 of them were answered (at most 20 s); the keys left
    running."""
    stop = threading.Event()
    answered = threading.Semaphore(0)

    def client_loop() -> None:
        with srv.client() as api:
            while not stop.is_set():
                key = f"crash-{uuid.uuid4()}"
                params = {"email": f"{uuid.uuid4().hex[:10]}@example.com", "metadata": {"n": "1"}}
                sent[key] = params
                try:
                    api.post("/v1/customers", json=params, headers={"Idempotency-Key": key})
                except httpx.HTTPError:
                    return  # the server died under us
                answered.release()

    threads = [threading.Thread(target=client_loop) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    for _ in range(40):
        if not answered.acquire(timeout=max(0.0, deadline - time.monotonic())):
            break
    srv.kill()
    stop.set()
    for t in threads:
        t.join(10)
    return _running_keys(srv)


def test_keys_of_requests_killed_mid_flight_are_free_after_restart(fresh_server: PaykeepServer) -> None:
    srv = fresh_server
    with request_in_flight(srv, "held-by-a-live-process", "/v1/customers", {"email": "alive@example.com"}):
        running: set[str] = set()
        sent: dict[str, dict[str, Any]] = {}
        for _ in range(5):  # a kill between a claim and its commit is likely under load; try a few times
            running = _load_then_kill(srv, sent) - {"held-by-a-live-process"}
            if running:
                break
            srv.start()
        assert running, "no request was in flight at any of the kills"

        srv.start()
        with srv.client() as api:
            for key in sorted(running):
                resp = api.post("/v1/customers", json=sent[key], headers={"Idempotency-Key": key})
                assert resp.status_code == 200, (key, resp.status_code, resp.text)
                assert "idempotent-replayed" not in resp.headers
                again = api.post("/v1/customers", json=sent[key], headers={"Idempotency-Key": key})
                assert again.headers.get("idempotent-replayed") == "true"
                assert again.json()["id"] == resp.json()["id"]
                found = api.get("/v1/customers", params={"email": sent[key]["email"]}).json()["data"]
                assert [c["id"] for c in found] == [resp.json()["id"]], "the killed request left nothing"
            held = api.post("/v1/customers", json={"email": "alive@example.com"},
                            headers={"Idempotency-Key": "held-by-a-live-process"})
            assert_error(held, 409, "idempotency_key_in_use")
    assert "Traceback" not in srv.logs()
