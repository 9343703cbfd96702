"""expand[]: replace an id field by the object it names (depth <= 4, `data.` prefix in lists).

A path's last part must name an expandable field (`customer`, `payment_method`, `latest_charge`, ...: the
fields each route module registers), whatever the field holds now: a null one stays null, as on Stripe,
while `expand[]=address` or `expand[]=id` is a 400 even though the object has those fields. The parts
before it may walk through any object or list (`data.`, an expanded object, a plain hash)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paykeep.domain.errors import ParameterInvalid
from paykeep.domain.ids import prefix_of
from paykeep.services.ports import Caller, UnitOfWork

MAX_DEPTH = 4
Renderer = Callable[[Any], dict[str, Any]]  # an entity or a row -> its JSON object
# id prefix -> (table, renderer), and the names of the fields that hold such ids; each route module registers
# the objects it serves.
_EXPANDABLE: dict[str, tuple[str, Renderer]] = {}
# Fields Stripe documents as expandable that paykeep always renders as null (it has no such objects):
# `expand[]=latest_attempt` on a SetupIntent is valid Stripe code and gives null here too.
_FIELDS: set[str] = {"application", "balance_transaction", "default_source", "latest_attempt", "mandate",
                     "on_behalf_of", "payment_link", "single_use_mandate"}


def register_expandable(prefix: str, table: str, render: Renderer, fields: tuple[str, ...] = ()) -> None:
    _EXPANDABLE[prefix] = (table, render)
    _FIELDS.update(fields)


def expand(uow: UnitOfWork, caller: Caller, body: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    for path in paths:
        parts = path.split(".")
        if len(parts) > MAX_DEPTH:
            raise ParameterInvalid("expand", f"You cannot expand more than {MAX_DEPTH} levels of a property.")
        _expand_at(uow, caller, body, parts, path)
    return body


def _expand_at(uow: UnitOfWork, caller: Caller, node: Any, parts: list[str], path: str) -> None:
    if isinstance(node, list):
        for item in node:
            _expand_at(uow, caller, item, parts, path)
        return
    if not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    if head not in node or (not rest and head not in _FIELDS):
        raise ParameterInvalid("expand", f"This property cannot be expanded ({path}).")
    value = node[head]
    if isinstance(value, str):
        node[head] = value = _load(uow, caller, value, path)
    if rest and value is not None:
        _expand_at(uow, caller, value, rest, path)


def _load(uow: UnitOfWork, caller: Caller, object_id: str, path: str) -> dict[str, Any] | str:
    entry = _EXPANDABLE.get(prefix_of(object_id))
    if entry is None:
        raise ParameterInvalid("expand", f"This property cannot be expanded ({path}).")
    table, render = entry
    row = getattr(uow, table).get(caller.scope, object_id)
    return render(row) if row is not None else object_id
