"""The running server's database and keys, opened from the test process: a second paykeep process on the
same storage (as another API process of a scaled-out deployment is), for what HTTP alone cannot set up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from paykeep import bootstrap
from paykeep.adapters.clock import ManualClock
from paykeep.config import Settings
from paykeep.services import accounts, idempotency
from paykeep.services.ports import Caller
from support.server import PaykeepServer


@contextmanager
def open_runtime(server: PaykeepServer) -> Iterator[bootstrap.Runtime]:
    settings = Settings.from_env(database_url=server.db_url, key_file=server.key_file)
    runtime = bootstrap.build_runtime(settings)
    try:
        yield runtime
    finally:
        runtime.close()


START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@contextmanager
def manual_runtime(database_url: str, tmp_path: Path, **settings: Any,
                   ) -> Iterator[tuple[bootstrap.Runtime, ManualClock, Caller]]:
    """A paykeep runtime (no server) on a fresh database whose clock only moves when the test says so
    (`clock.advance(ms)`), from START_MS; with the test-mode caller of its account. For timed jobs."""
    clock = ManualClock(START_MS)
    config = Settings.from_env(database_url=database_url, key_file=tmp_path / "paykeep.key", **settings)
    runtime = bootstrap.build_runtime(config, initialise=True, clock=clock)
    keys = accounts.ensure_account(runtime.deps)
    try:
        yield runtime, clock, Caller(account_id=keys.account_id, livemode=False, request_id="req_1")
    finally:
        runtime.close()


def caller_for(server: PaykeepServer, *, livemode: bool = False) -> Caller:
    return Caller(
        account_id=str(server.keys["account"]), livemode=livemode, request_id="req_0000000000000000000"
    )


@contextmanager
def request_in_flight(
    server: PaykeepServer,
    key: str,
    path: str,
    params: dict[str, Any],
    *,
    method: str = "POST",
    livemode: bool = False,
) -> Iterator[None]:
    """Hold `key` as another process does while it runs that request; forget it afterwards (as a request
    refused before it ran does), so the key is free again."""
    with open_runtime(server) as runtime:
        caller = caller_for(server, livemode=livemode)
        stored = idempotency.claim(
            runtime.deps, caller, key, method, path, idempotency.fingerprint(runtime.deps, params)
        )
        assert stored is None, "the key was already used"
        try:
            yield
        finally:
            idempotency.release(runtime.deps, caller, key)
