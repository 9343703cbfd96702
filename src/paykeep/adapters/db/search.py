"""Search as SQL (GET /v1/{customers,payment_intents,charges,products,prices}/search; the language is
domain/search.py).

A compiled query (domain/search.py `CompiledQuery`) becomes one WHERE clause beside the caller's scope,
newest first (ids are time-ordered), the same on SQLite and PostgreSQL:
- columns by name; the charge's card and billing fields by JSON path (`payment_method_details` ->
  `card` -> `last4`), as SQLAlchemy writes it for each backend (JSON_EXTRACT / `#>>`);
- string fields case-insensitively (`lower(x) = lower(:v)`; customers' e-mail has an index on
  `lower(email)`), `~` as a LIKE with the value's wildcards escaped;
- metadata through `search_metadata` (tables/search.py), which `SearchableRepository` keeps in step with
  the objects' metadata on every add, save and delete: `metadata["k"]:"v"` is an index lookup;
- every condition is two-valued (a null field matches no value), so a negation (`-email:"x"`) keeps the
  objects whose field is empty, as Stripe's does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import Table, and_, delete, false, func, insert, literal, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from paykeep.adapters.db.entities import EntityRepository
from paykeep.adapters.db.repository import Scope, TableRepository
from paykeep.adapters.db.tables.search import search_metadata
from paykeep.domain.entity import Entity
from paykeep.domain.metadata import MAX_KEY_LEN, MAX_VALUE_LEN
from paykeep.domain.search import CompiledQuery, Condition, FieldKind

E = TypeVar("E", bound=Entity)
_MISSING = object()


def field_expression(table: Table, name: str, kind: FieldKind) -> ColumnElement[Any]:
    """The SQL value of a search field of `table` (domain/search.py FIELDS names them)."""
    c = table.c
    if table.name == "charges" and name == "refunded":  # as wire/charges.py render_charge says it
        fully = and_(c.captured, c.amount_captured > 0, c.amount_refunded >= c.amount_captured)
        return or_(c.released, fully)
    if table.name == "charges" and name == "disputed":  # paykeep has no disputes
        return false()
    if table.name == "prices" and name == "type":  # every paykeep price is one-time
        return literal("one_time")
    if "." in name:
        column, *path = name.split(".")
        element = c[column][tuple(path)]
        return element.as_integer() if kind is FieldKind.NUMBER else element.as_string()
    return c[name]


_ESCAPE = "/"  # as SQLAlchemy's own autoescape: a backslash would need quoting differently per backend


def _escaped_like(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """`%value%` for LIKE … ESCAPE '/', the value's own `/`, `%` and `_` taken literally."""
    for char in (_ESCAPE, "%", "_"):
        value = func.replace(value, char, _ESCAPE + char)
    return literal("%") + value + literal("%")


def condition(table: Table, scope: Scope, cond: Condition) -> ColumnElement[bool]:
    positive: ColumnElement[bool]
    if cond.kind is FieldKind.METADATA:
        m = search_metadata.c
        keyed = select(m.object_id).where(m.account_id == scope[0], m.livemode == scope[1], m.key == cond.key)
        if cond.match == "null":  # no such key
            positive = not_(table.c.id.in_(keyed))
        else:
            positive = table.c.id.in_(keyed.where(m.value == cond.value))
        return not_(positive) if cond.negated else positive
    expr = field_expression(table, cond.field, cond.kind)
    if cond.match == "null":
        positive = expr.is_(None)
    elif cond.kind is FieldKind.BOOLEAN:
        positive = expr if cond.value else not_(expr)
    elif cond.match == "range":
        assert isinstance(cond.value, tuple)
        low, high = cond.value
        parts: list[ColumnElement[bool]] = [expr.is_not(None)]
        if low is not None:
            parts.append(expr >= low)
        if high is not None:
            parts.append(expr <= high)
        positive = and_(*parts)
    elif cond.match == "contains":
        pattern = _escaped_like(func.lower(literal(cond.value)))
        positive = and_(expr.is_not(None), func.lower(expr).like(pattern, escape=_ESCAPE))
    elif cond.kind is FieldKind.STRING:
        positive = and_(expr.is_not(None), func.lower(expr) == func.lower(literal(cond.value)))
    else:
        positive = and_(expr.is_not(None), expr == cond.value)
    return not_(positive) if cond.negated else positive


def where(table: Table, scope: Scope, query: CompiledQuery) -> ColumnElement[bool]:
    parts = [condition(table, scope, c) for c in query.conditions]
    return or_(*parts) if query.joiner == "OR" else and_(*parts)


class SearchableRepository(EntityRepository[E]):
    """An EntityRepository whose records can be searched (services/ports.py `Searchable`): it keeps the
    table's metadata index (`search_metadata`) in step with the records' metadata."""

    def __init__(self, rows: TableRepository, entity: type[E]) -> None:
        super().__init__(rows, entity)
        self.table = rows.table
        self.conn = rows.conn

    # -- search --------------------------------------------------------------------------------------
    def search(self, scope: Scope, query: CompiledQuery, *, limit: int, after: str | None = None,
               **filters: Any) -> tuple[list[E], bool]:
        """Newest first, at most `limit`, older than the id `after` (the previous page's last); and whether
        more match."""
        conds = self._conditions(scope, query, filters)
        if after is not None:
            conds.append(self.table.c.id < after)
        stmt = select(self.table).where(*conds).order_by(self.table.c.id.desc()).limit(limit + 1)
        rows = [dict(r) for r in self.conn.execute(stmt).mappings().all()]
        return self._many(rows[:limit]), len(rows) > limit

    def search_count(self, scope: Scope, query: CompiledQuery, **filters: Any) -> int:
        stmt = select(func.count()).select_from(self.table).where(*self._conditions(scope, query, filters))
        return int(self.conn.execute(stmt).scalar_one())

    def _conditions(self, scope: Scope, query: CompiledQuery,
                    filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        return [*self.rows._scope(scope), *self.rows._filters(filters), where(self.table, scope, query)]

    # -- the metadata index, in step with the records -----------------------------------------------------
    def add(self, item: E) -> None:
        super().add(item)
        self._index(item, replace=False)

    def save(self, item: E) -> None:
        before = self._seen.get(item["id"])
        previous = before.get("metadata", _MISSING) if before is not None else _MISSING
        super().save(item)
        if previous is _MISSING or previous != item["metadata"]:
            self._index(item, replace=True)

    def delete(self, object_id: str) -> None:
        super().delete(object_id)
        self.conn.execute(delete(search_metadata).where(search_metadata.c.object_id == object_id))

    def _index(self, item: E, *, replace: bool) -> None:
        object_id = item["id"]
        if replace:
            self.conn.execute(delete(search_metadata).where(search_metadata.c.object_id == object_id))
        entries = [{"object_id": object_id, "key": key, "account_id": item["account_id"],
                    "livemode": item["livemode"], "value": str(value)}
                   for key, value in (item["metadata"] or {}).items()
                   # what domain/metadata.py lets in; anything else could not be asked for either
                   if value is not None and len(key) <= MAX_KEY_LEN and len(str(value)) <= MAX_VALUE_LEN]
        if entries:
            self.conn.execute(insert(search_metadata), entries)
