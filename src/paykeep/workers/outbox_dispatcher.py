"""The webhook worker: an asyncio loop that claims due deliveries, sends them, and records every attempt.

- Woken on commit (`wake()`, thread-safe, called by `Runtime.wake_outbox`) so a new event goes out at once;
  it also polls every `poll_interval` for retries that came due and for deliveries other processes wrote.
- Each cycle is one database transaction (in a thread): record the attempts that finished since the last
  cycle, hand back claims it will not send, and claim more due deliveries. Claims are leases
  (`claimed_until`): if this process dies, any worker takes them over once the lease has expired.
- At most `per_endpoint` sends in flight per endpoint and `overall` in all, so a slow or dead endpoint only
  holds its own slots. A worker holds at most `prefetch` rounds of claims per endpoint (queued locally), and
  never starts a send whose lease could run out before the send's timeout (it hands the claim back).
- While sends are in flight, a cycle waits up to GATHER_WINDOW so that attempts are recorded in batches;
  a commit (a new event) cuts the wait short, so first attempts stay prompt.
- At-least-once: every attempt carries the same event id, the same body and a fresh `t=` signature.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Callable
from typing import Any, Protocol

from paykeep.services import deliveries
from paykeep.services.deliveries import Cycle, Job, Outcome
from paykeep.services.ports import Deps

log = logging.getLogger("paykeep.webhooks")


class Sender(Protocol):
    async def send(self, url: str, body: bytes, headers: dict[str, str], *, livemode: bool) -> Any: ...
    async def close(self) -> None: ...


GATHER_WINDOW = 0.01  # seconds a busy worker waits to record finished attempts together
GATHER_BATCH = 32  # ... or until this many have finished
WATCH_INTERVAL = 0.25  # seconds between checks that endpoints with queued deliveries are still enabled
Signer = Callable[[str, int, bytes, str], dict[str, str]]  # (secret, unix s, body, header name) -> headers


class OutboxDispatcher:
    def __init__(
        self,
        deps: Deps,
        sender: Sender,
        sign: Signer,
        *,
        delays: tuple[float, ...],
        timeout: float,
        jitter: float = 0.0,
        per_endpoint: int = 4,
        overall: int = 32,
        prefetch: int = 8,
        max_claimed: int = 256,
        poll_interval: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        self.deps = deps
        self.sender = sender
        self.sign = sign
        self.delays = delays
        self.jitter = jitter
        self.timeout = timeout
        self.per_endpoint = per_endpoint
        self.overall = overall
        self.claim_per_endpoint = per_endpoint * prefetch
        self.max_claimed = max_claimed
        self.poll_interval = poll_interval
        # Long enough for a send that waited one full round behind a slow endpoint's sends; a queued send
        # whose lease has become too short is handed back instead (see _pump).
        self.lease_s = 2 * timeout + 10.0
        self.rng = rng or random.Random()
        self.worker_id = f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._queues: dict[str, collections.deque[tuple[Job, float]]] = {}  # endpoint -> (job, lease end)
        self._sending: dict[str, int] = {}
        self._sending_total = 0
        # endpoint -> deliveries this worker holds (queued, sending, or waiting to be recorded)
        self._claimed: dict[str, int] = {}
        self._unsent: dict[str, Job] = {}  # delivery id -> claimed job not sent yet
        self._results: list[Outcome] = []
        self._release: list[Job] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._due: list[float] = []  # heap: monotonic times of retries this worker scheduled
        self._more = False
        self._next_watch = 0.0
        self._committed = False
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake_event = asyncio.Event()
        self._main: asyncio.Task[None] | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.create_task(self._run(), name="webhook-dispatcher")

    def wake(self) -> None:
        """Called from any thread after a commit that wrote events."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is shutting down
            loop.call_soon_threadsafe(self._on_commit)

    def _on_commit(self) -> None:
        self._committed = True
        self._wake_event.set()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming; give sends in progress `grace` seconds; record them; hand back unsent claims."""
        self._stopping = True
        self._wake_event.set()
        if self._main:  # let a cycle in progress finish (cancelling it could lose what it committed)
            with contextlib.suppress(Exception):
                await asyncio.wait({self._main}, timeout=30)
            self._main.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._main
        self._queues.clear()  # queued jobs stay in `_unsent` and are handed back below
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._release = list(
            {job.delivery_id: job for job in [*self._release, *self._unsent.values()]}.values()
        )
        with contextlib.suppress(Exception):
            await self._cycle(claim=False)
        await self.sender.close()

    # -- the cycle loop ---------------------------------------------------------------------------
    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake_event.clear()
            self._committed = False
            try:
                got = await self._cycle(claim=True)
                failures = 0
            except Exception as exc:  # the database is unavailable or busy: back off, keep running
                failures += 1
                log.warning("webhook worker cycle failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(min(5.0, 0.2 * 2**failures))
                continue
            room = self.max_claimed - sum(self._claimed.values())
            if self._results or self._release or (got and self._more and room > 0):
                await self._gather()  # let more sends finish so that the next cycle records them together
                continue
            await self._sleep()  # until a commit, a finished send, a retry coming due, or the poll

    async def _cycle(self, *, claim: bool) -> int:
        outcomes, self._results = self._results, []
        release, self._release = self._release, []
        room = max(0, self.max_claimed - sum(self._claimed.values())) if claim else 0
        watch: list[str] = []
        if self._queues and time.monotonic() >= self._next_watch:  # a few times a second is enough
            watch = [endpoint for endpoint, queue in self._queues.items() if queue]
            self._next_watch = time.monotonic() + WATCH_INTERVAL
        cycle = Cycle(
            worker_id=self.worker_id,
            outcomes=outcomes,
            limit=room,
            lease_ms=int(self.lease_s * 1000),
            claimed=dict(self._claimed),
            per_endpoint=self.claim_per_endpoint,
            release=[job.delivery_id for job in release],
            watch=watch,
        )
        started = time.monotonic()
        try:
            result = await asyncio.to_thread(
                deliveries.run_cycle, self.deps, cycle, self.delays, jitter=self.jitter, rng=self.rng
            )
        except BaseException:
            self._results = outcomes + self._results  # nothing was written: try again next cycle
            self._release = release + self._release
            raise
        for job in [o.job for o in outcomes] + release:
            self._unclaim(job)
        for endpoint in result.stopped:  # disabled or deleted meanwhile: their deliveries are canceled
            for job, _ in self._queues.pop(endpoint, ()):
                self._unclaim(job)
        self._schedule(result.retries)
        self._more = result.more
        lease_end = started + self.lease_s
        for job in result.jobs:
            self._claimed[job.endpoint_id] = self._claimed.get(job.endpoint_id, 0) + 1
            self._unsent[job.delivery_id] = job
            self._queues.setdefault(job.endpoint_id, collections.deque()).append((job, lease_end))
        self._pump()
        return len(result.jobs)

    def _unclaim(self, job: Job) -> None:
        self._unsent.pop(job.delivery_id, None)
        count = self._claimed.get(job.endpoint_id, 0) - 1
        if count > 0:
            self._claimed[job.endpoint_id] = count
        else:
            self._claimed.pop(job.endpoint_id, None)

    def _pump(self) -> None:
        """Start queued sends while their endpoint and the worker have free slots (endpoints take turns)."""
        for endpoint in list(self._queues):
            queue = self._queues[endpoint]
            while (
                queue
                and self._sending.get(endpoint, 0) < self.per_endpoint
                and self._sending_total < self.overall
            ):
                job, lease_end = queue.popleft()
                if time.monotonic() + self.timeout + 1.0 > lease_end:
                    self._release.append(job)  # the lease could expire mid-send: hand it back instead
                    continue
                self._start(job)
            if queue:  # still waiting: move to the back so that other endpoints go first next time
                self._queues[endpoint] = self._queues.pop(endpoint)
            else:
                self._queues.pop(endpoint, None)

    def _start(self, job: Job) -> None:
        self._unsent.pop(job.delivery_id, None)
        self._sending[job.endpoint_id] = self._sending.get(job.endpoint_id, 0) + 1
        self._sending_total += 1
        task = asyncio.create_task(self._deliver(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, job: Job) -> None:
        attempted_at = self.deps.clock.now_ms()
        try:
            headers = self.sign(job.secret, attempted_at // 1000, job.body, job.signature_header)
            result = await self.sender.send(job.url, job.body, headers, livemode=job.livemode)
            outcome = Outcome(
                job=job,
                attempted_at=attempted_at,
                status_code=result.status_code,
                latency_ms=result.latency_ms,
                error=result.error,
                excerpt=result.excerpt,
            )
        except asyncio.CancelledError:
            self._release.append(job)  # stopping: not recorded, the claim is handed back
            raise
        except Exception as exc:  # a bug in sending must not leak the slot: count it as a failed attempt
            log.error("webhook send raised %s", type(exc).__name__)
            outcome = Outcome(
                job=job,
                attempted_at=attempted_at,
                status_code=None,
                latency_ms=0,
                error="internal error while sending",
                excerpt=None,
            )
        finally:
            self._sending[job.endpoint_id] -= 1
            if not self._sending[job.endpoint_id]:
                del self._sending[job.endpoint_id]
            self._sending_total -= 1
        if not outcome.ok:
            log.info(
                "webhook %s to %s attempt %d failed: %s",
                job.event_id,
                job.endpoint_id,
                job.attempt,
                outcome.error or f"HTTP {outcome.status_code}",
            )
        self._results.append(outcome)
        self._pump()
        self._wake_event.set()

    # -- timing -----------------------------------------------------------------------------------
    async def _gather(self) -> None:
        """Wait up to GATHER_WINDOW while sends are in flight, unless a commit wants its event claimed now."""
        deadline = time.monotonic() + GATHER_WINDOW
        while (
            self._sending_total
            and not self._committed
            and not self._stopping
            and len(self._results) < GATHER_BATCH
        ):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._wake_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_event.wait(), remaining)
        await asyncio.sleep(0)

    async def _sleep(self) -> None:
        now = time.monotonic()
        while self._due and self._due[0] <= now:
            heapq.heappop(self._due)
        timeout = min(self.poll_interval, self._due[0] - now) if self._due else self.poll_interval
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake_event.wait(), timeout)

    def _schedule(self, retry_times_ms: list[int]) -> None:
        now_ms, now = self.deps.clock.now_ms(), time.monotonic()
        for at_ms in retry_times_ms:
            heapq.heappush(self._due, now + max(0.0, (at_ms - now_ms) / 1000))
