"""The outbox writer (an event row plus one pending delivery per subscribed endpoint, in the caller's
transaction) and GET /v1/events[/{id}]."""

from __future__ import annotations

from typing import Any

from paykeep import API_VERSION
from paykeep.domain.errors import ParameterInvalid
from paykeep.domain.events import MAX_TYPES_FILTER, DomainEvent, Event, type_pattern
from paykeep.domain.events import subscribed as _subscribed
from paykeep.domain.webhooks import WebhookDelivery, WebhookEndpointStatus
from paykeep.services.common import load, page, purge_in_batches
from paykeep.services.ports import Context, Deps, iter_changed
from paykeep.wire.events import EventList
from paykeep.wire.params import created_filters

RETENTION_MS = 30 * 24 * 3600 * 1000  # events can be retrieved for 30 days (Stripe)
_ENABLED = WebhookEndpointStatus.ENABLED.value


def previous_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Stripe's `data.previous_attributes`: the old values of the top-level fields that changed."""
    return {key: before.get(key) for key in iter_changed(before, after) if key != "updated"}


def subscribed(enabled_events: list[str], event_type: str) -> bool:
    return _subscribed(enabled_events, event_type)


def record_event(ctx: Context, event: DomainEvent) -> None:
    """The outbox, a handler of every domain event: the event row and one pending delivery per subscribed
    endpoint, in the transaction of the change; the transaction runner wakes the worker after commit."""
    event_type, obj, prev = event.type, event.object, event.previous_attributes
    now = ctx.now_ms()
    event_id = ctx.new_id("evt")
    caller = ctx.caller
    endpoints = [
        e for e in ctx.uow.webhook_endpoints.find(ctx.scope, status=_ENABLED)
        if subscribed(e.enabled_events, event_type)
    ]
    data: dict[str, Any] = {"object": obj}
    if prev is not None:
        data["previous_attributes"] = prev
    ctx.uow.events.add(Event(
        id=event_id,
        account_id=caller.account_id,
        livemode=caller.livemode,
        created=now,
        type=event_type,
        api_version=API_VERSION,
        data=data,
        object_id=obj.get("id"),
        request_id=caller.request_id,
        idempotency_key=caller.idempotency_key,
        pending_webhooks=len(endpoints),
    ))
    if endpoints:  # most events have no subscriber: no deliveries repository to build then
        deliveries = ctx.uow.webhook_deliveries
        for endpoint in endpoints:
            delivery = WebhookDelivery.new(ctx.new_id("wd"), event_id, endpoint.id,
                                           account_id=caller.account_id, livemode=caller.livemode, now_ms=now)
            deliveries.add(delivery)
    ctx.emitted.append(event_id)
    ctx.deliveries_queued += len(endpoints)


def purge_expired(deps: Deps, *, batch: int = 500, max_batches: int = 100) -> int:
    """Delete events older than 30 days, with their deliveries and attempts (a timed job); returns how many
    events went. As on Stripe, an event can be retrieved for 30 days; one that still has a pending delivery
    (a worker was down for weeks) stays until that delivery ends. `batch` events per transaction,
    `max_batches` per run (common.purge_in_batches). Safe in several processes at once."""
    cutoff = deps.clock.now_ms() - RETENTION_MS
    return purge_in_batches(deps, lambda uow: uow.events, cutoff, batch=batch, max_batches=max_batches)


def retrieve_event(ctx: Context, event_id: str) -> Event:
    """GET /v1/events/{id}"""
    return load(ctx, ctx.uow.events, "event", event_id)


def list_events(ctx: Context, params: EventList) -> tuple[list[Event], bool]:
    """GET /v1/events: `type` (with `*`), `types[]`, `created[...]`, `delivery_success`, pagination.

    `delivery_success=true` lists events every subscribed endpoint has acknowledged (pending_webhooks = 0,
    which includes events no endpoint was subscribed to); `false` lists events at least one endpoint has
    not acknowledged yet (still retrying, failed, or canceled because the endpoint was disabled/deleted).
    """
    filters: dict[str, Any] = dict(created_filters(params.created))
    if params.type is not None and params.types is not None:
        raise ParameterInvalid("types", "You may not specify both `type` and `types`.")
    if params.type is not None:
        filters["type__glob"] = type_pattern(params.type)
    if params.types is not None:
        if not params.types or len(params.types) > MAX_TYPES_FILTER:
            raise ParameterInvalid("types", f"`types` takes 1 to {MAX_TYPES_FILTER} event types.")
        for value in params.types:
            if "*" in type_pattern(value, param="types"):
                raise ParameterInvalid("types", "`types` takes exact event types; use `type` for patterns.")
        filters["type__in"] = list(params.types)
    if params.delivery_success is True:
        filters["pending_webhooks"] = 0
    elif params.delivery_success is False:
        filters["pending_webhooks__gt"] = 0
    return page(ctx, ctx.uow.events, "event", params, **filters)
