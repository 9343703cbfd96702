"""A generic repository over one resource table, scoped by (account_id, livemode), with cursor pages."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, delete, func, select, update
from sqlalchemy.exc import CompileError, DBAPIError
from sqlalchemy.sql.elements import ColumnElement

Scope = tuple[str, bool]  # (account_id, livemode)

# Hot statements, built once per shape with bound parameters and reused: building a select/insert and
# computing its cache key costs far more than running it (~50-150 us against ~25 us per call). Shapes
# come from code, not from data, so this stays small; the cap only guards against a surprise.
_STATEMENTS: dict[tuple[Any, ...], Any] = {}
_SIMPLE_OPS = {"": "__eq__", "gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__", "in": "in_"}


def _statement(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = build()
        if len(_STATEMENTS) < 4096:
            _STATEMENTS[key] = stmt
    return stmt


class _DriverSelect:
    """A prebuilt SELECT compiled once for SQLite and run on the driver connection of the current transaction.

    SQLAlchemy's execution path (cache lookup, execution context, events, result proxy) costs ~20 us per
    statement, the sqlite3 call 3-7 us; on the hottest reads that was a quarter of a GET. The SQL, the
    parameter order and the type conversions are SQLAlchemy's own (compiled from the same statement, bind and
    result processors of the same column types), so rows come back exactly as `conn.execute` returns them,
    and driver errors are wrapped as SQLAlchemy wraps them (`conflict_reason` still sees a busy database)."""

    def __init__(self, stmt: Any, dialect: Any) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        self.order = list(compiled.positiontup or [])
        self.defaults = compiled.construct_params(_check=False)  # literal parameters such as LIMIT
        self.bind = dict(compiled._bind_processors)
        self.names = [c.key for c in stmt.selected_columns]
        self.convert = [(i, proc) for i, c in enumerate(stmt.selected_columns)
                        if (proc := c.type.dialect_impl(dialect).result_processor(dialect, None)) is not None]

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        values = {**self.defaults, **params}
        args = [self.bind[n](values[n]) if n in self.bind else values[n] for n in self.order]
        try:
            fetched = conn.connection.driver_connection.execute(self.sql, args).fetchall()  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise DBAPIError.instance(self.sql, args, exc, sqlite3.Error) from exc
        out = []
        for raw in fetched:
            row = dict(zip(self.names, raw, strict=True))
            for i, proc in self.convert:
                row[self.names[i]] = proc(raw[i])
            out.append(row)
        return out


_DRIVER_SELECTS: dict[tuple[Any, ...], _DriverSelect] = {}
_VIA_DRIVER = [True]  # PAYKEEP_FAST_PATH, one flag for the process (use_driver_selects)


def use_driver_selects(on: bool) -> None:
    """The fast path's SQLite reads on the driver (on), or through SQLAlchemy's own execution
    (PAYKEEP_FAST_PATH=0). One setting per process: bootstrap.build_runtime sets it (Settings.fast_path)."""
    _VIA_DRIVER[0] = on


def _select_rows(conn: Connection, key: tuple[Any, ...], build: Callable[[], Any], params: dict[str, Any],
                 *, via_driver: bool = True) -> list[dict[str, Any]]:
    """Rows of a prebuilt SELECT: via the driver on SQLite (see _DriverSelect), else via SQLAlchemy (and
    always for a statement SQLAlchemy must render per call: expanding IN lists)."""
    if not (via_driver and _VIA_DRIVER[0]) or conn.dialect.name != "sqlite":
        return [dict(r) for r in conn.execute(_statement(key, build), params).mappings().all()]
    prepared = _DRIVER_SELECTS.get(key)
    if prepared is None:
        prepared = _DriverSelect(_statement(key, build), conn.dialect)
        if len(_DRIVER_SELECTS) < 4096:
            _DRIVER_SELECTS[key] = prepared
    return prepared.rows(conn, params)


class TableRepository:
    """Rows are plain dicts keyed by column name.

    Filters: `col`, `col__in`, `col__prefix`, `col__gte|gt|lte|lt`.
    """

    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.table = table

    # -- single rows ------------------------------------------------------------------------------
    def insert(self, values: Mapping[str, Any]) -> None:
        unknown = values.keys() - self.table.c.keys()
        if unknown:  # as `.values(**values)` would say
            raise CompileError(f"Unconsumed column names: {', '.join(sorted(unknown))}")
        self.conn.execute(_statement(("insert", self.table), self.table.insert), dict(values))

    def get(self, scope: Scope, object_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        lock = for_update and self.conn.dialect.name != "sqlite"

        def build() -> Any:
            t = self.table
            query = select(t).where(t.c.id == bindparam("pk_id"), t.c.account_id == bindparam("pk_account"),
                                    t.c.livemode == bindparam("pk_livemode"))
            return query.with_for_update() if lock else query

        params = {"pk_id": object_id, "pk_account": scope[0], "pk_livemode": scope[1]}
        rows = _select_rows(self.conn, ("get", self.table, lock), build, params)  # `lock` is never SQLite
        return rows[0] if rows else None

    def get_by_id(self, object_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(self.table).where(self.table.c.id == object_id)).mappings().first()
        return dict(row) if row is not None else None

    def update(self, object_id: str, values: Mapping[str, Any]) -> None:
        if values:
            self.conn.execute(update(self.table).where(self.table.c.id == object_id).values(**values))

    def delete(self, object_id: str) -> None:
        self.conn.execute(delete(self.table).where(self.table.c.id == object_id))

    def find(self, scope: Scope | None, limit: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        given = {name: value for name, value in filters.items() if value is not None}
        if type(self)._filters is TableRepository._filters and all(
            name.partition("__")[2] in _SIMPLE_OPS for name in given
        ):
            return self._find_simple(scope, limit, given)
        query = select(self.table).where(*self._scope(scope), *self._filters(filters)).order_by(
            self.table.c.id.desc()
        )
        if limit is not None:
            query = query.limit(limit)
        return [dict(r) for r in self.conn.execute(query).mappings().all()]

    def _find_simple(self, scope: Scope | None, limit: int | None,
                     given: dict[str, Any]) -> list[dict[str, Any]]:
        """`find` for equality, comparison and `__in` filters: the same query, built once per shape."""

        def build() -> Any:
            t = self.table
            conds: list[ColumnElement[bool]] = []
            if scope is not None:
                conds += [t.c.account_id == bindparam("s_account"), t.c.livemode == bindparam("s_livemode")]
            for name in given:
                column_name, _, op = name.partition("__")
                param: Any = bindparam(f"f_{name}", expanding=op == "in")
                conds.append(getattr(t.c[column_name], _SIMPLE_OPS[op])(param))
            query = select(t).where(*conds).order_by(t.c.id.desc())
            return query.limit(limit) if limit is not None else query

        params = {f"f_{name}": list(v) if name.endswith("__in") else v for name, v in given.items()}
        if scope is not None:
            params.update(s_account=scope[0], s_livemode=scope[1])
        key = ("find", self.table, scope is not None, limit, tuple(given))
        expanding = any(name.endswith("__in") for name in given)
        return _select_rows(self.conn, key, build, params, via_driver=not expanding)

    def count(self, scope: Scope | None, **filters: Any) -> int:
        query = (
            select(func.count()).select_from(self.table).where(*self._scope(scope), *self._filters(filters))
        )
        return int(self.conn.execute(query).scalar_one())

    def count_by(self, scope: Scope | None, column: str, **filters: Any) -> dict[Any, int]:
        """Row counts per value of `column` (e.g. deliveries per status)."""
        col = self.table.c[column]
        query = select(col, func.count()).where(*self._scope(scope), *self._filters(filters)).group_by(col)
        return {value: int(n) for value, n in self.conn.execute(query).all()}

    def minimum(self, scope: Scope | None, column: str, **filters: Any) -> Any:
        """The smallest value of `column` among matching rows (None when none match)."""
        query = select(func.min(self.table.c[column])).where(*self._scope(scope), *self._filters(filters))
        return self.conn.execute(query).scalar_one()

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
                conds.append(
                    {"gt": col > value, "gte": col >= value, "lt": col < value, "lte": col <= value}[op]
                )
            else:
                raise ValueError(f"unknown filter operator {op!r}")
        return [and_(*conds)] if conds else []
