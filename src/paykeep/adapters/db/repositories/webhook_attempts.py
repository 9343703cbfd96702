"""Webhook delivery attempts as entities, plus the worker's batch insert (column values: the worker writes
up to a batch of attempts per cycle and never reads them back)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table

from paykeep.adapters.db.entities import EntityRepository, to_entity
from paykeep.adapters.db.repository import Scope, TableRepository
from paykeep.domain.webhooks import WebhookAttempt


class Repository(EntityRepository[WebhookAttempt]):
    def __init__(self, conn: Connection, table: Table) -> None:
        super().__init__(TableRepository(conn, table), WebhookAttempt)
        self.conn = conn
        self.table = table

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(self.table.insert(), rows)

    def page(self, scope: Scope | None, *, limit: int, starting_after: str | None = None,
             ending_before: str | None = None, **filters: Any) -> tuple[list[WebhookAttempt], bool]:
        """Attempts have no scope columns of their own (`scope` None; filter by `endpoint_id`)."""
        rows, has_more = self.rows.page(scope, limit=limit, starting_after=starting_after,  # type: ignore[arg-type]
                                        ending_before=ending_before, **filters)
        return [to_entity(WebhookAttempt, r) for r in rows], has_more

    def count_by(self, scope: Scope | None, column: str, **filters: Any) -> dict[Any, int]:
        return self.rows.count_by(scope, column, **filters)
