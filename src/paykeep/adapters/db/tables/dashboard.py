"""The dashboard: its users, their sessions (so signing out ends them) and recent sign-in attempts."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, String, Table, Text

from paykeep.adapters.db.tables.base import metadata

dashboard_users = Table(
    "dashboard_users",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("email", String(320), nullable=False, unique=True),  # stored lower-case
    Column("password_hash", Text, nullable=False),  # scrypt$log2n$r$p$salt$key (adapters/vault/passwords.py)
    Column("role", String(20), nullable=False),  # administrator | member
    Column("created", BigInteger, nullable=False),
    Column("last_sign_in", BigInteger, nullable=True),
    Column("livemode", Boolean, nullable=False, default=False),  # the mode the user last chose
)

dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # keyed hash of the cookie's token, never the token
    Column("user_id", String(40), ForeignKey("dashboard_users.id"), nullable=False),
    Column("account_id", String(40), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("created", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, nullable=True),
    Index("ix_dashboard_sessions_user", "user_id"),
)

dashboard_sign_in_attempts = Table(
    "dashboard_sign_in_attempts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("client_hash", String(64), nullable=False),  # keyed hash of email + client address
    Column("address_hash", String(64), nullable=False),  # keyed hash of the client address alone
    Column("email_hash", String(64), nullable=True),  # keyed hash of the email alone (0009)
    Column("attempted_at", BigInteger, nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Index("ix_dashboard_sign_in_attempts_client", "client_hash", "attempted_at"),
    Index("ix_dashboard_sign_in_attempts_address", "address_hash", "attempted_at"),
    Index("ix_dashboard_sign_in_attempts_at", "attempted_at"),
    Index("ix_dashboard_sign_in_attempts_email", "email_hash", "attempted_at"),
)
