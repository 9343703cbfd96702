"""search indexes: the metadata index of customers, PaymentIntents and charges (filled from their metadata),
and customers' lower-cased e-mail

Revision ID: 0014
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0004"  # payments (payment_intents, charges); customers come with 0001 before it
branch_labels = None
depends_on = None

_SEARCHABLE = ("customers", "payment_intents", "charges")
_BATCH = 1000
_MAX_KEY, _MAX_VALUE = 40, 500


def upgrade() -> None:
    op.create_table(
        "search_metadata",
        sa.Column("object_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("object_id", "key", name=op.f("pk_search_metadata")),
    )
    with op.batch_alter_table("search_metadata", schema=None) as batch_op:
        batch_op.create_index("ix_search_metadata_lookup",
                              ["account_id", "livemode", "key", "value", "object_id"], unique=False)
    op.create_index("ix_customers_email_lower", "customers",
                    ["account_id", "livemode", "deleted", sa.text("lower(email)"), "id"], unique=False)
    _fill_the_metadata_index()


def _fill_the_metadata_index() -> None:
    """The metadata of the objects that exist already, in batches of ids (no table is read whole)."""
    conn = op.get_bind()
    index = sa.table("search_metadata", sa.column("object_id"), sa.column("key"), sa.column("account_id"),
                     sa.column("livemode"), sa.column("value"))
    for name in _SEARCHABLE:
        t = sa.table(name, sa.column("id"), sa.column("account_id"), sa.column("livemode"),
                     sa.column("metadata", sa.JSON()))
        last = ""
        while True:
            rows = conn.execute(sa.select(t.c.id, t.c.account_id, t.c.livemode, t.c.metadata)
                                .where(t.c.id > last).order_by(t.c.id).limit(_BATCH)).all()
            if not rows:
                break
            entries = [{"object_id": r.id, "key": key, "account_id": r.account_id, "livemode": r.livemode,
                        "value": str(value)}
                       for r in rows for key, value in (r.metadata or {}).items()
                       if value is not None and len(key) <= _MAX_KEY and len(str(value)) <= _MAX_VALUE]
            if entries:
                conn.execute(index.insert(), entries)
            last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_customers_email_lower", table_name="customers")
    op.drop_table("search_metadata")
