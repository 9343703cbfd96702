"""checkout payment mode: a session's PaymentIntent, line items and totals; customer and setup_intent become
optional (a payment-mode session has no SetupIntent, and a customer only when one is needed)

Revision ID: 0016
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0005"  # checkout_sessions
branch_labels = None
depends_on = None

_COLUMNS = (
    ("payment_intent", sa.String(length=40)),
    ("line_items", sa.JSON()),
    ("currency", sa.String(length=3)),
    ("amount_subtotal", sa.BigInteger()),
    ("amount_total", sa.BigInteger()),
    ("submit_type", sa.String(length=20)),
    ("payment_status", sa.String(length=30)),
)


def upgrade() -> None:
    with op.batch_alter_table("checkout_sessions", schema=None) as batch_op:
        for name, kind in _COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.alter_column("customer", existing_type=sa.String(length=40), nullable=True)
        batch_op.alter_column("setup_intent", existing_type=sa.String(length=40), nullable=True)
        batch_op.create_index("ix_checkout_sessions_payment_intent", ["payment_intent"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("checkout_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_checkout_sessions_payment_intent")
        batch_op.alter_column("setup_intent", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("customer", existing_type=sa.String(length=40), nullable=False)
        for name, _kind in reversed(_COLUMNS):
            batch_op.drop_column(name)
