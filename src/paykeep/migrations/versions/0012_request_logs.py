"""request logs: every /v1 request, redacted, kept 7 days; the object ids each one named

Revision ID: 0012
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_logs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=True),
        sa.Column("livemode", sa.Boolean(), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("dialect", sa.String(length=16), nullable=True),
        sa.Column("object_ids", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_logs")),
    )
    with op.batch_alter_table("request_logs", schema=None) as batch_op:
        batch_op.create_index("ix_request_logs_scope", ["account_id", "livemode", "id"], unique=False)
        batch_op.create_index("ix_request_logs_created", ["created"], unique=False)
    op.create_table(
        "request_log_objects",
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("request_log_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("object_id", "request_log_id", name=op.f("pk_request_log_objects")),
    )
    with op.batch_alter_table("request_log_objects", schema=None) as batch_op:
        batch_op.create_index("ix_request_log_objects_log", ["request_log_id"], unique=False)


def downgrade() -> None:
    op.drop_table("request_log_objects")
    op.drop_table("request_logs")
