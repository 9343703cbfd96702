"""dialects: the account's default dialect, and the dialect each webhook endpoint was made in

Revision ID: 0010
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dialect", sa.String(length=16), nullable=False,
                                      server_default="wooshpay"))
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dialect", sa.String(length=16), nullable=False,
                                      server_default="wooshpay"))


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_column("dialect")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("dialect")
