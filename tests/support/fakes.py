"""In-memory fakes of the service ports (services/ports.py): a unit of work with one repository per table, a
transaction that really rolls back, a frozen clock, a secret box and a card vault that keep secrets in memory.

Use cases run against them exactly as against the database (the same Protocols, checked by mypy through the
`_typed` assignment at the bottom and at run time by tests/unit/services/test_fakes.py), in microseconds:

    fakes = Fakes.make()
    intent = fakes.run(setup_intents.create_setup_intent, SetupIntentCreate.model_validate({...}))
    assert fakes.event_types() == ["setup_intent.created", ...]

`FakeRows` holds plain dict rows with TableRepository's filters (adapters/db/repository.py); `FakeEntities[E]`
holds frozen entities (domain/) with the same filters on their attributes. When a table becomes an entity in
`UnitOfWork`, its line in `FakeUnitOfWork.__init__` switches from `store.rows(...)` to
`store.entities(..., Entity)`."""

from __future__ import annotations

import copy
import dataclasses
import enum
import hashlib
import hmac
import re
import secrets as _secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from paykeep.adapters.acquirer.simulated import SimulatedNetwork
from paykeep.adapters.db.entities import mapping_of, to_entity
from paykeep.adapters.db.tables import metadata
from paykeep.bootstrap import wire_services
from paykeep.domain.cards import CardNumber
from paykeep.domain.challenges import Challenge
from paykeep.domain.checkout_sessions import CheckoutSession
from paykeep.domain.customers import Customer
from paykeep.domain.entity import Entity
from paykeep.domain.events import Event
from paykeep.domain.ids import IdFactory
from paykeep.domain.payment_intents import Charge, PaymentIntent, Refund
from paykeep.domain.payment_methods import PaymentMethod
from paykeep.domain.products import Price, Product
from paykeep.domain.setup_intents import SetupIntent
from paykeep.domain.test_clocks import TestClock
from paykeep.domain.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from paykeep.services.ports import Caller, Deps, Scope, UnitOfWork
from paykeep.services.transactions import transaction

Row = dict[str, Any]
E = TypeVar("E", bound=Entity)
T = TypeVar("T")
_KEY = ("id", "account_id", "livemode", "created")
_COMPARE = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
            "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}
START_MS = 1_795_000_000_000  # 2026-11-19: the frozen clock's default start


class IntegrityError(Exception):
    """What the database would refuse: a duplicate primary key, an unknown column, a write in a read
    transaction."""


# -- filters (TableRepository's) ---------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else re.escape(c) for c in pattern) + r"\Z")


def matches(read: Callable[[str], Any], filters: Mapping[str, Any]) -> bool:
    """`col`, `col__in`, `col__prefix`, `col__isnull`, `col__gte|gt|lte|lt` (and events' `type__glob`); a
    filter whose value is None is ignored; a comparison with NULL is false, as in SQL."""
    for name, wanted in filters.items():
        if wanted is None:
            continue
        column, _, op = name.partition("__")
        value = _plain(read(column))
        if op == "isnull":
            if (value is None) != bool(wanted):
                return False
            continue
        if value is None:
            return False
        if op == "":
            ok = value == _plain(wanted)
        elif op == "in":
            ok = value in [_plain(w) for w in wanted]
        elif op == "prefix":
            ok = str(value).startswith(wanted)
        elif op in _COMPARE:
            ok = _COMPARE[op](value, _plain(wanted))
        elif op == "glob":
            ok = wanted.strip("*") == "" or bool(_glob(wanted).match(str(value)))
        else:
            raise ValueError(f"unknown filter operator {op!r}")
        if not ok:
            return False
    return True


def _in_scope(scope: Scope | None, account_id: Any, livemode: Any) -> bool:
    return scope is None or (account_id == scope[0] and livemode == scope[1])


def _page(records: list[T], key: Callable[[T], str], limit: int, starting_after: str | None,
          ending_before: str | None) -> tuple[list[T], bool]:
    """Newest first (by id); `ending_before` takes the `limit` records just newer than the cursor."""
    newest_first = sorted(records, key=key, reverse=True)
    if ending_before is not None:
        newer = [r for r in reversed(newest_first) if key(r) > ending_before]  # oldest first
        return list(reversed(newer[:limit])), len(newer) > limit
    if starting_after is not None:
        newest_first = [r for r in newest_first if key(r) < starting_after]
    return newest_first[:limit], len(newest_first) > limit


# -- the store and its transactions ------------------------------------------------------------------------
class FakeStore:
    """Every table's records; `begin` is the transaction: a snapshot taken at the outermost begin is put back
    when the block raises (so a failed use case leaves nothing behind), dropped when it ends."""

    def __init__(self) -> None:
        self.tables: dict[str, _Table] = {}
        self.depth = 0
        self.writable = True
        self.commits = 0
        self.rollbacks = 0
        self.announced = 0  # announce_deliveries() calls (inside a transaction)
        self.notified = 0  # deps.notify_outbox() calls (after a commit): the worker woken
        self.uow = FakeUnitOfWork(self)

    def rows(self, name: str, kind: type[FakeRows] | None = None) -> Any:
        repo = (kind or FakeRows)(self, name)
        self.tables[name] = repo
        return repo

    def entities(self, name: str, entity: type[E], kind: type[FakeEntities[Any]] | None = None) -> Any:
        repo = (kind or FakeEntities)(self, name, entity)
        self.tables[name] = repo
        return repo

    @contextmanager
    def begin(self, write: bool) -> Iterator[UnitOfWork]:
        if self.depth:  # a transaction inside one (not done by the runner): part of the outer one
            yield self.uow
            return
        snapshot = {name: table.snapshot() for name, table in self.tables.items()}
        self.depth, self.writable = 1, write
        try:
            yield self.uow
        except BaseException:
            for name, data in snapshot.items():
                self.tables[name].restore(data)
            self.rollbacks += 1
            raise
        else:
            self.commits += 1
        finally:
            self.depth, self.writable = 0, True

    def check_write(self, table: str) -> None:
        if not self.writable:
            raise IntegrityError(f"a write to {table} in a read-only transaction")

    def dump(self) -> dict[str, list[Any]]:
        """Every stored record (tests: "nothing was left behind", "no card number anywhere")."""
        return {name: table.records() for name, table in self.tables.items()}


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: copy.deepcopy(value)


def _called(function: Callable[[Any], Any]) -> Callable[[], Any]:
    return lambda: function(None)  # SQLAlchemy's wrapped default: takes the execution context


def _reader(item: Any) -> Callable[[str], Any]:
    return lambda name: getattr(item, name)


class _Table:
    store: FakeStore
    name: str

    def snapshot(self) -> Any:
        raise NotImplementedError

    def restore(self, data: Any) -> None:
        raise NotImplementedError

    def records(self) -> list[Any]:
        raise NotImplementedError


class FakeRows(_Table):
    """A table of plain rows, as adapters/db/repository.py TableRepository: rows come back as fresh copies
    with every column (unset ones as the column default, else None); an unknown column is refused."""

    def __init__(self, store: FakeStore, name: str) -> None:
        self.store, self.name = store, name
        table = metadata.tables[name]
        self.columns = tuple(table.c.keys())
        self.defaults: dict[str, Callable[[], Any]] = {}
        for column in table.c:
            default: Any = column.default
            if default is not None and default.is_scalar:
                self.defaults[column.key] = _constant(default.arg)
            elif default is not None and default.is_callable:
                self.defaults[column.key] = _called(default.arg)
        self.primary_key = tuple(c.key for c in table.primary_key.columns)
        self.not_null = frozenset(c.key for c in table.c if not c.nullable)
        self._rows: dict[Any, Row] = {}

    # transactions
    def snapshot(self) -> dict[Any, Row]:
        return copy.deepcopy(self._rows)

    def restore(self, data: Any) -> None:
        self._rows = data

    def records(self) -> list[Any]:
        return [copy.deepcopy(r) for r in self._rows.values()]

    # helpers
    def _check_columns(self, names: Iterable[str]) -> None:
        unknown = set(names) - set(self.columns)
        if unknown:
            raise IntegrityError(f"{self.name}: unknown columns {', '.join(sorted(unknown))}")

    def _check_not_null(self, values: Mapping[str, Any]) -> None:
        nulls = sorted(c for c in self.not_null if c in values and values[c] is None)
        if nulls:
            raise IntegrityError(f"{self.name}: NOT NULL columns left null: {', '.join(nulls)}")

    def _key(self, row: Mapping[str, Any]) -> Any:
        if len(self.primary_key) > 1:
            return tuple(row[c] for c in self.primary_key)
        return row[self.primary_key[0]]

    def _select(self, scope: Scope | None, filters: Mapping[str, Any]) -> list[Row]:
        for name in filters:
            self._check_columns([name.partition("__")[0]])
        return [r for r in self._rows.values()
                if _in_scope(scope, r.get("account_id"), r.get("livemode"))
                and matches(r.__getitem__, filters)]

    def _newest_first(self, rows: list[Row]) -> list[Row]:
        return sorted(rows, key=lambda r: r["id"], reverse=True)

    # Rows
    def insert(self, values: Mapping[str, Any]) -> None:
        self.store.check_write(self.name)
        self._check_columns(values)
        row = {c: copy.deepcopy(values[c]) if c in values else self.defaults.get(c, lambda: None)()
               for c in self.columns}
        key = self._key(row)
        if key in self._rows:
            raise IntegrityError(f"{self.name}: duplicate key {key!r}")
        self._check_not_null(row)
        self._rows[key] = row

    def get(self, scope: Scope, object_id: str, *, for_update: bool = False) -> Row | None:
        row = self._rows.get(object_id)
        if row is None or not _in_scope(scope, row.get("account_id"), row.get("livemode")):
            return None
        return copy.deepcopy(row)

    def get_by_id(self, object_id: str) -> Row | None:
        row = self._rows.get(object_id)
        return copy.deepcopy(row) if row is not None else None

    def update(self, object_id: str, values: Mapping[str, Any]) -> None:
        self._check_columns(values)
        self._check_not_null(values)
        if values:
            self.store.check_write(self.name)
            row = self._rows.get(object_id)
            if row is not None:
                row.update(copy.deepcopy(dict(values)))

    def delete(self, object_id: str) -> None:
        self.store.check_write(self.name)
        self._rows.pop(object_id, None)

    def find(self, scope: Scope | None, limit: int | None = None, **filters: Any) -> list[Row]:
        found = self._newest_first(self._select(scope, filters))
        return copy.deepcopy(found[:limit] if limit is not None else found)

    def count(self, scope: Scope | None, **filters: Any) -> int:
        return len(self._select(scope, filters))

    def count_by(self, scope: Scope | None, column: str, **filters: Any) -> dict[Any, int]:
        self._check_columns([column])
        counts: dict[Any, int] = {}
        for row in self._select(scope, filters):
            counts[row[column]] = counts.get(row[column], 0) + 1
        return counts

    def minimum(self, scope: Scope | None, column: str, **filters: Any) -> Any:
        self._check_columns([column])
        values = [r[column] for r in self._select(scope, filters) if r[column] is not None]
        return min(values) if values else None

    def page(self, scope: Scope | None, *, limit: int, starting_after: str | None = None,
             ending_before: str | None = None, **filters: Any) -> tuple[list[Row], bool]:
        rows, has_more = _page(self._select(scope, filters), lambda r: r["id"], limit, starting_after,
                               ending_before)
        return copy.deepcopy(rows), has_more

    # the extras of some tables' Protocols (services/ports.py), shared by their subclasses below
    def _set_where(self, values: Mapping[str, Any], **filters: Any) -> int:
        self.store.check_write(self.name)
        self._check_not_null(values)
        changed = 0
        for row in self._select(None, filters):
            row.update(copy.deepcopy(dict(values)))
            changed += 1
        return changed


class FakeEntities(_Table, Generic[E]):
    """An aggregate's records as entities (adapters/db/entities.py EntityRepository): filters read the
    entity's attributes (an enum field matches its value); records come back as copies."""

    def __init__(self, store: FakeStore, name: str, entity: type[E]) -> None:
        self.store, self.name, self.entity = store, name, entity
        self.field_names = frozenset(f.name for f in dataclasses.fields(entity))  # type: ignore[arg-type,unused-ignore]
        self._items: dict[str, E] = {}

    def snapshot(self) -> dict[str, E]:
        return copy.deepcopy(self._items)

    def restore(self, data: Any) -> None:
        self._items = data

    def records(self) -> list[Any]:
        return list(self._items.values())

    # helpers
    def _check(self, item: E) -> None:
        if not isinstance(item, self.entity):
            raise TypeError(f"{self.name} holds {self.entity.__name__}, not {type(item).__name__}")

    def _check_fields(self, names: Iterable[str]) -> None:
        unknown = sorted(set(names) - self.field_names)
        if unknown:
            fields = ", ".join(map(repr, unknown))
            raise IntegrityError(f"{self.name}: {self.entity.__name__} has no field {fields}")

    def _in_scope(self, scope: Scope | None, item: E) -> bool:
        return _in_scope(scope, item["account_id"], item["livemode"])

    def _select(self, scope: Scope | None, filters: Mapping[str, Any]) -> list[E]:
        self._check_fields(name.partition("__")[0] for name in filters)
        return [e for e in self._items.values()
                if self._in_scope(scope, e) and matches(_reader(e), filters)]

    def _set_columns(self, object_id: str, values: Mapping[str, Any]) -> None:
        """A column-value update (the worker's conditional writes): enum fields take their values."""
        self._check_fields(values)
        current = self._items.get(object_id)
        if current is not None:
            changes = dict(copy.deepcopy(dict(values)))
            for name, convert in mapping_of(self.entity).converters.items():
                if name in changes:
                    changes[name] = convert(changes[name])
            self._items[object_id] = current.with_(**changes)

    def _set_where(self, values: Mapping[str, Any], **filters: Any) -> int:
        self.store.check_write(self.name)
        found = self._select(None, filters)
        for item in found:
            self._set_columns(item["id"], values)
        return len(found)

    # Entities
    def get(self, scope: Scope, object_id: str, *, for_update: bool = False) -> E | None:
        item = self._items.get(object_id)
        if item is None or not self._in_scope(scope, item):
            return None
        return copy.deepcopy(item)

    def get_by_id(self, object_id: str) -> E | None:
        item = self._items.get(object_id)
        return copy.deepcopy(item) if item is not None else None

    def add(self, item: E) -> None:
        self.store.check_write(self.name)
        self._check(item)
        if item["id"] in self._items:
            raise IntegrityError(f"{self.name}: duplicate key {item['id']!r}")
        self._items[item["id"]] = copy.deepcopy(item)

    def save(self, item: E) -> None:
        """Every field but the key, as EntityRepository.save (an unknown id changes nothing)."""
        self.store.check_write(self.name)
        self._check(item)
        current = self._items.get(item["id"])
        if current is not None:
            changes = {k: v for k, v in item.fields().items() if k not in _KEY}
            self._items[item["id"]] = copy.deepcopy(current.with_(**changes))

    def delete(self, object_id: str) -> None:
        self.store.check_write(self.name)
        self._items.pop(object_id, None)

    def find(self, scope: Scope | None, limit: int | None = None, **filters: Any) -> list[E]:
        found = sorted(self._select(scope, filters), key=lambda e: e["id"], reverse=True)
        return copy.deepcopy(found[:limit] if limit is not None else found)

    def count(self, scope: Scope | None, **filters: Any) -> int:
        return len(self._select(scope, filters))

    def count_by(self, scope: Scope | None, column: str, **filters: Any) -> dict[Any, int]:
        self._check_fields([column])
        counts: dict[Any, int] = {}
        for item in self._select(scope, filters):
            value = _plain(getattr(item, column))
            counts[value] = counts.get(value, 0) + 1
        return counts

    def minimum(self, scope: Scope | None, column: str, **filters: Any) -> Any:
        self._check_fields([column])
        values = [_plain(getattr(item, column)) for item in self._select(scope, filters)]
        values = [v for v in values if v is not None]
        return min(values) if values else None

    def page(self, scope: Scope | None, *, limit: int, starting_after: str | None = None,
             ending_before: str | None = None, **filters: Any) -> tuple[list[E], bool]:
        items, has_more = _page(self._select(scope, filters), lambda e: e["id"], limit, starting_after,
                                ending_before)
        return copy.deepcopy(items), has_more

    # Searchable (services/ports.py; customers, payment_intents, charges): the query language runs in SQL
    # (adapters/db/search.py), tested over HTTP in tests/api/test_search.py, not re-implemented here.
    def search(self, scope: Scope, query: Any, *, limit: int, after: str | None = None,
               **filters: Any) -> tuple[list[E], bool]:
        raise NotImplementedError("search runs on a database: see tests/api/test_search.py")

    def search_count(self, scope: Scope, query: Any, **filters: Any) -> int:
        raise NotImplementedError("search runs on a database: see tests/api/test_search.py")


# -- the tables with more than the generic repository (their Protocols in services/ports.py) -----------------
class FakeEvents(FakeEntities[Event]):
    """services/ports.py EventRows: events, `type__glob`, the pending_webhooks refresh and the purge."""

    def refresh_pending_webhooks(self, event_ids: list[str]) -> None:
        self.store.check_write(self.name)
        deliveries = self.store.uow.webhook_deliveries.find(None, event_id__in=event_ids) if event_ids else []
        for event_id in event_ids:
            mine = [d for d in deliveries if d.event_id == event_id]
            targets = {d.endpoint_id for d in mine}
            done = {d.endpoint_id for d in mine if d.status == "succeeded"}
            self._set_columns(event_id, {"pending_webhooks": len(targets - done)})

    def _purgeable(self, created_ms: int, limit: int) -> list[str]:
        pending = {d.event_id for d in self.store.uow.webhook_deliveries.find(None, status="pending")}
        old = sorted((e for e in self._items.values() if e.created < created_ms and e.id not in pending),
                     key=lambda e: e.created)
        return [e.id for e in old[:limit]]

    def any_before(self, created_ms: int) -> bool:
        return bool(self._purgeable(created_ms, 1))

    def purge_before(self, created_ms: int, limit: int) -> int:
        uow = self.store.uow
        ids = self._purgeable(created_ms, limit)
        deliveries = [d.id for d in uow.webhook_deliveries.find(None, event_id__in=ids)] if ids else []
        for attempt in uow.webhook_attempts.find(None, delivery_id__in=deliveries) if deliveries else []:
            uow.webhook_attempts.delete(attempt.id)
        for delivery_id in deliveries:
            uow.webhook_deliveries.delete(delivery_id)
        for event_id in ids:
            self.delete(event_id)
        return len(ids)


class FakeDeliveries(FakeEntities[WebhookDelivery]):
    """services/ports.py DeliveryRows: the worker's conditional updates take column values."""

    def due(self, now_ms: int, limit: int, *, exclude_endpoints: Iterable[str] = (),
            lock: bool = False) -> list[WebhookDelivery]:
        excluded = set(exclude_endpoints)
        due = [d for d in self._items.values()
               if d.status == "pending" and d.next_attempt_at is not None and d.next_attempt_at <= now_ms
               and (d.claimed_until is None or d.claimed_until < now_ms) and d.endpoint_id not in excluded]
        return copy.deepcopy(sorted(due, key=lambda d: (d.next_attempt_at or 0, d.id))[:limit])

    def claim(self, ids: list[str], until_ms: int, worker_id: str) -> None:
        if ids:
            self._set_where({"claimed_until": until_ms, "claimed_by": worker_id}, id__in=ids)

    def release(self, ids: list[str], worker_id: str) -> None:
        if ids:
            self._set_where({"claimed_until": None, "claimed_by": None}, id__in=ids, claimed_by=worker_id,
                            status="pending")

    def finish(self, delivery_id: str, values: dict[str, Any]) -> bool:
        return bool(self._set_where(values, id=delivery_id, status="pending"))

    def cancel_pending(self, endpoint_id: str, status: str, now_ms: int) -> int:
        return self._set_where({"status": status, "claimed_until": None, "claimed_by": None,
                                "next_attempt_at": None, "updated": now_ms},
                               endpoint_id=endpoint_id, status="pending")

    def finish_many(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.finish(row["id"], {k: v for k, v in row.items() if k != "id"})


class FakeAttempts(FakeEntities[WebhookAttempt]):
    """services/ports.py AttemptRows: attempts have no scope columns; the worker inserts column values."""

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.add(to_entity(WebhookAttempt, row))

    def _in_scope(self, scope: Scope | None, item: WebhookAttempt) -> bool:
        if scope is not None:
            raise IntegrityError("webhook_attempts have no account_id/livemode: pass scope None")
        return True


class FakeApiKeyRows(FakeRows):
    def for_lookup(self, lookup_hash: str) -> dict[str, Any] | None:
        found = self.find(None, lookup_hash=lookup_hash)
        if not found:
            return None
        account = self.store.tables["accounts"].get_by_id(found[0]["account_id"]) or {}
        return {**found[0], "account_dialect": account.get("dialect", "wooshpay")}


class FakeDashboardSessionRows(FakeRows):
    def end_for_user(self, user_id: str, now_ms: int) -> None:
        self._set_where({"ended_at": now_ms}, user_id=user_id, ended_at__isnull=True)


class FakeSignInAttemptRows(FakeRows):
    def delete_before(self, cutoff_ms: int, succeeded_before: int | None = None) -> None:
        self.store.check_write(self.name)
        for key, row in list(self._rows.items()):
            limit = cutoff_ms if succeeded_before is None or not row["succeeded"] else succeeded_before
            if row["attempted_at"] < limit:
                del self._rows[key]


class FakeRequestLogRows(FakeRows):
    """Request logs: `object_id` filters on the record's `object_ids`; duplicates are skipped, as the
    database's ON CONFLICT DO NOTHING does."""

    def _select(self, scope: Scope | None, filters: Mapping[str, Any]) -> list[Row]:
        rest = dict(filters)
        object_id = rest.pop("object_id", None)
        rows = super()._select(scope, rest)
        return rows if object_id is None else [r for r in rows if object_id in r["object_ids"].split()]

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if row["id"] not in self._rows:
                self.insert(row)

    def any_before(self, created_ms: int) -> bool:
        return any(r["created"] < created_ms for r in self._rows.values())

    def purge_before(self, created_ms: int, limit: int) -> int:
        self.store.check_write(self.name)
        old = sorted((r for r in self._rows.values() if r["created"] < created_ms),
                     key=lambda r: r["created"])
        for row in old[:limit]:
            del self._rows[row["id"]]
        return len(old[:limit])


class FakeIdempotencyRows(FakeRows):
    """Keyed by (account_id, livemode, key), as the idempotency_keys table."""

    OWNER = "fake-process"

    def get_key(self, account_id: str, livemode: bool, key: str, *, for_update: bool = False) -> Row | None:
        row = self._rows.get((account_id, livemode, key))
        return copy.deepcopy(row) if row is not None else None

    def insert_running(self, values: dict[str, Any]) -> bool:
        try:
            self.insert({**values, "owner": self.OWNER})
        except IntegrityError as exc:
            if "duplicate" not in str(exc):
                raise
            return False
        return True

    def take_over(self, account_id: str, livemode: bool, key: str, values: dict[str, Any]) -> None:
        self.update_key(account_id, livemode, key, {**values, "owner": self.OWNER})

    def update_key(self, account_id: str, livemode: bool, key: str, values: dict[str, Any]) -> None:
        self._check_columns(values)
        self._set_where(values, account_id=account_id, livemode=livemode, key=key)

    def delete_key(self, account_id: str, livemode: bool, key: str, *, only_running: bool = False) -> None:
        self.store.check_write(self.name)
        row = self._rows.get((account_id, livemode, key))
        if row is not None and (not only_running or row["state"] == "running"):
            del self._rows[(account_id, livemode, key)]

    def release_orphans(self) -> int:
        return 0  # one process, alive: no orphans

    def probe_write(self, now_ms: int) -> None:
        self.store.check_write(self.name)

    def any_before(self, created_ms: int) -> bool:
        return any(r["created"] < created_ms for r in self._rows.values())

    def purge_before(self, created_ms: int, limit: int) -> int:
        self.store.check_write(self.name)
        old = sorted((r for r in self._rows.values() if r["created"] < created_ms),
                     key=lambda r: r["created"])
        for row in old[:limit]:
            del self._rows[self._key(row)]
        return len(old[:limit])


# -- the unit of work: one attribute per table, typed as services/ports.py UnitOfWork says -----------------
class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self._store = store
        # aggregates (entities); a table converted in UnitOfWork moves here: store.entities(name, Entity)
        self.customers: FakeEntities[Customer] = store.entities("customers", Customer)
        self.payment_methods: FakeEntities[PaymentMethod] = store.entities("payment_methods", PaymentMethod)
        self.setup_intents: FakeEntities[SetupIntent] = store.entities("setup_intents", SetupIntent)
        self.payment_intents: FakeEntities[PaymentIntent] = store.entities("payment_intents", PaymentIntent)
        self.charges: FakeEntities[Charge] = store.entities("charges", Charge)
        self.refunds: FakeEntities[Refund] = store.entities("refunds", Refund)
        self.products: FakeEntities[Product] = store.entities("products", Product)
        self.prices: FakeEntities[Price] = store.entities("prices", Price)
        self.challenges: FakeEntities[Challenge] = store.entities("challenges", Challenge)
        self.checkout_sessions: FakeEntities[CheckoutSession] = store.entities("checkout_sessions",
                                                                               CheckoutSession)
        self.webhook_endpoints: FakeEntities[WebhookEndpoint] = store.entities("webhook_endpoints",
                                                                               WebhookEndpoint)
        self.events: FakeEvents = store.entities("events", Event, FakeEvents)
        self.webhook_deliveries: FakeDeliveries = store.entities("webhook_deliveries", WebhookDelivery,
                                                                 FakeDeliveries)
        self.webhook_attempts: FakeAttempts = store.entities("webhook_attempts", WebhookAttempt, FakeAttempts)
        self.test_clocks: FakeEntities[TestClock] = store.entities("test_clocks", TestClock)
        # plain rows
        self.accounts: FakeRows = store.rows("accounts")
        self.api_keys: FakeApiKeyRows = store.rows("api_keys", FakeApiKeyRows)
        self.dashboard_users: FakeRows = store.rows("dashboard_users")
        self.idempotency_keys: FakeIdempotencyRows = store.rows("idempotency_keys", FakeIdempotencyRows)
        self.dashboard_sessions: FakeDashboardSessionRows = store.rows("dashboard_sessions",
                                                                       FakeDashboardSessionRows)
        self.dashboard_sign_in_attempts: FakeSignInAttemptRows = store.rows("dashboard_sign_in_attempts",
                                                                            FakeSignInAttemptRows)
        self.request_logs: FakeRequestLogRows = store.rows("request_logs", FakeRequestLogRows)

    @property
    def dialect(self) -> str:
        return "fake"

    def announce_deliveries(self) -> None:
        self._store.announced += 1


# -- the other deps ---------------------------------------------------------------------------------------
@dataclass
class FrozenClock:
    """Time stands still until a test moves it."""

    now: int = START_MS

    def now_ms(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


class FakeSecretBox:
    """Keyed hashes under a key made per instance; `seal` hands out an opaque token and keeps the plaintext in
    memory (nothing readable is stored)."""

    def __init__(self) -> None:
        self._key = _secrets.token_bytes(32)
        self._sealed: dict[bytes, tuple[bytes, bytes, str]] = {}

    def keyed_hash(self, purpose: str, data: bytes) -> str:
        return hmac.new(self._key, purpose.encode() + b"\0" + data, hashlib.sha256).hexdigest()

    def seal(self, plaintext: bytes, aad: bytes, purpose: str = "data") -> bytes:
        token = b"sealed:" + _secrets.token_hex(16).encode()
        self._sealed[token] = (plaintext, aad, purpose)
        return token

    def open(self, blob: bytes, aad: bytes, purpose: str = "data") -> bytes:
        plaintext, sealed_aad, sealed_purpose = self._sealed[blob]
        if not hmac.compare_digest(sealed_aad, aad) or sealed_purpose != purpose:
            raise ValueError("the sealed data belongs to something else")
        return plaintext

    def current_version(self, purpose: str) -> int:
        return 1


class FakeVault:
    """The card vault's interface (adapters/vault/card_vault.py): the number is kept in memory under an opaque
    token, which is what the PaymentMethod row stores as its `card_ciphertext`."""

    def __init__(self) -> None:
        self._key = _secrets.token_bytes(32)
        self._numbers: dict[bytes, tuple[CardNumber, bytes]] = {}

    def store(self, number: CardNumber, aad: bytes, uow: Any = None) -> tuple[bytes, int, str]:
        token = b"vault:" + _secrets.token_hex(16).encode()
        self._numbers[token] = (number, aad)
        return token, 1, self.fingerprint(number)

    def reveal(self, ciphertext: bytes, aad: bytes) -> CardNumber:
        number, stored_aad = self._numbers[bytes(ciphertext)]
        if not hmac.compare_digest(stored_aad, aad):
            raise ValueError("the card belongs to another payment method")
        return number

    def fingerprint(self, number: CardNumber) -> str:
        return hmac.new(self._key, number.reveal().encode(), hashlib.sha256).hexdigest()[:16]


# -- everything together -------------------------------------------------------------------------------------
ACCOUNT = "acct_0000000000000000001"
FRICTIONLESS = "4242424242424242"
CHALLENGE = "4000000000003220"  # simulated.py: "3DS2 challenge, succeeds after authentication"
DECLINED = "4000000000000002"  # card_declined / generic_decline


def card(number: str = FRICTIONLESS, **billing: Any) -> dict[str, Any]:
    """`payment_method_data` for a test card (a future expiry, a CVC)."""
    data: dict[str, Any] = {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034,
                                                     "cvc": "123"}}
    if billing:
        data["billing_details"] = billing
    return data


def challenge_token(intent: Any) -> str:
    """The token in an intent's `next_action.challenge_redirect.url` (`<public url>/3ds/<token>`)."""
    return str(intent["next_action"]["challenge_redirect"]["url"].rsplit("/3ds/", 1)[1])


@dataclass
class Fakes:
    """Deps over the fakes, with `wire_services` (the bus handlers and intent flows bootstrap registers) and
    the real simulated card network."""

    deps: Deps
    store: FakeStore
    clock: FrozenClock
    vault: FakeVault
    caller: Caller = field(default_factory=lambda: Caller(account_id=ACCOUNT, livemode=False))

    @classmethod
    def make(cls, *, public_url: str = "https://pay.example.test") -> Fakes:
        store, clock, vault = FakeStore(), FrozenClock(), FakeVault()
        deps = Deps(clock=clock, ids=IdFactory(now_ms=clock.now_ms, node=1), secrets=FakeSecretBox(),
                    public_url=public_url, transaction=store.begin, vault=vault,
                    card_network=SimulatedNetwork())

        def notify() -> None:
            store.notified += 1

        deps.notify_outbox = notify
        wire_services(deps)
        fakes = cls(deps, store, clock, vault)
        with store.begin(True) as uow:
            uow.accounts.insert({"id": ACCOUNT, "created": clock.now_ms(), "name": "Fake Merchant"})
        return fakes

    @property
    def uow(self) -> FakeUnitOfWork:
        return self.store.uow

    def run(self, use_case: Callable[..., T], *args: Any, caller: Caller | None = None, **kwargs: Any) -> T:
        """`use_case(ctx, *args, **kwargs)` in one write transaction, as the API runs it."""
        with transaction(self.deps, caller or self.caller) as ctx:
            return use_case(ctx, *args, **kwargs)

    def events(self, object_id: str | None = None) -> list[Event]:
        """The outbox's events, oldest first (optionally only those about `object_id`)."""
        return sorted(self.uow.events.find(None, object_id=object_id), key=lambda e: e.id)

    def event_types(self, object_id: str | None = None) -> list[str]:
        return [r["type"] for r in self.events(object_id)]


_typed: Callable[[FakeStore], UnitOfWork] = FakeUnitOfWork  # mypy: the fake is a UnitOfWork
