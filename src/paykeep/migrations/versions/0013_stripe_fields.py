"""Stripe's fields: those of the charge object that a charge keeps (billing details, receipt e-mail,
shipping, statement descriptors), an index for GET /v1/charges?customer=, and the intents'
automatic_payment_methods

Revision ID: 0013
Revises: 0004
Depends on: 0002 (setup_intents)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0004"
branch_labels = None
depends_on = "0002"

_COLUMNS = (
    ("billing_details", sa.JSON()),
    ("receipt_email", sa.String(length=512)),
    ("shipping", sa.JSON()),
    ("statement_descriptor", sa.String(length=22)),
    ("statement_descriptor_suffix", sa.String(length=22)),
)


_INTENTS = ("payment_intents", "setup_intents")


def upgrade() -> None:
    for table in _INTENTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("automatic_payment_methods", sa.JSON(), nullable=True))
    with op.batch_alter_table("charges", schema=None) as batch_op:
        for name, kind in _COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.create_index("ix_charges_customer", ["account_id", "livemode", "customer", "id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.drop_index("ix_charges_customer")
        for name, _kind in reversed(_COLUMNS):
            batch_op.drop_column(name)
    for table in reversed(_INTENTS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("automatic_payment_methods")
