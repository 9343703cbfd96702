"""Request logs (services/request_logs.py): the rows with an `object_id` filter (any id the request named),
the batch insert of the flusher, and the retention job's purge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Table, delete, select
from sqlalchemy.sql.elements import ColumnElement

from paykeep.adapters.db.repository import TableRepository
from paykeep.adapters.db.tables.request_logs import request_log_objects

_MAX_PARAMETERS = 30_000  # per statement: SQLite allows 32,766 bound parameters, PostgreSQL 65,535


def insert_ignoring_duplicates(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """`rows` as one INSERT … VALUES (…), (…), … ON CONFLICT DO NOTHING per ~30,000 parameters.

    One statement, not an executemany: the flusher's thread then crosses into the database once per batch,
    where an executemany hands the GIL back and forth with the event loop at every row (SQLite's driver
    releases it around each step), which costs the requests on the loop far more than the insert itself.
    The SQL is written here rather than compiled by SQLAlchemy per batch size (that takes milliseconds for a
    few hundred rows); the values are the columns' Python values, as the drivers take them. ON CONFLICT DO
    NOTHING: a request id two processes both minted (their id factories' random node matched) costs one
    record, not the batch."""
    if not rows:
        return
    columns = list(table.c)
    defaults = {c.key: getattr(c.default, "arg", None) if c.default is not None and c.default.is_scalar
                else None for c in columns}
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    one = "(" + ", ".join(mark for _ in columns) + ")"
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) VALUES "
    per_statement = max(1, _MAX_PARAMETERS // len(columns))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        values = tuple(row.get(key, defaults[key]) for row in chunk for key in defaults)
        conn.exec_driver_sql(head + ", ".join([one] * len(chunk)) + " ON CONFLICT DO NOTHING", values)


class Repository(TableRepository):
    def __init__(self, conn: Connection, table: Table) -> None:
        super().__init__(conn, table)
        self.objects = request_log_objects

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """Insert the records (and a row per id in each one's `object_ids`): two statements."""
        if not rows:
            return
        insert_ignoring_duplicates(self.conn, self.table, rows)
        named = [{"object_id": object_id, "request_log_id": row["id"]}
                 for row in rows for object_id in dict.fromkeys(str(row.get("object_ids") or "").split())]
        insert_ignoring_duplicates(self.conn, self.objects, named)

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
