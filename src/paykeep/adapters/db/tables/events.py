"""The outbox: events (frozen payloads), one delivery per subscribed endpoint, one row per attempt."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from paykeep.adapters.db.tables.base import metadata, resource_columns

events = Table(
    "events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("created", BigInteger, nullable=False),
    Column("type", String(100), nullable=False),
    Column("api_version", String(20), nullable=False),
    Column("data", JSON, nullable=False),
    Column("object_id", String(40), nullable=True),
    Column("request_id", String(40), nullable=True),
    Column("idempotency_key", String(255), nullable=True),
    Column("pending_webhooks", Integer, nullable=False, default=0),
    Index("ix_events_scope", "account_id", "livemode", "id"),
    Index("ix_events_type", "account_id", "livemode", "type", "id"),
    Index("ix_events_created", "created"),  # migration 0007: the retention job's oldest-first scan
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    *resource_columns(),
    Column("url", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("enabled_events", JSON, nullable=False),
    Column("status", String(20), nullable=False),  # enabled | disabled
    Column("api_version", String(20), nullable=True),
    # the dialect of the request that made it: its deliveries are written and signed in it
    Column("dialect", String(16), nullable=False, default="wooshpay", server_default="wooshpay"),
    Column("secret_ciphertext", LargeBinary, nullable=False),
    Column("secret_key_version", Integer, nullable=False),
    Index("ix_webhook_endpoints_scope", "account_id", "livemode", "id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("event_id", String(40), ForeignKey("events.id"), nullable=False),
    Column("endpoint_id", String(40), nullable=False),
    Column("account_id", String(40), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("status", String(20), nullable=False),  # pending | succeeded | failed | canceled
    Column("attempt_count", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=True),
    Column("claimed_until", BigInteger, nullable=True),
    Column("claimed_by", String(64), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("created", BigInteger, nullable=False),
    Column("updated", BigInteger, nullable=False),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_event", "event_id"),
    Index("ix_webhook_deliveries_endpoint", "endpoint_id", "status"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("delivery_id", String(40), ForeignKey("webhook_deliveries.id"), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("endpoint_id", String(40), nullable=False),
    Column("attempted_at", BigInteger, nullable=False),
    Column("attempt", Integer, nullable=True),  # 1-based number within its delivery (migration 0003)
    Column("status_code", Integer, nullable=True),
    Column("latency_ms", Integer, nullable=False),
    Column("outcome", String(20), nullable=False),  # succeeded | failed
    Column("error", Text, nullable=True),
    Column("response_excerpt", Text, nullable=True),
    Index("ix_webhook_attempts_endpoint", "endpoint_id", "id"),
    Index("ix_webhook_attempts_delivery", "delivery_id"),
)
