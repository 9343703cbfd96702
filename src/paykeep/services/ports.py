"""What services need from the outside world, as Protocols; `bootstrap` supplies the implementations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from paykeep.domain.events import DomainEvent
from paykeep.services.bus import EventBus


class Repository(Protocol):
    def insert(self, values: dict[str, Any]) -> None: ...
    def get(
        self, scope: tuple[str, bool], object_id: str, *, for_update: bool = False
    ) -> dict[str, Any] | None: ...
    def get_by_id(self, object_id: str) -> dict[str, Any] | None: ...
    def update(self, object_id: str, values: dict[str, Any]) -> None: ...
    def delete(self, object_id: str) -> None: ...
    def find(
        self, scope: tuple[str, bool] | None, limit: int | None = None, **filters: Any
    ) -> list[dict[str, Any]]: ...
    def count(self, scope: tuple[str, bool] | None, **filters: Any) -> int: ...
    def page(self, scope: tuple[str, bool], *, limit: int, starting_after: str | None = None,
             ending_before: str | None = None, **filters: Any) -> tuple[list[dict[str, Any]], bool]: ...


class UnitOfWork(Protocol):
    """One transaction; `uow.<table>` is that table's repository."""

    dialect: str

    def announce_deliveries(self) -> None: ...

    def __getattr__(self, name: str) -> Any: ...


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SecretBox(Protocol):
    """Keyed hashing and authenticated encryption under keys the database never holds in clear."""

    def keyed_hash(self, purpose: str, data: bytes) -> str: ...
    def seal(self, plaintext: bytes, aad: bytes, purpose: str = "data") -> bytes: ...
    def open(self, blob: bytes, aad: bytes, purpose: str = "data") -> bytes: ...
    def current_version(self, purpose: str) -> int: ...


class IdMaker(Protocol):
    def new(self, prefix: str) -> str: ...


@dataclass
class Deps:
    """Everything a use case may touch besides its unit of work. Built once by `bootstrap`."""

    clock: Clock
    ids: IdMaker
    secrets: SecretBox
    public_url: str
    transaction: Callable[[bool], AbstractContextManager[UnitOfWork]]
    notify_outbox: Callable[[], None] = lambda: None
    vault: Any = None
    card_network: Any = None
    merchant_name: str = "paykeep test merchant"
    # Where a read transaction answers in microseconds (SQLite), a read transaction for the event loop's own
    # thread: the web layer runs reads there rather than handing each to a worker thread and back. None where
    # a read is a network round trip (PostgreSQL): reads go to the threadpool.
    inline_reads: Callable[[], AbstractContextManager[UnitOfWork]] | None = None
    # What follows each domain event (services/bus.py), and the attempt strategy of each intent type
    # (services/attempts.py): both registered by bootstrap.
    bus: EventBus = field(default_factory=EventBus)
    intent_flows: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    def begin(self, *, write: bool) -> AbstractContextManager[UnitOfWork]:
        return self.transaction(write)


class TransactionConflict(Exception):
    """A transaction lost a race the database could not order (serialization failure, deadlock, a busy SQLite
    file). It was rolled back; re-running the whole use case from the start is safe."""


@dataclass
class Declined:
    """A use case's answer when its change is committed but the call failed: a 402 with the object embedded
    under `error.<object_name>` (e.g. a SetupIntent whose card was declined)."""

    row: dict[str, Any]
    error: Any  # a domain CardError
    object_name: str


@dataclass(frozen=True)
class Caller:
    """Who is calling: account and mode from the API key, plus the request's ids for events."""

    account_id: str
    livemode: bool
    publishable: bool = False
    request_id: str | None = None
    idempotency_key: str | None = None

    @property
    def scope(self) -> tuple[str, bool]:
        return (self.account_id, self.livemode)


class Context:
    """A use case's view of one transaction: the unit of work, the deps and the caller."""

    def __init__(self, uow: UnitOfWork, deps: Deps, caller: Caller) -> None:
        self.uow = uow
        self.deps = deps
        self.caller = caller
        self.emitted: list[str] = []
        self.deliveries_queued = 0  # webhook deliveries written: the worker is woken only for these

    @property
    def scope(self) -> tuple[str, bool]:
        return self.caller.scope

    def now_ms(self) -> int:
        return self.deps.clock.now_ms()

    def new_id(self, prefix: str) -> str:
        return self.deps.ids.new(prefix)

    def emit(self, event_type: str, obj: dict[str, Any], previous_attributes: dict[str, Any] | None = None,
             *, row: dict[str, Any] | None = None) -> None:
        """Say what changed; the handlers `bootstrap` registered (the outbox first) run now, in this
        transaction."""
        self.deps.bus.publish(self, DomainEvent(event_type, obj, row, previous_attributes))


def iter_changed(before: dict[str, Any], after: dict[str, Any]) -> Iterator[str]:
    for key, value in after.items():
        if before.get(key) != value:
            yield key
