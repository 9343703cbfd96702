"""Save a card: payment methods (the number only as vault ciphertext), setup intents,
3-D Secure challenges."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, LargeBinary, String, Table, Text

from paykeep.adapters.db.tables.base import metadata, resource_columns

payment_methods = Table(
    "payment_methods",
    metadata,
    *resource_columns(),
    Column("type", String(30), nullable=False),
    Column("customer", String(40), nullable=True),
    Column("billing_details", JSON, nullable=False),
    Column("card_brand", String(20), nullable=False),
    Column("card_last4", String(4), nullable=False),
    Column("card_exp_month", Integer, nullable=False),
    Column("card_exp_year", Integer, nullable=False),
    Column("card_fingerprint", String(32), nullable=False),
    Column("card_funding", String(20), nullable=False),
    Column("card_country", String(2), nullable=True),
    Column("card_cvc_check", String(20), nullable=True),
    # AES-256-GCM under the vault's data key `card_key_version`, bound to this row's id (never the number).
    Column("card_ciphertext", LargeBinary, nullable=False),
    Column("card_key_version", Integer, nullable=False),
    Column("detached", Boolean, nullable=False, default=False),
    # Saved for off-session use by a successful setup (a SetupIntent, or a payment with setup_future_usage).
    Column("mandate", Boolean, nullable=False, default=False),
    Index("ix_payment_methods_scope", "account_id", "livemode", "id"),
    Index("ix_payment_methods_customer", "account_id", "livemode", "customer", "id"),
)

setup_intents = Table(
    "setup_intents",
    metadata,
    *resource_columns(),
    Column("status", String(40), nullable=False),
    Column("client_secret", String(100), nullable=False),
    Column("customer", String(40), nullable=True),
    Column("payment_method", String(40), nullable=True),
    Column("description", Text, nullable=True),
    Column("usage", String(20), nullable=False),
    Column("payment_method_types", JSON, nullable=False),
    Column("payment_method_options", JSON, nullable=False),
    Column("return_url", Text, nullable=True),
    Column("automatic_payment_methods", JSON, nullable=True),  # 0013
    Column("next_action", JSON, nullable=True),
    Column("last_setup_error", JSON, nullable=True),
    Column("cancellation_reason", String(40), nullable=True),
    Index("ix_setup_intents_scope", "account_id", "livemode", "id"),
    Index("ix_setup_intents_customer", "account_id", "livemode", "customer", "id"),
)

challenges = Table(
    "challenges",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("created", BigInteger, nullable=False),
    # A keyed hash of the URL's random token: the token itself is never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("intent_type", String(30), nullable=False),  # setup_intent | payment_intent
    Column("intent_id", String(40), nullable=False),
    Column("payment_method_id", String(40), nullable=False),
    Column("return_url", Text, nullable=False),
    Column("amount", BigInteger, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("status", String(20), nullable=False),  # pending | completed | failed | expired
    Column("expires_at", BigInteger, nullable=False),
    Column("answered_at", BigInteger, nullable=True),
    Index("ix_challenges_intent", "intent_id", "status"),
)
