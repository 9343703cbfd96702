"""WebhookEndpoint (and its delivery attempts): request parameters and the JSON objects."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from paykeep.domain.webhooks import AttemptView, NewWebhookEndpoint, WebhookEndpoint
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


def render_webhook_endpoint(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "api_version": endpoint.api_version,
        "application": None,
        "created": endpoint.created,
        "description": endpoint.description,
        "enabled_events": list(endpoint.enabled_events),
        "livemode": endpoint.livemode,
        "metadata": endpoint.metadata or {},
        "status": str(endpoint.status),
        "url": endpoint.url,
    }


def render_new_webhook_endpoint(created: NewWebhookEndpoint) -> dict[str, Any]:
    """The answer to the create call: the only place the secret is shown (it is never stored in clear)."""
    return {**render_webhook_endpoint(created.endpoint), "secret": created.secret}


def render_deleted_webhook_endpoint(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"id": endpoint.id, "object": "webhook_endpoint", "deleted": True}


def render_webhook_attempt(view: AttemptView) -> dict[str, Any]:
    """One attempt, plus the current state of its delivery (a pending one shows its next attempt time)."""
    a, delivery = view.attempt, view.delivery
    status = str(delivery.status) if delivery is not None else None
    next_attempt = delivery.next_attempt_at if delivery is not None and status == "pending" else None
    return {
        "id": a.id,
        "object": "webhook_attempt",
        "attempt": a.attempt,
        "created": a.attempted_at,
        "delivery": a.delivery_id,
        "delivery_next_attempt": next_attempt,
        "delivery_status": status,
        "error": a.error,
        "event": a.event_id,
        "latency_ms": a.latency_ms,
        "outcome": str(a.outcome),
        "response_excerpt": a.response_excerpt,
        "status_code": a.status_code,
        "webhook_endpoint": a.endpoint_id,
    }
