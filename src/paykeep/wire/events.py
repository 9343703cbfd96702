"""Event: the JSON object (as listed, retrieved and delivered to webhooks)."""

from __future__ import annotations

from typing import Any


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
