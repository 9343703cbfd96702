"""Hosted Checkout: checkout_sessions (setup mode)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, String, Table, Text

from paykeep.adapters.db.tables.base import metadata, resource_columns

checkout_sessions = Table(
    "checkout_sessions",
    metadata,
    *resource_columns(),
    Column("mode", String(20), nullable=False),  # setup
    Column("status", String(20), nullable=False),  # open | complete | expired
    Column("customer", String(40), nullable=False),
    Column("customer_creation", String(20), nullable=True),  # "always" when the session created the customer
    Column("customer_email", String(512), nullable=True),
    Column("customer_details", JSON, nullable=True),
    Column("setup_intent", String(40), nullable=False),
    Column("success_url", Text, nullable=False),
    Column("cancel_url", Text, nullable=True),
    Column("client_reference_id", String(200), nullable=True),
    Column("payment_method_types", JSON, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("completed_at", BigInteger, nullable=True),
    Column("test_clock", String(40), nullable=True, index=True),  # its customer's test clock (0011)
    Index("ix_checkout_sessions_scope", "account_id", "livemode", "id"),
    Index("ix_checkout_sessions_due", "status", "expires_at"),
    Index("ix_checkout_sessions_setup_intent", "setup_intent"),
)
