"""dashboard sign-in attempts: a keyed hash of the e-mail alone, for the per-e-mail throttle

Revision ID: 0009
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dashboard_sign_in_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_hash", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_dashboard_sign_in_attempts_email", ["email_hash", "attempted_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dashboard_sign_in_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_dashboard_sign_in_attempts_email")
        batch_op.drop_column("email_hash")
