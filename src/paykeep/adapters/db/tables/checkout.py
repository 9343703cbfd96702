"""Hosted Checkout: checkout_sessions (setup mode; payment mode from 0016)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, String, Table, Text

from paykeep.adapters.db.tables.base import metadata, resource_columns

checkout_sessions = Table(
    "checkout_sessions",
    metadata,
    *resource_columns(),
    Column("mode", String(20), nullable=False),  # setup | payment
    Column("status", String(20), nullable=False),  # open | complete | expired
    Column("customer", String(40), nullable=True),  # payment mode: none unless needed (0016)
    Column("customer_creation", String(20), nullable=True),  # "always" when the session created the customer
    Column("customer_email", String(512), nullable=True),
    Column("customer_details", JSON, nullable=True),
    Column("setup_intent", String(40), nullable=True),  # setup mode (0016: nullable)
    Column("success_url", Text, nullable=False),
    Column("cancel_url", Text, nullable=True),
    Column("client_reference_id", String(200), nullable=True),
    Column("payment_method_types", JSON, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("completed_at", BigInteger, nullable=True),
    Column("test_clock", String(40), nullable=True, index=True),  # its customer's test clock (0011)
    # payment mode (0016)
    Column("payment_intent", String(40), nullable=True),
    Column("line_items", JSON, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("amount_subtotal", BigInteger, nullable=True),
    Column("amount_total", BigInteger, nullable=True),
    Column("submit_type", String(20), nullable=True),
    Column("payment_status", String(30), nullable=True),
    Index("ix_checkout_sessions_scope", "account_id", "livemode", "id"),
    Index("ix_checkout_sessions_due", "status", "expires_at"),
    Index("ix_checkout_sessions_setup_intent", "setup_intent"),
    Index("ix_checkout_sessions_payment_intent", "payment_intent"),
)
