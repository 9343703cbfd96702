"""WebhookEndpoint (and its delivery attempts): request parameters and the JSON objects."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from paykeep.wire.params import ExpandParams, ListParams, Metadata


class WebhookEndpointCreate(ExpandParams):
    url: str = Field(..., max_length=2048, description="http(s) URL that receives the events.")
    enabled_events: list[str] = Field(..., description='Event types to send, or `["*"]` for all.')
    description: str | None = Field(None, max_length=5000)
    metadata: Metadata | None = None


class WebhookEndpointUpdate(ExpandParams):
    url: str | None = Field(None, max_length=2048)
    enabled_events: list[str] | None = None
    description: str | None = Field(None, max_length=5000)
    metadata: Metadata | None = None
    disabled: bool | None = Field(
        None, description="true disables the endpoint and cancels its pending deliveries."
    )


class WebhookEndpointRetrieve(ExpandParams):
    pass


class WebhookEndpointList(ListParams):
    pass


class WebhookAttemptList(ListParams):
    event: str | None = Field(None, description="Only attempts to deliver this event (evt_…).")


def render_webhook_endpoint(row: dict[str, Any]) -> dict[str, Any]:
    if row.get("deleted"):
        return {"id": row["id"], "object": "webhook_endpoint", "deleted": True}
    body = {
        "id": row["id"],
        "object": "webhook_endpoint",
        "api_version": row.get("api_version"),
        "application": None,
        "created": row["created"],
        "description": row.get("description"),
        "enabled_events": list(row["enabled_events"]),
        "livemode": row["livemode"],
        "metadata": row.get("metadata") or {},
        "status": row["status"],
        "url": row["url"],
    }
    if row.get("secret"):  # only in the response to the create call; never stored in clear
        body["secret"] = row["secret"]
    return body


def render_webhook_attempt(row: dict[str, Any]) -> dict[str, Any]:
    """One attempt, plus the current state of its delivery (a pending one shows its next attempt time)."""
    next_attempt = row.get("delivery_next_attempt_at") if row.get("delivery_status") == "pending" else None
    return {
        "id": row["id"],
        "object": "webhook_attempt",
        "attempt": row.get("attempt"),
        "created": row["attempted_at"],
        "delivery": row["delivery_id"],
        "delivery_next_attempt": next_attempt,
        "delivery_status": row.get("delivery_status"),
        "error": row.get("error"),
        "event": row["event_id"],
        "latency_ms": row["latency_ms"],
        "outcome": row["outcome"],
        "response_excerpt": row.get("response_excerpt"),
        "status_code": row.get("status_code"),
        "webhook_endpoint": row["endpoint_id"],
    }
