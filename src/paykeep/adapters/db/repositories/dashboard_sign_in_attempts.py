"""Sign-in attempts: the generic repository plus pruning of rows older than the rate-limit needs."""

from __future__ import annotations

from sqlalchemy import and_, delete, or_

from paykeep.adapters.db.repository import TableRepository


class Repository(TableRepository):
    def delete_before(self, cutoff_ms: int, succeeded_before: int | None = None) -> None:
        """Failed attempts older than `cutoff_ms`; successful ones (the addresses an e-mail is known to sign
        in from) older than `succeeded_before` (default: the same cutoff)."""
        c = self.table.c
        if succeeded_before is None:
            self.conn.execute(delete(self.table).where(c.attempted_at < cutoff_ms))
            return
        self.conn.execute(delete(self.table).where(or_(
            and_(c.succeeded.is_(False), c.attempted_at < cutoff_ms),
            and_(c.succeeded.is_(True), c.attempted_at < succeeded_before))))
