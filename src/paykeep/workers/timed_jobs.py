"""Timed jobs: each registered `job(deps) -> int` runs every few seconds, beside the API (serve) or alone
(worker).

A job does its own transactions and must be safe to run in several processes at once (re-read rows under
their lock, skip what another process already handled). `PAYKEEP_TIMED_JOBS_INTERVAL` (seconds, default 5)
sets the period. A failing job is logged and tried again on the next tick; it never stops the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from paykeep.services.ports import Deps

log = logging.getLogger("paykeep.timed_jobs")
DEFAULT_INTERVAL_S = 5.0


@dataclass(frozen=True)
class TimedJob:
    name: str
    run: Callable[[Deps], int]


def registered_jobs() -> list[TimedJob]:
    """Every slice's periodic work; add a line here for a new one."""
    from paykeep.services import (
        checkout_sessions,
        events,
        idempotency,
        payment_intents,
        request_logs,
        test_clocks,
    )

    return [TimedJob("payment_intents.expire_uncaptured", payment_intents.expire_uncaptured),
            TimedJob("checkout_sessions.expire_due_sessions", checkout_sessions.expire_due_sessions),
            TimedJob("idempotency.purge_expired", idempotency.purge_expired),
            TimedJob("events.purge_expired", events.purge_expired),
            TimedJob("request_logs.purge_expired", request_logs.purge_expired),
            TimedJob("test_clocks.run_due", test_clocks.run_due)]


def interval_from_env() -> float:
    raw = os.environ.get("PAYKEEP_TIMED_JOBS_INTERVAL", "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_INTERVAL_S
    except ValueError:
        value = DEFAULT_INTERVAL_S
    return min(max(value, 0.05), 3600.0)


async def run_once(deps: Deps, jobs: list[TimedJob]) -> dict[str, int]:
    """One tick: every job once, in a thread (they block on the database). Returns what each one did."""
    done: dict[str, int] = {}
    for job in jobs:
        try:
            done[job.name] = await asyncio.to_thread(job.run, deps)
        except Exception as exc:  # noqa: BLE001 - a job's failure must not stop the others
            log.error("timed job %s failed: %s", job.name, type(exc).__name__)
            continue
        if done[job.name]:
            log.info("timed job %s: %d done", job.name, done[job.name])
    return done


async def start(deps: Deps, jobs: list[TimedJob] | None = None,
                interval_s: float | None = None) -> Callable[[], Awaitable[None]]:
    """Start the loop; returns the async `stop()` that ends it after the tick in progress."""
    jobs = registered_jobs() if jobs is None else jobs
    interval = interval_from_env() if interval_s is None else interval_s
    stopping = asyncio.Event()

    async def loop() -> None:
        while not stopping.is_set():
            await run_once(deps, jobs)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=interval)

    task = asyncio.create_task(loop(), name="paykeep-timed-jobs")

    async def stop() -> None:
        stopping.set()
        try:
            await asyncio.wait_for(task, timeout=30)
        except TimeoutError:
            task.cancel()

    return stop
