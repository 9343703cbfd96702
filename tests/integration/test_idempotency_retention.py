"""Idempotency records are kept 24 hours, then purged by the timed job `idempotency.purge_expired`: on a real
database with an injected clock (no sleeping), and by a running server whose clock runs 25 hours ahead
(PAYKEEP_CLOCK_OFFSET_MS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paykeep import bootstrap
from paykeep.adapters.clock import ManualClock
from paykeep.services import idempotency
from paykeep.services.ports import Caller
from support.receiver import wait_until
from support.runtime import caller_for, manual_runtime, open_runtime
from support.server import PaykeepServer

HOUR_MS = 3600 * 1000


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Iterator[tuple[bootstrap.Runtime, ManualClock, Caller]]:
    with manual_runtime(database_url, tmp_path) as found:
        yield found


def record(rt: bootstrap.Runtime, caller: Caller, key: str) -> None:
    assert idempotency.claim(rt.deps, caller, key, "POST", "/v1/customers", "f" * 64) is None
    idempotency.store_failure(rt.deps, caller, key, 500, '{"error": {}}')


def stored(rt: bootstrap.Runtime, caller: Caller, key: str) -> dict[str, Any] | None:
    with rt.deps.begin(write=False) as uow:
        return uow.idempotency_keys.get_key(caller.account_id, caller.livemode, key)


def count_write_transactions(rt: bootstrap.Runtime) -> list[bool]:
    """From now on, every write transaction the runtime opens appends True to the returned list."""
    opened: list[bool] = []
    real = rt.deps.transaction

    def transaction(write: bool) -> Any:
        if write:
            opened.append(True)
        return real(write)

    rt.deps.transaction = transaction
    return opened


def test_records_go_after_24_hours_oldest_first_in_bounded_batches(runtime: Any) -> None:
    rt, clock, caller = runtime
    old = [f"old-{i}" for i in range(5)]
    for key in old:
        record(rt, caller, key)
    clock.advance(HOUR_MS)
    record(rt, caller, "younger")

    clock.advance(23 * HOUR_MS)  # exactly 24 h after the first five: still kept
    writes = count_write_transactions(rt)
    assert idempotency.purge_expired(rt.deps) == 0
    assert writes == [], "with nothing to purge the job only reads (no write lock, no fsync)"
    assert all(stored(rt, caller, key) for key in old)

    clock.advance(1)
    assert idempotency.purge_expired(rt.deps, batch=2, max_batches=2) == 4  # two transactions of two
    assert [key for key in old if stored(rt, caller, key)] != []
    assert idempotency.purge_expired(rt.deps, batch=2, max_batches=2) == 1
    assert idempotency.purge_expired(rt.deps) == 0
    assert [key for key in old if stored(rt, caller, key)] == []
    assert stored(rt, caller, "younger") is not None

    clock.advance(HOUR_MS)
    assert idempotency.purge_expired(rt.deps) == 1
    assert stored(rt, caller, "younger") is None


def test_a_running_server_purges_and_the_key_is_free_again(tmp_path: Path) -> None:
    srv = PaykeepServer(tmp_path / "server", env={"PAYKEEP_TIMED_JOBS_INTERVAL": "0.2"}).start()
    key = {"Idempotency-Key": "k-1"}
    try:
        with srv.client() as api:
            first = api.post("/v1/customers", data={"email": "a@example.com"}, headers=key)
            assert first.status_code == 200
            again = api.post("/v1/customers", data={"email": "a@example.com"}, headers=key)
            assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()
        srv.stop()
        srv.env["PAYKEEP_CLOCK_OFFSET_MS"] = str(25 * HOUR_MS)  # the same server, 25 hours later
        srv.start()
        caller = caller_for(srv)
        with open_runtime(srv) as rt:
            wait_until(lambda: stored(rt, caller, "k-1") is None, timeout=20)
        with srv.client() as api:
            other = api.post("/v1/customers", data={"email": "b@example.com"}, headers=key)
            assert other.status_code == 200 and "idempotent-replayed" not in other.headers
            assert other.json()["id"] != first.json()["id"] and other.json()["email"] == "b@example.com"
    finally:
        srv.close()
