"""test clocks: test_clocks, and the clock of a customer and of its PaymentIntents and Checkout Sessions

Revision ID: 0011
Revises: 0001
Depends on: 0004 (payment_intents), 0005 (checkout_sessions)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0001"
branch_labels = None
depends_on = ("0004", "0005")

_CLOCK_OF = ("customers", "payment_intents", "checkout_sessions")


def upgrade() -> None:
    op.create_table(
        "test_clocks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("frozen_time", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("target_frozen_time", sa.BigInteger(), nullable=True),
        sa.Column("deletes_after", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_clocks")),
    )
    with op.batch_alter_table("test_clocks", schema=None) as batch_op:
        batch_op.create_index("ix_test_clocks_scope", ["account_id", "livemode", "deleted", "id"],
                              unique=False)
        batch_op.create_index("ix_test_clocks_status", ["status"], unique=False)
        batch_op.create_index("ix_test_clocks_deletes_after", ["deleted", "deletes_after"], unique=False)
    for table in _CLOCK_OF:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("test_clock", sa.String(length=40), nullable=True))
            batch_op.create_index(f"ix_{table}_test_clock", ["test_clock"], unique=False)


def downgrade() -> None:
    for table in reversed(_CLOCK_OF):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_test_clock")
            batch_op.drop_column("test_clock")
    with op.batch_alter_table("test_clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_test_clocks_deletes_after")
        batch_op.drop_index("ix_test_clocks_status")
        batch_op.drop_index("ix_test_clocks_scope")
    op.drop_table("test_clocks")
