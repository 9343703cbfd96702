"""Webhook deliveries, the worker's use cases: claim due deliveries under a lease, record attempts, resend.

A delivery is one event for one endpoint. The worker claims it (`claimed_until`: a lease, so a crashed
worker's claims are taken over once they expire), sends it, and records the attempt; the delivery then
succeeds, waits for its next attempt, or fails after the last one. Canceled deliveries (the endpoint was
disabled or deleted) are never sent.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from paykeep.domain.dialects import Dialect
from paykeep.domain.errors import InvalidRequest, ResourceMissing
from paykeep.domain.events import Event, subscribed
from paykeep.domain.webhooks import (
    AttemptOutcome,
    DeliveryAction,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    advance_delivery,
    after_attempt,
    is_success_status,
)
from paykeep.services.ports import Caller, Deps, UnitOfWork
from paykeep.services.transactions import transaction
from paykeep.services.webhook_endpoints import ENABLED, open_secret
from paykeep.wire.dialects import in_dialect
from paykeep.wire.events import render_event

_SUCCEEDED, _FAILED = AttemptOutcome.SUCCEEDED.value, AttemptOutcome.FAILED.value


@dataclass(frozen=True)
class Job:
    """One claimed attempt: everything needed to sign and send it without touching the database."""

    delivery_id: str
    event_id: str
    endpoint_id: str
    url: str
    secret: str = field(repr=False)  # in clear: never in a log line
    body: bytes
    attempt: int  # 1-based number of the attempt about to be made
    livemode: bool = False  # the endpoint's mode: which address rules the attempt goes by
    signature_header: str = Dialect.WOOSHPAY.signature_header  # the endpoint's dialect's


@dataclass(frozen=True)
class Outcome:
    job: Job
    attempted_at: int  # ms
    status_code: int | None
    latency_ms: int
    error: str | None
    excerpt: str | None

    @property
    def ok(self) -> bool:
        return self.error is None and is_success_status(self.status_code)


def event_body(event: Event, endpoint: WebhookEndpoint | None = None) -> bytes:
    """The exact bytes POSTed (and signed): the event as the API renders it in the endpoint's dialect (and,
    in Stripe's, at the endpoint's api_version), compact JSON, UTF-8."""
    body = render_event(event)
    if endpoint is not None:
        body = in_dialect(body, endpoint.dialect, endpoint.api_version)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Cycle:
    """What one worker cycle asks of the database, in one write transaction."""

    worker_id: str
    outcomes: list[Outcome]  # finished attempts to record
    limit: int  # claim at most this many due deliveries
    lease_ms: int
    claimed: Mapping[str, int]  # deliveries this worker already holds, per endpoint
    per_endpoint: int  # ... and at most this many per endpoint
    release: list[str]  # claims handed back unsent
    watch: list[str]  # endpoints with claimed, unsent deliveries: report those no longer enabled


@dataclass(frozen=True)
class CycleResult:
    jobs: list[Job]
    more: bool  # due deliveries were left behind (no room, or their endpoint was at its limit)
    retries: list[int]  # when (ms) the retries scheduled by the recorded outcomes come due
    stopped: set[str]  # watched endpoints that were disabled or deleted: drop their unsent deliveries


def run_cycle(
    deps: Deps,
    cycle: Cycle,
    delays: tuple[float, ...],
    *,
    jitter: float = 0.0,
    rng: random.Random | None = None,
) -> CycleResult:
    """Record finished attempts, hand back released claims and claim due deliveries: one commit for all."""
    busy = [endpoint for endpoint, count in cycle.claimed.items() if count >= cycle.per_endpoint]
    now = deps.clock.now_ms()
    if not cycle.outcomes and not cycle.release:  # a cheap look first: no write lock while idle
        with deps.begin(write=False) as uow:
            stopped = _stopped(uow, cycle.watch)
            if cycle.limit <= 0 or not uow.webhook_deliveries.due(now, 1, exclude_endpoints=busy):
                return CycleResult([], bool(busy), [], stopped)
    with deps.begin(write=True) as uow:  # everything below commits together, or not at all
        now = deps.clock.now_ms()
        retries = _record(uow, deps, cycle.outcomes, now, delays, jitter, rng)
        uow.webhook_deliveries.release(cycle.release, cycle.worker_id)
        stopped = _stopped(uow, cycle.watch)
        jobs, more = _claim(uow, deps, cycle, busy, now) if cycle.limit > 0 else ([], True)
    return CycleResult(jobs, more, retries, stopped)


def _claim(uow: UnitOfWork, deps: Deps, cycle: Cycle, busy: list[str], now: int) -> tuple[list[Job], bool]:
    # A bounded look-ahead: one endpoint's backlog may fill it; that endpoint is then at its limit and
    # excluded, so the next cycle sees the others.
    candidates = uow.webhook_deliveries.due(now, min(cycle.limit, 64), exclude_endpoints=busy, lock=True)
    held = dict(cycle.claimed)
    picked: list[WebhookDelivery] = []
    for delivery in candidates:
        if len(picked) >= cycle.limit:
            break
        if held.get(delivery.endpoint_id, 0) < cycle.per_endpoint:
            held[delivery.endpoint_id] = held.get(delivery.endpoint_id, 0) + 1
            picked.append(delivery)
    more = bool(busy) or len(candidates) > len(picked)
    if not picked:
        return [], more
    endpoint_ids = sorted({d.endpoint_id for d in picked})
    event_ids = sorted({d.event_id for d in picked})
    endpoints = {e.id: e for e in uow.webhook_endpoints.find(None, id__in=endpoint_ids)}
    events = {e.id: e for e in uow.events.find(None, id__in=event_ids)}
    sendable: list[WebhookDelivery] = []
    for delivery in picked:
        endpoint = endpoints.get(delivery.endpoint_id)
        if endpoint is None or endpoint.status != ENABLED:
            _cancel(uow, delivery.id, now)  # disabled or deleted: never sent
        else:
            sendable.append(delivery)
    uow.webhook_deliveries.claim([d.id for d in sendable], now + cycle.lease_ms, cycle.worker_id)
    secrets = {eid: open_secret(deps, endpoints[eid]) for eid in {d.endpoint_id for d in sendable}}
    bodies = {(d.event_id, d.endpoint_id): event_body(events[d.event_id], endpoints[d.endpoint_id])
              for d in sendable}
    jobs = [
        Job(
            delivery_id=d.id,
            event_id=d.event_id,
            endpoint_id=d.endpoint_id,
            url=endpoints[d.endpoint_id].url,
            secret=secrets[d.endpoint_id],
            body=bodies[d.event_id, d.endpoint_id],
            attempt=int(d.attempt_count or 0) + 1,
            livemode=bool(endpoints[d.endpoint_id].livemode),
            signature_header=endpoints[d.endpoint_id].dialect.signature_header,
        )
        for d in sendable
    ]
    return jobs, more


def _record(
    uow: UnitOfWork,
    deps: Deps,
    outcomes: list[Outcome],
    now: int,
    delays: tuple[float, ...],
    jitter: float,
    rng: random.Random | None,
) -> list[int]:
    """Write each attempt and move its delivery on; returns the times (ms) of the retries it scheduled.

    A delivery canceled while its attempt was in flight keeps its status; the attempt is still recorded."""
    if not outcomes:
        return []
    attempts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    retries: list[int] = []
    succeeded_events: set[str] = set()
    for outcome in outcomes:
        job = outcome.job
        attempts.append(
            {
                "id": deps.ids.new("wa"),
                "delivery_id": job.delivery_id,
                "event_id": job.event_id,
                "endpoint_id": job.endpoint_id,
                "attempted_at": outcome.attempted_at,
                "attempt": job.attempt,
                "status_code": outcome.status_code,
                "latency_ms": outcome.latency_ms,
                "outcome": _SUCCEEDED if outcome.ok else _FAILED,
                "error": outcome.error,
                "response_excerpt": outcome.excerpt,
            }
        )
        status, delay = after_attempt(job.attempt, outcome.ok, delays, rng, jitter)
        next_at = now + int(delay * 1000) if delay is not None else None
        updates.append(
            {
                "id": job.delivery_id,
                "status": str(status),
                "attempt_count": job.attempt,
                "next_attempt_at": next_at,
                "last_status_code": outcome.status_code,
                "claimed_until": None,
                "claimed_by": None,
                "updated": now,
            }
        )
        if status == DeliveryStatus.SUCCEEDED:
            succeeded_events.add(job.event_id)
        elif next_at is not None:
            retries.append(next_at)
    uow.webhook_attempts.insert_many(attempts)
    uow.webhook_deliveries.finish_many(updates)
    refresh_pending_webhooks(uow, succeeded_events)
    return retries


def _stopped(uow: UnitOfWork, endpoint_ids: list[str]) -> set[str]:
    if not endpoint_ids:
        return set()
    enabled = {e.id for e in uow.webhook_endpoints.find(None, id__in=endpoint_ids, status=ENABLED.value)}
    return set(endpoint_ids) - enabled


def release_claims(deps: Deps, delivery_ids: list[str], worker_id: str) -> None:
    """A stopping worker hands back what it claimed but did not send."""
    if delivery_ids:
        with deps.begin(write=True) as uow:
            uow.webhook_deliveries.release(delivery_ids, worker_id)


def resend_event(deps: Deps, event_id: str, endpoint_id: str | None = None) -> list[dict[str, Any]]:
    """`paykeep events resend`: a new pending delivery of the same event (same id, same payload) to each
    enabled endpoint subscribed to its type, or to the one `endpoint_id` named (enabled, same account and
    mode, subscribed or not). Returns what was queued: [{delivery, endpoint, url}]."""
    with deps.begin(write=False) as uow:
        found = uow.events.get_by_id(event_id)
    if found is None:
        raise ResourceMissing("event", event_id)
    with transaction(deps, Caller(found.account_id, found.livemode)) as ctx:
        uow, event = ctx.uow, found
        scope = ctx.scope
        if endpoint_id is not None:
            endpoint = uow.webhook_endpoints.get(scope, endpoint_id)
            if endpoint is None:
                raise ResourceMissing("webhook_endpoint", endpoint_id, param="endpoint")
            if endpoint.status != ENABLED:
                raise InvalidRequest(f"The webhook endpoint {endpoint_id} is disabled.", param="endpoint")
            endpoints = [endpoint]
        else:
            endpoints = [
                e
                for e in uow.webhook_endpoints.find(scope, status=ENABLED.value)
                if subscribed(e.enabled_events, event.type)
            ]
        now = deps.clock.now_ms()
        queued = []
        for endpoint in endpoints:
            delivery = WebhookDelivery.new(deps.ids.new("wd"), event_id, endpoint.id,
                                           account_id=event.account_id, livemode=event.livemode, now_ms=now)
            uow.webhook_deliveries.add(delivery)
            queued.append({"delivery": delivery.id, "endpoint": endpoint.id, "url": endpoint.url})
        refresh_pending_webhooks(uow, [event_id])
        ctx.deliveries_queued += len(queued)  # the runner wakes the workers after commit
    return queued


def refresh_pending_webhooks(uow: UnitOfWork, event_ids: Iterable[str]) -> None:
    """`pending_webhooks`: the endpoints each event was sent to that have not acknowledged it (2xx) yet."""
    uow.events.refresh_pending_webhooks(sorted(set(event_ids)))


def _cancel(uow: UnitOfWork, delivery_id: str, now: int) -> None:
    uow.webhook_deliveries.finish(
        delivery_id,
        {
            "status": str(advance_delivery(DeliveryAction.CANCEL)),
            "next_attempt_at": None,
            "claimed_until": None,
            "claimed_by": None,
            "updated": now,
        },
    )

