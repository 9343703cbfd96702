"""Webhook delivery attempts: the generic repository plus a batch insert for the worker."""

from __future__ import annotations

from typing import Any

from paykeep.adapters.db.repository import TableRepository


class Repository(TableRepository):
    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(self.table.insert(), rows)
