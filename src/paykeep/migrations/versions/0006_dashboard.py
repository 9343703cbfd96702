"""dashboard: users, sessions, sign-in attempts

Revision ID: 0006
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_users",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("last_sign_in", sa.BigInteger(), nullable=True),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_dashboard_users_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_users")),
        sa.UniqueConstraint("email", name=op.f("uq_dashboard_users_email")),
    )
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("ended_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["dashboard_users.id"],
                                name=op.f("fk_dashboard_sessions_user_id_dashboard_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_sessions")),
    )
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_dashboard_sessions_user", ["user_id"], unique=False)

    op.create_table(
        "dashboard_sign_in_attempts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", sa.BigInteger(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_sign_in_attempts")),
    )
    with op.batch_alter_table("dashboard_sign_in_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_dashboard_sign_in_attempts_client", ["client_hash", "attempted_at"],
                              unique=False)
        batch_op.create_index("ix_dashboard_sign_in_attempts_address", ["address_hash", "attempted_at"],
                              unique=False)
        batch_op.create_index("ix_dashboard_sign_in_attempts_at", ["attempted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dashboard_sign_in_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_dashboard_sign_in_attempts_at")
        batch_op.drop_index("ix_dashboard_sign_in_attempts_address")
        batch_op.drop_index("ix_dashboard_sign_in_attempts_client")
    op.drop_table("dashboard_sign_in_attempts")
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_dashboard_sessions_user")
    op.drop_table("dashboard_sessions")
    op.drop_table("dashboard_users")
