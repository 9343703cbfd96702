"""Search (GET /v1/{customers,payment_intents,charges}/search, docs/search.md): the metadata index.

`search_metadata` holds one row per metadata key of every customer, PaymentIntent and charge, written with
the object (adapters/db/search.py `SearchableRepository`), so that `metadata["key"]:"value"` is an index
lookup on SQLite and PostgreSQL alike: the metadata JSON column cannot be indexed for any key portably (an
expression index names one key; PostgreSQL's GIN wants jsonb). Object ids are unique across tables (each
has its prefix), so one index serves the three resources.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, String, Table

from paykeep.adapters.db.tables.base import metadata

search_metadata = Table(
    "search_metadata",
    metadata,
    Column("object_id", String(40), primary_key=True),
    Column("key", String(40), primary_key=True),  # domain/metadata.py: keys <= 40 characters
    Column("account_id", String(40), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("value", String(500), nullable=False),  # values <= 500 characters
    Index("ix_search_metadata_lookup", "account_id", "livemode", "key", "value", "object_id"),
)
