"""The outbox writer: an event row plus one pending delivery per subscribed endpoint, in the caller's transaction."""

from __future__ import annotations

from typing import Any

from paykeep import API_VERSION
from paykeep.services.ports import Context, iter_changed


def previous_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Stripe's `data.previous_attributes`: the old values of the top-level fields that changed."""
    return {key: before.get(key) for key in iter_changed(before, after) if key != "updated"}


def subscribed(enabled_events: list[str], event_type: str) -> bool:
    return "*" in enabled_events or event_type in enabled_events


def record_event(
    ctx: Context, event_type: str, obj: dict[str, Any], prev: dict[str, Any] | None = None
) -> str:
    """Write the event and its deliveries; the worker is woken after commit."""
    now = ctx.now_ms()
    event_id = ctx.new_id("evt")
    endpoints = [
        e for e in ctx.uow.webhook_endpoints.find(ctx.scope, status="enabled")
        if subscribed(e["enabled_events"], event_type)
    ]
    data: dict[str, Any] = {"object": obj}
    if prev is not None:
        data["previous_attributes"] = prev
    ctx.uow.events.insert(
        {
            "id": event_id,
            "account_id": ctx.caller.account_id,
            "livemode": ctx.caller.livemode,
            "created": now,
            "type": event_type,
            "api_version": API_VERSION,
            "data": data,
            "object_id": obj.get("id"),
            "request_id": ctx.caller.request_id,
            "idempotency_key": ctx.caller.idempotency_key,
            "pending_webhooks": len(endpoints),
        }
    )
    for endpoint in endpoints:
        ctx.uow.webhook_deliveries.insert(
            {
                "id": ctx.new_id("wd"),
                "event_id": event_id,
                "endpoint_id": endpoint["id"],
                "account_id": ctx.caller.account_id,
                "livemode": ctx.caller.livemode,
                "status": "pending",
                "attempt_count": 0,
                "next_attempt_at": now,
                "created": now,
                "updated": now,
            }
        )
    ctx.emitted.append(event_id)
    return event_id
