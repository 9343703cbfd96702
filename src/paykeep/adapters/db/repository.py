"""A generic repository over one resource table, scoped by (account_id, livemode), with cursor pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, func, select, update
from sqlalchemy.sql.elements import ColumnElement

Scope = tuple[str, bool]  # (account_id, livemode)


class TableRepository:
    """Rows are plain dicts keyed by column name. Filters: `col`, `col__in`, `col__prefix`, `col__gte|gt|lte|lt`."""

    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.table = table

    # -- single rows ------------------------------------------------------------------------------
    def insert(self, values: Mapping[str, Any]) -> None:
        self.conn.execute(self.table.insert().values(**values))

    def get(self, scope: Scope, object_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(self.table).where(self.table.c.id == object_id, *self._scope(scope))
        if for_update and self.conn.dialect.name != "sqlite":
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        return dict(row) if row is not None else None

    def get_by_id(self, object_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(self.table).where(self.table.c.id == object_id)).mappings().first()
        return dict(row) if row is not None else None

    def update(self, object_id: str, values: Mapping[str, Any]) -> None:
        if values:
            self.conn.execute(update(self.table).where(self.table.c.id == object_id).values(**values))

    def delete(self, object_id: str) -> None:
        self.conn.execute(delete(self.table).where(self.table.c.id == object_id))

    def find(self, scope: Scope | None, limit: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        query = select(self.table).where(*self._scope(scope), *self._filters(filters)).order_by(
            self.table.c.id.desc()
        )
        if limit is not None:
            query = query.limit(limit)
        return [dict(r) for r in self.conn.execute(query).mappings().all()]

    def count(self, scope: Scope | None, **filters: Any) -> int:
        query = select(func.count()).select_from(self.table).where(*self._scope(scope), *self._filters(filters))
        return int(self.conn.execute(query).scalar_one())

    # -- pages ------------------------------------------------------------------------------------
    def page(
        self,
        scope: Scope,
        *,
        limit: int,
        starting_after: str | None = None,
        ending_before: str | None = None,
        **filters: Any,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Newest first. Returns (rows, has_more)."""
        conds: list[ColumnElement[bool]] = [*self._scope(scope), *self._filters(filters)]
        col = self.table.c.id
        if ending_before is not None:
            query = select(self.table).where(*conds, col > ending_before).order_by(col.asc()).limit(limit + 1)
            rows = [dict(r) for r in self.conn.execute(query).mappings().all()]
            has_more = len(rows) > limit
            return list(reversed(rows[:limit])), has_more
        if starting_after is not None:
            conds.append(col < starting_after)
        query = select(self.table).where(*conds).order_by(col.desc()).limit(limit + 1)
        rows = [dict(r) for r in self.conn.execute(query).mappings().all()]
        return rows[:limit], len(rows) > limit

    # -- helpers ----------------------------------------------------------------------------------
    def _scope(self, scope: Scope | None) -> Sequence[ColumnElement[bool]]:
        if scope is None:
            return ()
        account_id, livemode = scope
        return (self.table.c.account_id == account_id, self.table.c.livemode == livemode)

    def _filters(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        for name, value in filters.items():
            if value is None:
                continue
            column_name, _, op = name.partition("__")
            col = self.table.c[column_name]
            if op == "":
                conds.append(col == value)
            elif op == "in":
                conds.append(col.in_(list(value)))
            elif op == "prefix":
                conds.append(col.startswith(value, autoescape=True))
            elif op == "isnull":
                conds.append(col.is_(None) if value else col.is_not(None))
            elif op in ("gt", "gte", "lt", "lte"):
                conds.append({"gt": col > value, "gte": col >= value, "lt": col < value, "lte": col <= value}[op])
            else:
                raise ValueError(f"unknown filter operator {op!r}")
        return [and_(*conds)] if conds else []
