"""Events as entities: the generic repository plus a `type__glob` filter (`setup_intent.*`, `*.succeeded`),
the `pending_webhooks` refresh and the retention job's purge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, exists, select, update
from sqlalchemy.sql.elements import ColumnElement

from paykeep.adapters.db.entities import EntityRepository
from paykeep.adapters.db.repository import TableRepository
from paykeep.adapters.db.tables.events import webhook_attempts, webhook_deliveries
from paykeep.domain.events import Event


def glob_to_like(pattern: str) -> str:
    """`*` becomes `%`; LIKE's own wildcards (`%`, `_`) and the escape character are matched literally."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


class EventRows(TableRepository):
    """The rows, with the `type__glob` filter."""

    def _filters(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        rest = dict(filters)
        pattern = rest.pop("type__glob", None)
        conds = super()._filters(rest)
        if pattern is not None and pattern.strip("*") != "":
            conds.append(self.table.c.type.like(glob_to_like(pattern), escape="\\"))
        return conds


class Repository(EntityRepository[Event]):
    def __init__(self, conn: Connection, table: Table) -> None:
        super().__init__(EventRows(conn, table), Event)
        self.conn = conn
        self.table = table

    def refresh_pending_webhooks(self, event_ids: list[str]) -> None:
        """pending_webhooks := the endpoints with a delivery of the event and no succeeded one."""
        if not event_ids:
            return
        d = webhook_deliveries
        rows = self.conn.execute(
            select(d.c.event_id, d.c.endpoint_id, d.c.status).where(d.c.event_id.in_(event_ids))
        ).all()
        targets: dict[str, set[str]] = {e: set() for e in event_ids}
        done: dict[str, set[str]] = {e: set() for e in event_ids}
        for event_id, endpoint_id, status in rows:
            targets[event_id].add(endpoint_id)
            if status == "succeeded":
                done[event_id].add(endpoint_id)
        statement = (
            update(self.table)
            .where(self.table.c.id == bindparam("b_id"))
            .values(pending_webhooks=bindparam("b_count"))
        )
        self.conn.execute(statement, [{"b_id": e, "b_count": len(targets[e] - done[e])} for e in event_ids])

    def _purgeable(self, created_ms: int, limit: int) -> list[str]:
        """Ids of events created before `created_ms` without a pending delivery, oldest first."""
        e, d = self.table, webhook_deliveries
        pending = exists().where(d.c.event_id == e.c.id, d.c.status == "pending")
        return list(self.conn.execute(
            select(e.c.id).where(e.c.created < created_ms, ~pending).order_by(e.c.created).limit(limit)
        ).scalars())

    def any_before(self, created_ms: int) -> bool:
        """Whether purge_before would delete anything (a read: no write lock while there is nothing to do)."""
        return bool(self._purgeable(created_ms, 1))

    def purge_before(self, created_ms: int, limit: int) -> int:
        """Delete up to `limit` events created before `created_ms` (oldest first) with their deliveries and
        attempts, skipping an event that still has a pending delivery; returns how many events went."""
        e, d, a = self.table, webhook_deliveries, webhook_attempts
        ids = self._purgeable(created_ms, limit)
        if not ids:
            return 0
        deliveries = select(d.c.id).where(d.c.event_id.in_(ids))
        self.conn.execute(delete(a).where(a.c.delivery_id.in_(deliveries)))
        self.conn.execute(delete(d).where(d.c.event_id.in_(ids)))
        return int(self.conn.execute(delete(e).where(e.c.id.in_(ids))).rowcount or 0)
