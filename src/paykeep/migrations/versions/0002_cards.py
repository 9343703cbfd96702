"""save-card: payment_methods, setup_intents, challenges (3-D Secure)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_methods',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created', sa.BigInteger(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('customer', sa.String(length=40), nullable=True),
    sa.Column('billing_details', sa.JSON(), nullable=False),
    sa.Column('card_brand', sa.String(length=20), nullable=False),
    sa.Column('card_last4', sa.String(length=4), nullable=False),
    sa.Column('card_exp_month', sa.Integer(), nullable=False),
    sa.Column('card_exp_year', sa.Integer(), nullable=False),
    sa.Column('card_fingerprint', sa.String(length=32), nullable=False),
    sa.Column('card_funding', sa.String(length=20), nullable=False),
    sa.Column('card_country', sa.String(length=2), nullable=True),
    sa.Column('card_cvc_check', sa.String(length=20), nullable=True),
    sa.Column('card_ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('card_key_version', sa.Integer(), nullable=False),
    sa.Column('detached', sa.Boolean(), nullable=False),
    sa.Column('mandate', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_methods'))
    )
    op.create_index('ix_payment_methods_customer', 'payment_methods',
                    ['account_id', 'livemode', 'customer', 'id'], unique=False)
    op.create_index('ix_payment_methods_scope', 'payment_methods',
                    ['account_id', 'livemode', 'id'], unique=False)
    op.create_table('setup_intents',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created', sa.BigInteger(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('client_secret', sa.String(length=100), nullable=False),
    sa.Column('customer', sa.String(length=40), nullable=True),
    sa.Column('payment_method', sa.String(length=40), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('usage', sa.String(length=20), nullable=False),
    sa.Column('payment_method_types', sa.JSON(), nullable=False),
    sa.Column('payment_method_options', sa.JSON(), nullable=False),
    sa.Column('return_url', sa.Text(), nullable=True),
    sa.Column('next_action', sa.JSON(), nullable=True),
    sa.Column('last_setup_error', sa.JSON(), nullable=True),
    sa.Column('cancellation_reason', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_setup_intents'))
    )
    op.create_index('ix_setup_intents_customer', 'setup_intents',
                    ['account_id', 'livemode', 'customer', 'id'], unique=False)
    op.create_index('ix_setup_intents_scope', 'setup_intents', ['account_id', 'livemode', 'id'], unique=False)
    op.create_table('challenges',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created', sa.BigInteger(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('intent_type', sa.String(length=30), nullable=False),
    sa.Column('intent_id', sa.String(length=40), nullable=False),
    sa.Column('payment_method_id', sa.String(length=40), nullable=False),
    sa.Column('return_url', sa.Text(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.Column('answered_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_challenges_token_hash'))
    )
    op.create_index('ix_challenges_intent', 'challenges', ['intent_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_challenges_intent', table_name='challenges')
    op.drop_table('challenges')
    op.drop_index('ix_setup_intents_scope', table_name='setup_intents')
    op.drop_index('ix_setup_intents_customer', table_name='setup_intents')
    op.drop_table('setup_intents')
    op.drop_index('ix_payment_methods_scope', table_name='payment_methods')
    op.drop_index('ix_payment_methods_customer', table_name='payment_methods')
    op.drop_table('payment_methods')
