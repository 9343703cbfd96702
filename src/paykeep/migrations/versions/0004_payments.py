"""payments: payment intents, charges, refunds

Revision ID: 0004
Revises: 0001
Depends on: 0002 (save-card: payment methods, whose ids these tables reference)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = '0002'


def _resource_columns() -> list[sa.Column]:
    return [
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('created', sa.BigInteger(), nullable=False),
        sa.Column('metadata', sa.JSON(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table('payment_intents',
    *_resource_columns(),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('amount_capturable', sa.BigInteger(), nullable=False),
    sa.Column('amount_received', sa.BigInteger(), nullable=False),
    sa.Column('capture_method', sa.String(length=20), nullable=False),
    sa.Column('confirmation_method', sa.String(length=20), nullable=False),
    sa.Column('client_secret', sa.String(length=100), nullable=False),
    sa.Column('customer', sa.String(length=40), nullable=True),
    sa.Column('payment_method', sa.String(length=40), nullable=True),
    sa.Column('payment_method_types', sa.JSON(), nullable=False),
    sa.Column('payment_method_options', sa.JSON(), nullable=False),
    sa.Column('setup_future_usage', sa.String(length=20), nullable=True),
    sa.Column('off_session', sa.Boolean(), nullable=True),
    sa.Column('return_url', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('merchant_order_id', sa.String(length=255), nullable=True),
    sa.Column('receipt_email', sa.String(length=512), nullable=True),
    sa.Column('shipping', sa.JSON(), nullable=True),
    sa.Column('statement_descriptor', sa.String(length=22), nullable=True),
    sa.Column('statement_descriptor_suffix', sa.String(length=22), nullable=True),
    sa.Column('next_action', sa.JSON(), nullable=True),
    sa.Column('last_payment_error', sa.JSON(), nullable=True),
    sa.Column('latest_charge', sa.String(length=40), nullable=True),
    sa.Column('cancellation_reason', sa.String(length=40), nullable=True),
    sa.Column('canceled_at', sa.BigInteger(), nullable=True),
    sa.Column('capture_before', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_intents'))
    )
    with op.batch_alter_table('payment_intents', schema=None) as batch_op:
        batch_op.create_index('ix_payment_intents_scope', ['account_id', 'livemode', 'id'], unique=False)
        batch_op.create_index('ix_payment_intents_customer', ['account_id', 'livemode', 'customer', 'id'],
                              unique=False)
        batch_op.create_index('ix_payment_intents_expiry', ['status', 'capture_before'], unique=False)

    op.create_table('charges',
    *_resource_columns(),
    sa.Column('payment_intent', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('amount_captured', sa.BigInteger(), nullable=False),
    sa.Column('amount_refunded', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('captured', sa.Boolean(), nullable=False),
    sa.Column('released', sa.Boolean(), nullable=False),
    sa.Column('customer', sa.String(length=40), nullable=True),
    sa.Column('payment_method', sa.String(length=40), nullable=True),
    sa.Column('payment_method_details', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charges')),
    sa.UniqueConstraint('payment_intent', name=op.f('uq_charges_payment_intent'))
    )
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.create_index('ix_charges_scope', ['account_id', 'livemode', 'id'], unique=False)

    op.create_table('refunds',
    *_resource_columns(),
    sa.Column('payment_intent', sa.String(length=40), nullable=False),
    sa.Column('charge', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('failure_reason', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index('ix_refunds_scope', ['account_id', 'livemode', 'id'], unique=False)
        batch_op.create_index('ix_refunds_payment_intent', ['account_id', 'livemode', 'payment_intent', 'id'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('refunds')
    op.drop_table('charges')
    op.drop_table('payment_intents')
