"""Request logs: one row per /v1 request (services/request_logs.py writes them in batches, redacted), and one
row per object id a request named (in its path, its response or its parameters), for the "Logs" of an object.
Kept 7 days."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Table, Text

from paykeep.adapters.db.tables.base import metadata

request_logs = Table(
    "request_logs",
    metadata,
    Column("id", String(40), primary_key=True),  # the request's id (its Request-Id header)
    Column("account_id", String(40), nullable=True),  # None: no valid API key named an account
    Column("livemode", Boolean, nullable=True),
    Column("created", BigInteger, nullable=False),  # when the request arrived (ms)
    Column("method", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("dialect", String(16), nullable=True),
    Column("object_ids", Text, nullable=False, default=""),  # space-separated; request_log_objects too
    Column("params", Text, nullable=True),  # JSON, without card numbers and CVCs, the rest redacted
    Column("response_body", Text, nullable=True),  # redacted; cut after 16 KB
    Index("ix_request_logs_scope", "account_id", "livemode", "id"),
    Index("ix_request_logs_created", "created"),  # the retention job's oldest-first scan
)

request_log_objects = Table(
    "request_log_objects",
    metadata,
    Column("object_id", String(64), primary_key=True),
    Column("request_log_id", String(40), primary_key=True),
    Index("ix_request_log_objects_log", "request_log_id"),
)
