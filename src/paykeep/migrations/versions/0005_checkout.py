"""checkout: checkout_sessions (hosted Checkout in setup mode)

Revision ID: 0005
Revises: 0001
Depends on: 0002 (save-card: setup_intents, payment_methods)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0001'
branch_labels = None
depends_on = '0002'


def upgrade() -> None:
    op.create_table('checkout_sessions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created', sa.BigInteger(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('customer', sa.String(length=40), nullable=False),
    sa.Column('customer_creation', sa.String(length=20), nullable=True),
    sa.Column('customer_email', sa.String(length=512), nullable=True),
    sa.Column('customer_details', sa.JSON(), nullable=True),
    sa.Column('setup_intent', sa.String(length=40), nullable=False),
    sa.Column('success_url', sa.Text(), nullable=False),
    sa.Column('cancel_url', sa.Text(), nullable=True),
    sa.Column('client_reference_id', sa.String(length=200), nullable=True),
    sa.Column('payment_method_types', sa.JSON(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.Column('completed_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkout_sessions'))
    )
    with op.batch_alter_table('checkout_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_checkout_sessions_due', ['status', 'expires_at'], unique=False)
        batch_op.create_index('ix_checkout_sessions_scope', ['account_id', 'livemode', 'id'], unique=False)
        batch_op.create_index('ix_checkout_sessions_setup_intent', ['setup_intent'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('checkout_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_checkout_sessions_setup_intent')
        batch_op.drop_index('ix_checkout_sessions_scope')
        batch_op.drop_index('ix_checkout_sessions_due')
    op.drop_table('checkout_sessions')
