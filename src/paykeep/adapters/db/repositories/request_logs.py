"""Request logs (services/request_logs.py): the rows with an `object_id` filter (any id the request named),
the batch insert of the flusher, and the retention job's purge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from paykeep.adapters.db.repository import TableRepository
from paykeep.adapters.db.tables.request_logs import request_log_objects

_INSERTS: dict[tuple[str, str], Any] = {}


def _insert_ignoring_duplicates(table: Table, dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING, built once per table and database: a request id two processes both
    minted (their id factories' random node matched) costs one record, not the batch. Run with a list of
    rows it is one executemany (SQLite) or one INSERT … VALUES (…), (…) (PostgreSQL, SQLAlchemy's
    insertmanyvalues)."""
    key = (table.name, dialect)
    stmt = _INSERTS.get(key)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = _INSERTS[key] = insert(table).on_conflict_do_nothing()
    return stmt


class Repository(TableRepository):
    def __init__(self, conn: Connection, table: Table) -> None:
        super().__init__(conn, table)
        self.objects = request_log_objects

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """Insert the records (and a row per id in each one's `object_ids`) in two statements."""
        if not rows:
            return
        dialect = self.conn.dialect.name
        self.conn.execute(_insert_ignoring_duplicates(self.table, dialect), rows)
        named = [{"object_id": object_id, "request_log_id": row["id"]}
                 for row in rows for object_id in dict.fromkeys(str(row.get("object_ids") or "").split())]
        if named:
            self.conn.execute(_insert_ignoring_duplicates(self.objects, dialect), named)

    def _filters(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        """TableRepository's filters, and `object_id`: the records that named this id."""
        rest = dict(filters)
        object_id = rest.pop("object_id", None)
        conds = super()._filters(rest)
        if object_id is not None:
            o = self.objects
            conds.append(self.table.c.id.in_(select(o.c.request_log_id).where(o.c.object_id == object_id)))
        return conds

    def _oldest(self, created_ms: int, limit: int) -> list[str]:
        t = self.table
        query = select(t.c.id).where(t.c.created < created_ms).order_by(t.c.created).limit(limit)
        return list(self.conn.execute(query).scalars())

    def any_before(self, created_ms: int) -> bool:
        """Whether purge_before would delete anything (a read: no write lock while there is nothing to do)."""
        return bool(self._oldest(created_ms, 1))

    def purge_before(self, created_ms: int, limit: int) -> int:
        """Delete up to `limit` records created before `created_ms` (oldest first) with their object rows;
        returns how many records went."""
        ids = self._oldest(created_ms, limit)
        if not ids:
            return 0
        o = self.objects
        self.conn.execute(delete(o).where(o.c.request_log_id.in_(ids)))
        return int(self.conn.execute(delete(self.table).where(self.table.c.id.in_(ids))).rowcount or 0)
