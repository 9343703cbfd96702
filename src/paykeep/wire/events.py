"""Event: the JSON object (as listed, retrieved and delivered to webhooks) and the list parameters."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from paykeep.wire.params import CreatedFilter, ExpandParams, ListParams


class EventRetrieve(ExpandParams):
    pass


class EventList(ListParams):
    type: str | None = Field(None, description="An event type, or a pattern with `*` (`setup_intent.*`).")
    types: list[str] | None = Field(None, description="Up to 20 exact event types (not with `type`).")
    created: CreatedFilter | int | None = None
    delivery_success: bool | None = Field(
        None, description="true: every endpoint got it (pending_webhooks = 0); false: some endpoint has not."
    )


def render_event(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "event",
        "account": row["account_id"],
        "api_version": row["api_version"],
        "created": row["created"],
        "data": row["data"],
        "livemode": row["livemode"],
        "pending_webhooks": row["pending_webhooks"],
        "request": {"id": row.get("request_id"), "idempotency_key": row.get("idempotency_key")},
        "type": row["type"],
    }
