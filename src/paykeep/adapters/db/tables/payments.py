"""Charge later: payment intents, charges (one per successful authorization) and refunds."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, String, Table, Text, UniqueConstraint

from paykeep.adapters.db.tables.base import metadata, resource_columns

payment_intents = Table(
    "payment_intents",
    metadata,
    *resource_columns(),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(40), nullable=False),
    Column("amount_capturable", BigInteger, nullable=False, default=0),
    Column("amount_received", BigInteger, nullable=False, default=0),
    Column("capture_method", String(20), nullable=False),
    Column("confirmation_method", String(20), nullable=False),
    Column("client_secret", String(100), nullable=False),
    Column("customer", String(40), nullable=True),
    Column("payment_method", String(40), nullable=True),
    Column("payment_method_types", JSON, nullable=False),
    Column("payment_method_options", JSON, nullable=False),
    Column("setup_future_usage", String(20), nullable=True),
    Column("off_session", Boolean, nullable=True),
    Column("return_url", Text, nullable=True),
    Column("automatic_payment_methods", JSON, nullable=True),  # 0013
    Column("description", Text, nullable=True),
    Column("merchant_order_id", String(255), nullable=True),
    Column("receipt_email", String(512), nullable=True),
    Column("shipping", JSON, nullable=True),
    Column("statement_descriptor", String(22), nullable=True),
    Column("statement_descriptor_suffix", String(22), nullable=True),
    Column("next_action", JSON, nullable=True),
    Column("last_payment_error", JSON, nullable=True),
    Column("latest_charge", String(40), nullable=True),
    Column("cancellation_reason", String(40), nullable=True),
    Column("canceled_at", BigInteger, nullable=True),
    Column("capture_before", BigInteger, nullable=True),  # set while requires_capture
    Column("test_clock", String(40), nullable=True, index=True),  # its customer's test clock (0011)
    Index("ix_payment_intents_scope", "account_id", "livemode", "id"),
    Index("ix_payment_intents_customer", "account_id", "livemode", "customer", "id"),
    Index("ix_payment_intents_expiry", "status", "capture_before"),
)

charges = Table(
    "charges",
    metadata,
    *resource_columns(),
    Column("payment_intent", String(40), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("amount_captured", BigInteger, nullable=False, default=0),
    Column("amount_refunded", BigInteger, nullable=False, default=0),
    Column("currency", String(3), nullable=False),
    Column("captured", Boolean, nullable=False, default=False),
    Column("released", Boolean, nullable=False, default=False),  # an uncaptured authorization let go
    Column("customer", String(40), nullable=True),
    Column("payment_method", String(40), nullable=True),
    Column("payment_method_details", JSON, nullable=False),
    Column("description", Text, nullable=True),
    Column("status", String(20), nullable=False),
    Column("billing_details", JSON, nullable=True),  # 0013: the charge object's Stripe fields
    Column("receipt_email", String(512), nullable=True),
    Column("shipping", JSON, nullable=True),
    Column("statement_descriptor", String(22), nullable=True),
    Column("statement_descriptor_suffix", String(22), nullable=True),
    # At most one successful authorization per payment intent: the database refuses a second charge.
    UniqueConstraint("payment_intent"),
    Index("ix_charges_scope", "account_id", "livemode", "id"),
    Index("ix_charges_customer", "account_id", "livemode", "customer", "id"),  # GET /v1/charges?customer=
)

refunds = Table(
    "refunds",
    metadata,
    *resource_columns(),
    Column("payment_intent", String(40), nullable=False),
    Column("charge", String(40), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(40), nullable=True),
    Column("description", Text, nullable=True),
    Column("status", String(20), nullable=False),
    Column("failure_reason", String(40), nullable=True),
    Index("ix_refunds_scope", "account_id", "livemode", "id"),
    Index("ix_refunds_payment_intent", "account_id", "livemode", "payment_intent", "id"),
)
