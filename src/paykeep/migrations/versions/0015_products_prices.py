"""products and prices: Stripe's catalogue (one-time prices), for Checkout's line_items

Revision ID: 0015
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0001"  # nothing but the foundation: the catalogue refers to no other table
branch_labels = None
depends_on = None


def _resource_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "products",
        *_resource_columns(),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("shippable", sa.Boolean(), nullable=True),
        sa.Column("statement_descriptor", sa.String(length=22), nullable=True),
        sa.Column("unit_label", sa.String(length=12), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("package_dimensions", sa.JSON(), nullable=True),
        sa.Column("marketing_features", sa.JSON(), nullable=False),
        sa.Column("default_price", sa.String(length=40), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    op.create_index("ix_products_scope", "products", ["account_id", "livemode", "deleted", "id"],
                    unique=False)
    op.create_table(
        "prices",
        *_resource_columns(),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("unit_amount", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("nickname", sa.Text(), nullable=True),
        sa.Column("lookup_key", sa.String(length=200), nullable=True),
        sa.Column("tax_behavior", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prices")),
    )
    op.create_index("ix_prices_scope", "prices", ["account_id", "livemode", "id"], unique=False)
    op.create_index("ix_prices_product", "prices", ["account_id", "livemode", "product", "id"], unique=False)
    op.create_index("ix_prices_lookup_key", "prices", ["account_id", "livemode", "lookup_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_prices_lookup_key", table_name="prices")
    op.drop_index("ix_prices_product", table_name="prices")
    op.drop_index("ix_prices_scope", table_name="prices")
    op.drop_table("prices")
    op.drop_index("ix_products_scope", table_name="products")
    op.drop_table("products")
