"""One database transaction and its repositories, one explicit attribute per table.

Aggregates converted to entities (domain/) come back from `EntityRepository`; the other tables are still
plain rows (`TableRepository` and its subclasses in repositories/). Repositories are built on first use:
most transactions touch two or three tables."""

from __future__ import annotations

from sqlalchemy import Connection

from paykeep.adapters.db import outbox_signal
from paykeep.adapters.db.entities import EntityRepository
from paykeep.adapters.db.lazy import cached_property
from paykeep.adapters.db.repositories import (
    api_keys,
    dashboard_sessions,
    dashboard_sign_in_attempts,
    events,
    idempotency_keys,
    request_logs,
    webhook_attempts,
    webhook_deliveries,
)
from paykeep.adapters.db.repository import TableRepository
from paykeep.adapters.db.search import SearchableRepository
from paykeep.adapters.db.tables import metadata
from paykeep.domain.challenges import Challenge
from paykeep.domain.checkout_sessions import CheckoutSession
from paykeep.domain.customers import Customer
from paykeep.domain.payment_intents import Charge, PaymentIntent, Refund
from paykeep.domain.payment_methods import PaymentMethod
from paykeep.domain.products import Price, Product
from paykeep.domain.setup_intents import SetupIntent
from paykeep.domain.test_clocks import TestClock
from paykeep.domain.webhooks import WebhookEndpoint

_T = metadata.tables


class SqlUnitOfWork:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def announce_deliveries(self) -> None:
        """Pending webhook deliveries were written: wake other processes' workers on commit (PostgreSQL
        NOTIFY; SQLite's wake-up is sent after the commit by the transaction runner)."""
        outbox_signal.announce(self.conn)

    def _rows(self, table: str) -> TableRepository:
        return TableRepository(self.conn, _T[table])

    # -- aggregates ---------------------------------------------------------------------------------
    @cached_property
    def customers(self) -> SearchableRepository[Customer]:
        return SearchableRepository(self._rows("customers"), Customer)

    @cached_property
    def payment_methods(self) -> EntityRepository[PaymentMethod]:
        return EntityRepository(self._rows("payment_methods"), PaymentMethod)

    @cached_property
    def setup_intents(self) -> EntityRepository[SetupIntent]:
        return EntityRepository(self._rows("setup_intents"), SetupIntent)

    @cached_property
    def payment_intents(self) -> SearchableRepository[PaymentIntent]:
        return SearchableRepository(self._rows("payment_intents"), PaymentIntent)

    @cached_property
    def charges(self) -> SearchableRepository[Charge]:
        return SearchableRepository(self._rows("charges"), Charge)

    @cached_property
    def refunds(self) -> EntityRepository[Refund]:
        return EntityRepository(self._rows("refunds"), Refund)

    @cached_property
    def products(self) -> SearchableRepository[Product]:
        return SearchableRepository(self._rows("products"), Product)

    @cached_property
    def prices(self) -> SearchableRepository[Price]:
        return SearchableRepository(self._rows("prices"), Price)

    # -- rows -------------------------------------------------------------------------------------
    @cached_property
    def accounts(self) -> TableRepository:
        return self._rows("accounts")

    @cached_property
    def api_keys(self) -> api_keys.Repository:
        return api_keys.Repository(self.conn, _T["api_keys"])






    @cached_property
    def challenges(self) -> EntityRepository[Challenge]:
        return EntityRepository(self._rows("challenges"), Challenge)

    @cached_property
    def checkout_sessions(self) -> EntityRepository[CheckoutSession]:
        return EntityRepository(self._rows("checkout_sessions"), CheckoutSession)

    @cached_property
    def webhook_endpoints(self) -> EntityRepository[WebhookEndpoint]:
        return EntityRepository(self._rows("webhook_endpoints"), WebhookEndpoint)

    @cached_property
    def dashboard_users(self) -> TableRepository:
        return self._rows("dashboard_users")

    @cached_property
    def events(self) -> events.Repository:
        return events.Repository(self.conn, _T["events"])

    @cached_property
    def webhook_deliveries(self) -> webhook_deliveries.Repository:
        return webhook_deliveries.Repository(self.conn, _T["webhook_deliveries"])

    @cached_property
    def webhook_attempts(self) -> webhook_attempts.Repository:
        return webhook_attempts.Repository(self.conn, _T["webhook_attempts"])

    @cached_property
    def idempotency_keys(self) -> idempotency_keys.Repository:
        return idempotency_keys.Repository(self.conn, _T["idempotency_keys"])

    @cached_property
    def dashboard_sessions(self) -> dashboard_sessions.Repository:
        return dashboard_sessions.Repository(self.conn, _T["dashboard_sessions"])

    @cached_property
    def dashboard_sign_in_attempts(self) -> dashboard_sign_in_attempts.Repository:
        return dashboard_sign_in_attempts.Repository(self.conn, _T["dashboard_sign_in_attempts"])

    @cached_property
    def test_clocks(self) -> EntityRepository[TestClock]:
        return EntityRepository(self._rows("test_clocks"), TestClock)

    @cached_property
    def request_logs(self) -> request_logs.Repository:
        return request_logs.Repository(self.conn, _T["request_logs"])
