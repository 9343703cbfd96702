"""Events are kept 30 days, then the timed job `events.purge_expired` deletes them with their deliveries and
attempts, except an event whose delivery is still pending: on a real database with an injected clock (no
sleeping), and by a running server whose clock runs 31 days ahead (PAYKEEP_CLOCK_OFFSET_MS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from paykeep import bootstrap
from paykeep.adapters.clock import ManualClock
from paykeep.services import customers, events, webhook_endpoints
from paykeep.services.ports import Caller, Context
from paykeep.wire.customers import CustomerCreate
from paykeep.wire.webhook_endpoints import WebhookEndpointCreate
from support.receiver import Receiver, always, wait_until
from support.runtime import manual_runtime
from support.server import PaykeepServer

DAY_MS = 24 * 3600 * 1000


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Iterator[tuple[bootstrap.Runtime, ManualClock, Caller]]:
    with manual_runtime(database_url, tmp_path) as found:
        yield found


def in_transaction(rt: bootstrap.Runtime, caller: Caller, fn: Any) -> Any:
    with rt.deps.begin(write=True) as uow:
        return fn(Context(uow, rt.deps, caller))


def new_customer(rt: bootstrap.Runtime, caller: Caller) -> str:
    p = CustomerCreate.model_validate({"email": "r@example.com"})
    return str(in_transaction(rt, caller, lambda ctx: customers.create_customer(ctx, p))["id"])


def kept(rt: bootstrap.Runtime, caller: Caller) -> set[str]:
    """The object ids of the events still stored."""
    rows = in_transaction(rt, caller, lambda ctx: ctx.uow.events.find(ctx.scope, limit=1000))
    return {row["object_id"] for row in rows}


def test_events_go_after_30_days_oldest_first_unless_a_delivery_is_pending(runtime: Any) -> None:
    rt, clock, caller = runtime
    assert "ix_events_created" in {i["name"] for i in inspect(rt.db.engine).get_indexes("events")}
    old = [new_customer(rt, caller) for _ in range(5)]
    endpoint = WebhookEndpointCreate.model_validate({"url": "http://127.0.0.1:9/hook",
                                                     "enabled_events": ["customer.deleted"]})
    in_transaction(rt, caller, lambda ctx: webhook_endpoints.create_webhook_endpoint(ctx, endpoint))
    waiting = new_customer(rt, caller)
    # customer.deleted has a pending delivery (no worker runs here); its customer.created has none
    in_transaction(rt, caller, lambda ctx: customers.delete_customer(ctx, waiting))
    clock.advance(DAY_MS)
    younger = new_customer(rt, caller)

    clock.advance(29 * DAY_MS)  # exactly 30 days after the first seven events: still kept
    assert events.purge_expired(rt.deps) == 0
    assert kept(rt, caller) == {*old, waiting, younger}

    clock.advance(1)
    assert events.purge_expired(rt.deps, batch=2, max_batches=2) == 4  # two transactions of two
    assert events.purge_expired(rt.deps, batch=2, max_batches=2) == 2
    assert events.purge_expired(rt.deps) == 0
    assert kept(rt, caller) == {waiting, younger}

    clock.advance(DAY_MS)
    assert events.purge_expired(rt.deps) == 1
    assert kept(rt, caller) == {waiting}


def test_a_running_server_purges_delivered_events_and_keeps_pending_ones(tmp_path: Path) -> None:
    ok, failing = Receiver(), Receiver(always(500))
    srv = PaykeepServer(tmp_path / "server", env={
        "PAYKEEP_TIMED_JOBS_INTERVAL": "0.2", "PAYKEEP_WEBHOOK_RETRY_DELAYS": "3600,3600,3600,3600",
        "PAYKEEP_WEBHOOK_TIMEOUT": "2"}).start()
    try:
        with srv.client() as api:
            delivered_to = api.post("/v1/webhook_endpoints", data={
                "url": ok.url, "enabled_events[]": ["customer.created"]}).json()
            api.post("/v1/webhook_endpoints", data={
                "url": failing.url, "enabled_events[]": ["customer.updated"]})
            cus = api.post("/v1/customers", data={"email": "old@example.com"}).json()
            ok.wait_count(1, timeout=20)
            created = ok.requests[0].event
            api.post(f"/v1/customers/{cus['id']}", data={"name": "Old"})
            failing.wait_count(1, timeout=20)
            updated = failing.requests[0].event
            attempts = f"/v1/webhook_endpoints/{delivered_to['id']}/attempts"
            wait_until(lambda: api.get(attempts).json()["data"], timeout=20)
        srv.stop()
        srv.env["PAYKEEP_CLOCK_OFFSET_MS"] = str(31 * DAY_MS)  # the same server, 31 days later
        srv.start()
        with srv.client() as api:
            wait_until(lambda: api.get(f"/v1/events/{created['id']}").status_code == 404, timeout=20)
            assert api.get(attempts).json()["data"] == []
            pending = api.get(f"/v1/events/{updated['id']}")
            assert pending.status_code == 200 and pending.json()["pending_webhooks"] == 1
            listed = api.get("/v1/events", params={"limit": 100}).json()["data"]
            assert [e["id"] for e in listed] == [updated["id"]]
            assert api.get(f"/v1/customers/{cus['id']}").json()["name"] == "Old"  # only events go
    finally:
        srv.close()
        ok.close()
        failing.close()
