"""One database transaction, exposing a repository per table as `uow.<table_name>`."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import Connection

from paykeep.adapters.db import outbox_signal
from paykeep.adapters.db.repository import TableRepository
from paykeep.adapters.db.tables import metadata


class SqlUnitOfWork:
    """`uow.customers` is `repositories.customers.Repository` if that module exists,
    else a TableRepository."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._repos: dict[str, Any] = {}

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def announce_deliveries(self) -> None:
        """Pending webhook deliveries were written: wake other processes' workers on commit (PostgreSQL
        NOTIFY; SQLite's wake-up is sent after the commit by the transaction runner)."""
        outbox_signal.announce(self.conn)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        repos = self.__dict__["_repos"]
        if name not in repos:
            repos[name] = _repository_class(name)(self.conn, metadata.tables.get(name))
        return repos[name]


# Which class serves `uow.<name>`, found once per process (a failed import per transaction cost ~20 us).
_CLASSES: dict[str, Any] = {}


def _repository_class(name: str) -> Any:
    cls = _CLASSES.get(name)
    if cls is None:
        try:
            module = importlib.import_module(f"paykeep.adapters.db.repositories.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"paykeep.adapters.db.repositories.{name}":
                raise
            if name not in metadata.tables:
                raise AttributeError(f"no table or repository named {name!r}") from None
            cls = TableRepository
        else:
            cls = module.Repository
        _CLASSES[name] = cls
    return cls
