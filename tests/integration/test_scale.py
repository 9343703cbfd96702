"""Scale-out on PostgreSQL: two API processes (`serve --no-worker --workers 2`) and two delivery workers
(`paykeep worker`) on one database; 8 concurrent clients run the seed flow (customer -> save a card with a
SetupIntent -> charge it off-session with a PaymentIntent), sending every create twice with the same
Idempotency-Key, while one worker is SIGKILLed midway.

Afterwards: every event reached the receiver at least once, no (type, object) was announced under two event
ids, each event id always carried the same payload, every idempotent retry returned the original object,
and no request got a 5xx. Size: PAYKEEP_SCALE_ITERATIONS flows per client (default 5).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from support.cluster import Cluster
from support.databases import BACKEND
from support.receiver import Receiver, wait_until

pytestmark = [
    pytest.mark.scale,
    pytest.mark.skipif(BACKEND != "postgres", reason="the scale test runs on PostgreSQL only "
                       "(PAYKEEP_TEST_BACKEND=postgres); SQLite serves one machine"),
]

CLIENTS = 8
ITERATIONS = int(os.environ.get("PAYKEEP_SCALE_ITERATIONS", "5"))
CARD = {"number": "4242424242424242", "exp_month": "04", "exp_year": "2034", "cvc": "123", "name": "Scale"}


class Ledger:
    """Every response the clients got, for the 5xx check, and the objects each flow made."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: list[tuple[str, int]] = []
        self.flows: list[dict[str, str]] = []
        self.replays = 0

    def record(self, path: str, resp: httpx.Response) -> httpx.Response:
        with self.lock:
            self.statuses.append((path, resp.status_code))
        return resp


def _post(client: httpx.Client, ledger: Ledger, path: str, key: str, body: dict[str, Any]) -> httpx.Response:
    return ledger.record(path, client.post(path, json=body, headers={"Idempotency-Key": key}))


def create_twice(client: httpx.Client, ledger: Ledger, path: str, body: dict[str, Any], *,
                 race: bool = False) -> dict[str, Any]:
    """POST, then the same request with the same key: the retry must replay the original object.
    With `race`, the first two are sent at once (one may get 409 idempotency_key_in_use, never a twin)."""
    key = f"scale-{uuid.uuid4().hex}"
    if race:
        answers: list[httpx.Response] = []
        barrier = threading.Barrier(2)

        def send() -> None:
            barrier.wait(10)
            answers.append(_post(client, ledger, path, key, body))

        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        ok = [a for a in answers if a.status_code == 200]
        assert ok, [(a.status_code, a.text) for a in answers]
        for other in answers:
            if other.status_code == 409:
                assert other.json()["error"]["code"] == "idempotency_key_in_use", other.text
            else:
                assert other.status_code == 200 and other.json() == ok[0].json(), other.text
        first = ok[0]
    else:
        first = _post(client, ledger, path, key, body)
        assert first.status_code == 200, (path, first.status_code, first.text)
    again = _post(client, ledger, path, key, body)
    assert again.status_code == 200, again.text
    assert again.headers.get("idempotent-replayed") == "true", dict(again.headers)
    assert again.json() == first.json(), "an idempotent retry returned another object"
    with ledger.lock:
        ledger.replays += 1
    return first.json()  # type: ignore[no-any-return]


def seed_flow(client: httpx.Client, ledger: Ledger, tag: str) -> None:
    customer = create_twice(client, ledger, "/v1/customers", {"email": f"{tag}@example.com", "name": tag},
                            race=True)
    setup_intent = create_twice(client, ledger, "/v1/setup_intents", {
        "confirm": True, "customer": customer["id"], "payment_method_types": ["card"],
        "payment_method_data": {"type": "card", "card": CARD}, "usage": "off_session",
        "return_url": "https://merchant.example/return",
    })
    assert setup_intent["status"] == "succeeded", setup_intent
    payment_intent = create_twice(client, ledger, "/v1/payment_intents", {
        "amount": 1999, "currency": "usd", "customer": customer["id"],
        "payment_method": setup_intent["payment_method"], "payment_method_types": ["card"],
        "confirm": True, "off_session": True,
    })
    assert payment_intent["status"] == "succeeded", payment_intent
    with ledger.lock:
        ledger.flows.append({"customer": customer["id"], "setup_intent": setup_intent["id"],
                             "payment_method": setup_intent["payment_method"],
                             "payment_intent": payment_intent["id"]})


def every(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    """All objects of a list endpoint, page by page."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    for _page in range(10_000):
        page = client.get(path, params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        found.extend(body["data"])
        if not body["has_more"]:
            return found
        params["starting_after"] = body["data"][-1]["id"]
    raise AssertionError(f"too many pages of {path}")


def test_seed_flow_on_two_api_processes_and_two_workers_survives_a_killed_worker(tmp_path):
    receiver = Receiver()
    cluster = Cluster(tmp_path / "cluster")
    try:
        cluster.init()
        api = cluster.start_api(workers=2)
        assert len(api.children()) == 2, "serve --workers 2 runs two API processes"
        doomed, survivor = cluster.start_worker(), cluster.start_worker()
        with cluster.client(api) as admin:
            hook = admin.post("/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "*"})
            assert hook.status_code == 200, hook.text

        ledger = Ledger()
        total = CLIENTS * ITERATIONS
        halfway = threading.Event()

        def client_run(n: int) -> None:
            with cluster.client(api) as client:
                for i in range(ITERATIONS):
                    seed_flow(client, ledger, f"scale-{n}-{i}")
                    with ledger.lock:
                        if len(ledger.flows) >= total // 2:
                            halfway.set()

        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(client_run, n) for n in range(CLIENTS)]
            halfway.wait(600)
            doomed.signal(signal.SIGKILL)
            for f in futures:
                f.result(timeout=600)
        flows_s = time.monotonic() - started
        assert doomed.wait(10) == -signal.SIGKILL
        assert survivor.alive(), survivor.logs()

        # no request got a 5xx; every idempotent retry replayed its original
        server_errors = [(p, s) for p, s in ledger.statuses if s >= 500]
        assert not server_errors, server_errors
        assert len(ledger.flows) == total and ledger.replays == 3 * total

        with cluster.client(api) as admin:
            stored = {c["id"] for c in every(admin, "/v1/customers")}
            assert stored == {f["customer"] for f in ledger.flows}, "an idempotent retry made a second object"
            events = every(admin, "/v1/events")

        # every event the API recorded reached the receiver at least once (the survivor took over)
        expected = {e["id"] for e in events}
        wait_until(lambda: expected <= set(receiver.event_ids()), timeout=120, interval=0.1)
        received = [r for r in receiver.snapshot() if r.path == "/hooks"]
        print(f"\nscale: {total} seed flows, {len(ledger.statuses)} requests in {flows_s:.1f} s "
              f"({sum(s == 409 for _p, s in ledger.statuses)} x 409 in_use); {len(expected)} events, "
              f"{len(received)} deliveries; all delivered after {time.monotonic() - started:.1f} s")

        payloads: dict[str, dict[str, Any]] = {}
        ids_by_subject: dict[tuple[str, str], set[str]] = defaultdict(set)
        for r in received:
            event = r.event
            frozen = {k: v for k, v in event.items() if k != "pending_webhooks"}  # that one is live
            assert payloads.setdefault(event["id"], frozen) == frozen, "one event id, two payloads"
            ids_by_subject[(event["type"], event["data"]["object"]["id"])].add(event["id"])
        twins = {k: v for k, v in ids_by_subject.items() if len(v) > 1 and not k[0].endswith(".updated")}
        assert not twins, f"the same change was announced under two event ids: {twins}"

        for flow in ledger.flows:
            for subject in (("customer.created", flow["customer"]),
                            ("setup_intent.succeeded", flow["setup_intent"]),
                            ("payment_intent.succeeded", flow["payment_intent"])):
                assert subject in ids_by_subject, f"no {subject[0]} event for {subject[1]}"

        with httpx.Client(base_url=api.base_url, timeout=30) as plain:  # the outbox drains
            wait_until(lambda: "paykeep_outbox_pending_deliveries 0.0" in plain.get("/metrics").text,
                       timeout=60, interval=0.2)
    finally:
        cluster.close()
        receiver.close()
