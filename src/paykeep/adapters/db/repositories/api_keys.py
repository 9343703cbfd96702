"""API keys: the generic repository plus the one lookup every request makes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from paykeep.adapters.db.repository import TableRepository, _select_rows
from paykeep.adapters.db.tables import metadata

_ACCOUNTS = metadata.tables["accounts"]


class Repository(TableRepository):
    def for_lookup(self, lookup_hash: str) -> dict[str, Any] | None:
        """The key with this keyed hash, with its account's default dialect as `account_dialect` (one query:
        every API request asks). The statement is built once and, on SQLite, run on the driver
        (repository._select_rows): building the join and its cache key on every request cost more than
        running it."""

        def build() -> Any:
            t = self.table
            return (select(t, _ACCOUNTS.c.dialect.label("account_dialect"))
                    .join(_ACCOUNTS, _ACCOUNTS.c.id == t.c.account_id)
                    .where(t.c.lookup_hash == bindparam("k_lookup_hash")))

        rows = _select_rows(self.conn, ("for_lookup", self.table), build, {"k_lookup_hash": lookup_hash})
        return rows[0] if rows else None
