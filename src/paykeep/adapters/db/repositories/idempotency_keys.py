"""Idempotency records, keyed by (account_id, livemode, key)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, delete, select, tuple_, update
from sqlalchemy.exc import IntegrityError


class Repository:
    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.t = table

    def _where(self, account_id: str, livemode: bool, key: str) -> Any:
        return (self.t.c.account_id == account_id, self.t.c.livemode == livemode, self.t.c.key == key)

    def get_key(
        self, account_id: str, livemode: bool, key: str, *, for_update: bool = False
    ) -> dict[str, Any] | None:
        query = select(self.t).where(*self._where(account_id, livemode, key))
        if for_update and self.conn.dialect.name != "sqlite":
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        return dict(row) if row else None

    def insert_running(self, values: dict[str, Any]) -> bool:
        """Insert; False when a concurrent request inserted the same key first."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(self.t.insert().values(**values))
        except IntegrityError:
            return False
        return True

    def update_key(self, account_id: str, livemode: bool, key: str, values: dict[str, Any]) -> None:
        self.conn.execute(update(self.t).where(*self._where(account_id, livemode, key)).values(**values))

    def delete_key(self, account_id: str, livemode: bool, key: str) -> None:
        self.conn.execute(delete(self.t).where(*self._where(account_id, livemode, key)))

    def any_before(self, created_ms: int) -> bool:
        """Whether purge_before would delete anything (a read: no write lock while there is nothing to do)."""
        found = self.conn.execute(select(self.t.c.created).where(self.t.c.created < created_ms).limit(1))
        return found.first() is not None

    def purge_before(self, created_ms: int, limit: int) -> int:
        """Delete up to `limit` records created before `created_ms` (oldest first); returns how many."""
        key = tuple_(self.t.c.account_id, self.t.c.livemode, self.t.c.key)
        oldest = (select(self.t.c.account_id, self.t.c.livemode, self.t.c.key)
                  .where(self.t.c.created < created_ms).order_by(self.t.c.created).limit(limit))
        return int(self.conn.execute(delete(self.t).where(key.in_(oldest))).rowcount or 0)
