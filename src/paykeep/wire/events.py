"""Event: the JSON object (as listed, retrieved and delivered to webhooks) and the list parameters."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from paykeep.domain.events import Event
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


def render_event(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "object": "event",
        "account": event.account_id,
        "api_version": event.api_version,
        "created": event.created,
        "data": event.data,
        "livemode": event.livemode,
        "pending_webhooks": event.pending_webhooks,
        "request": {"id": event.request_id, "idempotency_key": event.idempotency_key},
        "type": event.type,
    }
