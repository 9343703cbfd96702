"""What services need from the outside world, as Protocols; `bootstrap` supplies the implementations."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from paykeep.domain.challenges import Challenge
from paykeep.domain.checkout_sessions import CheckoutSession
from paykeep.domain.customers import Customer
from paykeep.domain.dialects import Dialect
from paykeep.domain.entity import Entity
from paykeep.domain.events import DomainEvent, Event
from paykeep.domain.payment_intents import Charge, PaymentIntent, Refund
from paykeep.domain.payment_methods import PaymentMethod
from paykeep.domain.products import Price, Product
from paykeep.domain.search import CompiledQuery
from paykeep.domain.setup_intents import SetupIntent
from paykeep.domain.test_clocks import TestClock
from paykeep.domain.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from paykeep.services.bus import EventBus

Scope = tuple[str, bool]  # (account_id, livemode)
E = TypeVar("E", bound=Entity)
Row = dict[str, Any]


class Rows(Protocol):
    """A table whose records are still plain rows (column name -> value).
    Filters: `col`, `col__in`, `col__prefix`, `col__gte|gt|lte|lt`."""

    def insert(self, values: dict[str, Any]) -> None: ...
    def get(self, scope: Scope, object_id: str, *, for_update: bool = False) -> Row | None: ...
    def get_by_id(self, object_id: str) -> Row | None: ...
    def update(self, object_id: str, values: dict[str, Any]) -> None: ...
    def delete(self, object_id: str) -> None: ...
    def find(self, scope: Scope | None, limit: int | None = None, **filters: Any) -> list[Row]: ...
    def count(self, scope: Scope | None, **filters: Any) -> int: ...
    def count_by(self, scope: Scope | None, column: str, **filters: Any) -> dict[Any, int]: ...
    def minimum(self, scope: Scope | None, column: str, **filters: Any) -> Any: ...
    def page(self, scope: Scope | None, *, limit: int, starting_after: str | None = None,
             ending_before: str | None = None, **filters: Any) -> tuple[list[Row], bool]: ...


Repository = Rows  # the name the slices used before entities


class Entities(Protocol[E]):
    """An aggregate's records as entities (domain/): `add` a new one, `save` a changed one."""

    def get(self, scope: Scope, object_id: str, *, for_update: bool = False) -> E | None: ...
    def get_by_id(self, object_id: str) -> E | None: ...
    def add(self, item: E) -> None: ...
    def save(self, item: E) -> None: ...
    def delete(self, object_id: str) -> None: ...
    def find(self, scope: Scope | None, limit: int | None = None, **filters: Any) -> list[E]: ...
    def count(self, scope: Scope | None, **filters: Any) -> int: ...
    def page(self, scope: Scope, *, limit: int, starting_after: str | None = None,
             ending_before: str | None = None, **filters: Any) -> tuple[list[E], bool]: ...


class Searchable(Protocol[E]):
    """GET /v1/<resource>/search (services/search.py): the records in scope that match a compiled query
    (domain/search.py), newest first, older than the id `after` (the previous page's last); `filters` as
    `find`'s (`deleted=False`)."""

    def search(self, scope: Scope, query: CompiledQuery, *, limit: int, after: str | None = None,
               **filters: Any) -> tuple[list[E], bool]: ...
    def search_count(self, scope: Scope, query: CompiledQuery, **filters: Any) -> int: ...


class CustomerEntities(Entities[Customer], Searchable[Customer], Protocol):
    """Customers: an aggregate that can be searched."""


class PaymentIntentEntities(Entities[PaymentIntent], Searchable[PaymentIntent], Protocol):
    """PaymentIntents: an aggregate that can be searched."""


class ChargeEntities(Entities[Charge], Searchable[Charge], Protocol):
    """Charges: an aggregate that can be searched."""


class ProductEntities(Entities[Product], Searchable[Product], Protocol):
    """Products: an aggregate that can be searched."""


class PriceEntities(Entities[Price], Searchable[Price], Protocol):
    """Prices: an aggregate that can be searched."""


class Purgeable(Protocol):
    """A table the timed jobs prune by age."""

    def any_before(self, created_ms: int) -> bool: ...
    def purge_before(self, created_ms: int, limit: int) -> int: ...


class EventRows(Entities[Event], Purgeable, Protocol):
    """Events; filters also take `type__glob` (`setup_intent.*`)."""

    def refresh_pending_webhooks(self, event_ids: list[str]) -> None: ...


class DeliveryRows(Entities[WebhookDelivery], Protocol):
    """Deliveries; the worker's conditional updates (`finish`, `finish_many`: only while still pending)
    take column values (`finish_many`: each dict `id` plus the same columns)."""

    def due(self, now_ms: int, limit: int, *, exclude_endpoints: Iterable[str] = (),
            lock: bool = False) -> list[WebhookDelivery]: ...
    def claim(self, ids: list[str], until_ms: int, worker_id: str) -> None: ...
    def release(self, ids: list[str], worker_id: str) -> None: ...
    def finish(self, delivery_id: str, values: dict[str, Any]) -> bool: ...
    def cancel_pending(self, endpoint_id: str, status: str, now_ms: int) -> int: ...
    def finish_many(self, rows: list[dict[str, Any]]) -> None: ...
    def count_by(self, scope: Scope | None, column: str, **filters: Any) -> dict[Any, int]: ...
    def minimum(self, scope: Scope | None, column: str, **filters: Any) -> Any: ...


class AttemptRows(Entities[WebhookAttempt], Protocol):
    """Attempts (no scope columns: `page(None, endpoint_id=...)`); the worker's batch insert takes column
    values."""

    def insert_many(self, rows: list[dict[str, Any]]) -> None: ...
    def page(self, scope: Scope | None, *, limit: int, starting_after: str | None = None,
             ending_before: str | None = None, **filters: Any) -> tuple[list[WebhookAttempt], bool]: ...
    def count_by(self, scope: Scope | None, column: str, **filters: Any) -> dict[Any, int]: ...


class IdempotencyRows(Purgeable, Protocol):
    def get_key(self, account_id: str, livemode: bool, key: str, *,
                for_update: bool = False) -> Row | None: ...
    def insert_running(self, values: dict[str, Any]) -> bool: ...
    def take_over(self, account_id: str, livemode: bool, key: str, values: dict[str, Any]) -> None: ...
    def update_key(self, account_id: str, livemode: bool, key: str, values: dict[str, Any]) -> None: ...
    def delete_key(self, account_id: str, livemode: bool, key: str, *,
                   only_running: bool = False) -> None: ...
    def release_orphans(self) -> int: ...
    def probe_write(self, now_ms: int) -> None: ...


class ApiKeyRows(Rows, Protocol):
    def for_lookup(self, lookup_hash: str) -> Row | None: ...


class DashboardSessionRows(Rows, Protocol):
    def end_for_user(self, user_id: str, now_ms: int) -> None: ...


class SignInAttemptRows(Rows, Protocol):
    def delete_before(self, cutoff_ms: int, succeeded_before: int | None = None) -> None: ...


class RequestLogRows(Rows, Purgeable, Protocol):
    """Request logs (services/request_logs.py); filters also take `object_id` (a record naming that id)."""

    def insert_many(self, rows: list[dict[str, Any]]) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: a repository per table (adapters/db/unit_of_work.py implements it)."""

    @property
    def dialect(self) -> str: ...
    def announce_deliveries(self) -> None: ...

    @property
    def customers(self) -> CustomerEntities: ...
    @property
    def accounts(self) -> Rows: ...
    @property
    def api_keys(self) -> ApiKeyRows: ...
    @property
    def payment_methods(self) -> Entities[PaymentMethod]: ...
    @property
    def setup_intents(self) -> Entities[SetupIntent]: ...
    @property
    def payment_intents(self) -> PaymentIntentEntities: ...
    @property
    def charges(self) -> ChargeEntities: ...
    @property
    def refunds(self) -> Entities[Refund]: ...
    @property
    def products(self) -> ProductEntities: ...
    @property
    def prices(self) -> PriceEntities: ...
    @property
    def challenges(self) -> Entities[Challenge]: ...
    @property
    def checkout_sessions(self) -> Entities[CheckoutSession]: ...
    @property
    def webhook_endpoints(self) -> Entities[WebhookEndpoint]: ...
    @property
    def dashboard_users(self) -> Rows: ...
    @property
    def events(self) -> EventRows: ...
    @property
    def webhook_deliveries(self) -> DeliveryRows: ...
    @property
    def webhook_attempts(self) -> AttemptRows: ...
    @property
    def idempotency_keys(self) -> IdempotencyRows: ...
    @property
    def dashboard_sessions(self) -> DashboardSessionRows: ...
    @property
    def dashboard_sign_in_attempts(self) -> SignInAttemptRows: ...
    @property
    def request_logs(self) -> RequestLogRows: ...
    @property
    def test_clocks(self) -> Entities[TestClock]: ...


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SecretBox(Protocol):
    """Keyed hashing and authenticated encryption under keys the database never holds in clear."""

    def keyed_hash(self, purpose: str, data: bytes) -> str: ...
    def seal(self, plaintext: bytes, aad: bytes, purpose: str = "data") -> bytes: ...
    def open(self, blob: bytes, aad: bytes, purpose: str = "data") -> bytes: ...
    def current_version(self, purpose: str) -> int: ...


class IdMaker(Protocol):
    def new(self, prefix: str, dialect: Dialect | None = None) -> str: ...


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

    row: Any  # the object the error embeds (an entity, or a row)
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
    dialect: Dialect = Dialect.WOOSHPAY  # the request's Paykeep-Dialect header, else the account's default
    api_version: str | None = None  # Stripe dialect: the Stripe-Version the request named, else the account's

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
        """A new id in the form of the caller's dialect (domain/ids.py)."""
        return self.deps.ids.new(prefix, self.caller.dialect)

    def emit(self, event_type: str, obj: dict[str, Any], previous_attributes: dict[str, Any] | None = None,
             *, row: Any = None) -> None:
        """Say what changed; the handlers `bootstrap` registered (the outbox first) run now, in this
        transaction."""
        self.deps.bus.publish(self, DomainEvent(event_type, obj, row, previous_attributes))


def iter_changed(before: dict[str, Any], after: dict[str, Any]) -> Iterator[str]:
    for key, value in after.items():
        if before.get(key) != value:
            yield key
