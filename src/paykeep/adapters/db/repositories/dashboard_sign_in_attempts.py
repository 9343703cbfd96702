"""Sign-in attempts: the generic repository plus pruning of rows older than the rate-limit needs."""

from __future__ import annotations

from sqlalchemy import delete

from paykeep.adapters.db.repository import TableRepository


class Repository(TableRepository):
    def delete_before(self, cutoff_ms: int) -> None:
        self.conn.execute(delete(self.table).where(self.table.c.attempted_at < cutoff_ms))
