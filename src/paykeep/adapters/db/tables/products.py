"""The catalogue: products and their one-time prices (0015)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, String, Table, Text

from paykeep.adapters.db.tables.base import metadata, resource_columns

products = Table(
    "products",
    metadata,
    *resource_columns(),
    Column("name", Text, nullable=False),
    Column("updated", BigInteger, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("description", Text, nullable=True),
    Column("images", JSON, nullable=False, default=list),
    Column("url", Text, nullable=True),
    Column("shippable", Boolean, nullable=True),
    Column("statement_descriptor", String(22), nullable=True),
    Column("unit_label", String(12), nullable=True),
    Column("type", String(20), nullable=False, default="service"),
    Column("package_dimensions", JSON, nullable=True),
    Column("marketing_features", JSON, nullable=False, default=list),
    Column("default_price", String(40), nullable=True),
    Column("deleted", Boolean, nullable=False, default=False),
    Index("ix_products_scope", "account_id", "livemode", "deleted", "id"),
)

prices = Table(
    "prices",
    metadata,
    *resource_columns(),
    Column("product", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("unit_amount", BigInteger, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("nickname", Text, nullable=True),
    Column("lookup_key", String(200), nullable=True),
    Column("tax_behavior", String(20), nullable=True),
    Index("ix_prices_scope", "account_id", "livemode", "id"),
    Index("ix_prices_product", "account_id", "livemode", "product", "id"),
    Index("ix_prices_lookup_key", "account_id", "livemode", "lookup_key"),
)
