"""Test clocks (domain/test_clocks.py); their customers, PaymentIntents and Checkout Sessions name them in
a `test_clock` column of their own tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, String, Table

from paykeep.adapters.db.tables.base import metadata, resource_columns

test_clocks = Table(
    "test_clocks",
    metadata,
    *resource_columns(),
    Column("name", String(300), nullable=True),
    Column("frozen_time", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),  # ready | advancing
    Column("target_frozen_time", BigInteger, nullable=True),  # set while advancing
    Column("deletes_after", BigInteger, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Index("ix_test_clocks_scope", "account_id", "livemode", "deleted", "id"),
    Index("ix_test_clocks_status", "status"),
    Index("ix_test_clocks_deletes_after", "deleted", "deletes_after"),
)
