"""Entities in and out of rows: the only place a stored record becomes an aggregate and back.

An aggregate's fields are its table's columns of the same names (columns it does not name, such as the
vault's ciphertext, stay in the adapters); a field typed with an enum (a status) is read back as that enum."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import operator
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from paykeep.adapters.db.repository import Scope, TableRepository
from paykeep.domain.entity import Entity

E = TypeVar("E", bound=Entity)
_KEY = ("id", "account_id", "livemode", "created")


class _Mapping:
    """How one entity class is read from a row: its field names and the converters of its enum fields.

    `items(row)` picks the fields' values out of a row in one call (KeyError when the row lacks one); when
    every field is an ordinary positional __init__ parameter, the entity is built from them positionally."""

    def __init__(self, entity: type[Entity]) -> None:
        hints = typing.get_type_hints(entity)
        fields = dataclasses.fields(entity)  # type: ignore[arg-type]
        self.names = tuple(f.name for f in fields)
        self.converters: dict[str, Callable[[Any], Any]] = {}
        for name in self.names:
            enum_type = _enum_of(hints[name])
            if enum_type is not None:
                self.converters[name] = _converter(enum_type)
        self.by_index = tuple((self.names.index(name), convert) for name, convert in self.converters.items())
        parameters = inspect.signature(entity).parameters.values()
        self.positional = len(self.names) > 1 and tuple(
            p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD) == self.names
        self.items = operator.itemgetter(*self.names)


def _converter(enum_type: type[enum.Enum]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else enum_type(value)


def _enum_of(hint: Any) -> type[enum.Enum] | None:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        for arg in typing.get_args(hint):
            found = _enum_of(arg)
            if found is not None:
                return found
    return None


_MAPPINGS: dict[type[Entity], _Mapping] = {}


def mapping_of(entity: type[Entity]) -> _Mapping:
    found = _MAPPINGS.get(entity)
    if found is None:
        found = _MAPPINGS[entity] = _Mapping(entity)
    return found


def to_entity(entity: type[E], row: Mapping[str, Any]) -> E:
    m = mapping_of(entity)
    if m.positional:  # the usual case, a whole row: its values in field order, in one call
        try:
            picked = m.items(row)
        except KeyError:
            pass
        else:
            if not m.by_index:
                return entity(*picked)
            ordered = list(picked)
            for i, convert in m.by_index:
                ordered[i] = convert(ordered[i])
            return entity(*ordered)
    values = {name: row[name] for name in m.names if name in row}
    for name, convert in m.converters.items():
        if name in values:
            values[name] = convert(values[name])
    return entity(**values)


class _Shape:
    """An entity class's field names and a getter of all their values at once (what `to_row` reads)."""

    def __init__(self, entity: type[Entity]) -> None:
        self.names = tuple(f.name for f in dataclasses.fields(entity))  # type: ignore[arg-type]
        getter = operator.attrgetter(*self.names)
        self.values: Callable[[Entity], tuple[Any, ...]] = (
            getter if len(self.names) > 1 else lambda item: (getter(item),))


_SHAPES: dict[type[Entity], _Shape] = {}
# Values stored as they are; any other type (an enum member among them) takes the per-value look.
_PLAIN = frozenset({str, int, bool, float, type(None), dict, list, bytes})


def to_row(item: Entity) -> dict[str, Any]:
    """Field name -> value (`item.fields()`); enums are stored as their values."""
    shape = _SHAPES.get(type(item))
    if shape is None:
        shape = _SHAPES[type(item)] = _Shape(type(item))
    values = shape.values(item)
    if _PLAIN.issuperset(map(type, values)):
        return dict(zip(shape.names, values, strict=True))
    return {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in zip(shape.names, values, strict=True)}


def _json_copy(value: Any) -> Any:
    """A copy of a JSON column's value deep enough that changing the entity's copy cannot change it."""
    if isinstance(value, dict):
        return {k: _json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_copy(v) for v in value]
    return value


class EntityRepository(Generic[E]):
    """A table's records as entities of one class, over the generic TableRepository (scope, filters, pages).

    `save` writes only the fields that differ from the record as this transaction read (or added) it: a use
    case that changes one field of a record it did not lock (the mandate of a PaymentMethod used by a confirm)
    never writes back the others, so a concurrent change of them (a detach) is not undone.

    Filters: `field`, `field__in`, `field__prefix`, `field__gte|gt|lte|lt` (TableRepository's)."""

    def __init__(self, rows: TableRepository, entity: type[E]) -> None:
        self.rows = rows
        self.entity = entity
        self._seen: dict[str, dict[str, Any]] = {}  # id -> the stored values this transaction knows

    def _remember(self, row: Mapping[str, Any]) -> None:
        seen = dict(row)
        for k, v in row.items():
            if isinstance(v, (dict, list)):  # only JSON values need a copy; the rest are immutable
                seen[k] = _json_copy(v)
        self._seen[row["id"]] = seen

    def _many(self, rows: list[dict[str, Any]]) -> list[E]:
        for row in rows:
            self._remember(row)
        return [to_entity(self.entity, r) for r in rows]

    def _one(self, row: Mapping[str, Any] | None) -> E | None:
        if row is None:
            return None
        self._remember(row)
        return to_entity(self.entity, row)

    def get(self, scope: Scope, object_id: str, *, for_update: bool = False) -> E | None:
        return self._one(self.rows.get(scope, object_id, for_update=for_update))

    def get_by_id(self, object_id: str) -> E | None:
        return self._one(self.rows.get_by_id(object_id))

    def add(self, item: E) -> None:
        values = to_row(item)
        self.rows.insert(values)
        # What was just written, as written (no copy: the entity holds these values and entities are never
        # changed in place; most added records, events and deliveries, are never saved again).
        self._seen[values["id"]] = values

    def save(self, item: E) -> None:
        """Store the fields that changed since this transaction read the record (every field but the key
        when it did not read it)."""
        values = to_row(item)
        object_id = values["id"]
        before = self._seen.get(object_id)
        changed = {k: v for k, v in values.items()
                   if k not in _KEY and (before is None or k not in before or before[k] != v)}
        if changed:
            self.rows.update(object_id, changed)
            self._seen[object_id] = values

    def delete(self, object_id: str) -> None:
        self.rows.delete(object_id)

    def find(self, scope: Scope | None, limit: int | None = None, **filters: Any) -> list[E]:
        return self._many(self.rows.find(scope, limit, **filters))

    def count(self, scope: Scope | None, **filters: Any) -> int:
        return self.rows.count(scope, **filters)

    def page(self, scope: Scope, *, limit: int, starting_after: str | None = None,
             ending_before: str | None = None, **filters: Any) -> tuple[list[E], bool]:
        rows, has_more = self.rows.page(scope, limit=limit, starting_after=starting_after,
                                        ending_before=ending_before, **filters)
        return self._many(rows), has_more
