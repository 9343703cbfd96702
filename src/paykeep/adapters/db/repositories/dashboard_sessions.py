"""Dashboard sessions: the generic repository plus ending every open session of a user at once."""

from __future__ import annotations

from sqlalchemy import update

from paykeep.adapters.db.repository import TableRepository


class Repository(TableRepository):
    def end_for_user(self, user_id: str, now_ms: int) -> None:
        self.conn.execute(
            update(self.table)
            .where(self.table.c.user_id == user_id, self.table.c.ended_at.is_(None))
            .values(ended_at=now_ms)
        )
