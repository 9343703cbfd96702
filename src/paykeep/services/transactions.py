"""The one owner of a transaction, for every entrypoint: the API, the hosted pages, the timed jobs, the CLI.

`transaction(deps, caller)` opens the unit of work and the use case's Context on it; when the use case wrote
webhook deliveries (the outbox handler counts them) it announces them inside the transaction (PostgreSQL:
NOTIFY, delivered with the commit) and, once committed, wakes this process's worker and, on SQLite, the
workers of other processes. Nothing else wakes a worker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from paykeep.services.ports import Caller, Context, Deps


@contextmanager
def transaction(deps: Deps, caller: Caller, *, write: bool = True) -> Iterator[Context]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    with deps.begin(write=write) as uow:
        ctx = Context(uow, deps, caller)
        yield ctx
        if ctx.deliveries_queued:
            uow.announce_deliveries()
    if ctx.deliveries_queued:
        deps.notify_outbox()
