"""The base of the aggregates: frozen dataclasses whose fields are the stored record.

A change is a new value (`entity.with_(...)`, a transition method of the aggregate), never an update in
place. Reading a field by name (`entity["status"]`, `entity.get("customer")`) serves the wire renderers,
the templates and `expand[]`, which read any object the same way."""

from __future__ import annotations

import dataclasses
from typing import Any, Self


class Entity:
    __slots__ = ()

    def with_(self, **changes: Any) -> Self:
        """A copy with these fields changed (the stored record changes only when a repository saves it)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def __getitem__(self, name: str) -> Any:
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)

    def fields(self) -> dict[str, Any]:
        """Field name -> value (shallow): what the adapters store."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
