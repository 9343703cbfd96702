"""API keys: the generic repository plus the one lookup every request makes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from paykeep.adapters.db.repository import TableRepository
from paykeep.adapters.db.tables import metadata

_ACCOUNTS = metadata.tables["accounts"]


class Repository(TableRepository):
    def for_lookup(self, lookup_hash: str) -> dict[str, Any] | None:
        """The key with this keyed hash, with its account's default dialect as `account_dialect` (one query:
        every API request asks)."""
        t = self.table
        query = (select(t, _ACCOUNTS.c.dialect.label("account_dialect"))
                 .join(_ACCOUNTS, _ACCOUNTS.c.id == t.c.account_id)
                 .where(t.c.lookup_hash == lookup_hash))
        row = self.conn.execute(query).mappings().first()
        return dict(row) if row is not None else None
