"""events: an index on `created` for the retention job (events are kept 30 days)

Revision ID: 0007
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_created", "events", ["created"])


def downgrade() -> None:
    op.drop_index("ix_events_created", table_name="events")
