"""Webhook deliveries as entities: finding due ones, claiming them under a lease, finishing and canceling
them. The worker's batch write (`finish_many`) and `finish` take column values: they are conditional
updates of a few columns (only while the delivery is still pending), not a save of a loaded entity."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, bindparam, or_, select, update

from paykeep.adapters.db.entities import EntityRepository, mapping_of
from paykeep.adapters.db.repository import Scope, TableRepository
from paykeep.domain.webhooks import DeliveryStatus, WebhookDelivery

PENDING = "pending"
_STATUS = {s.value: s for s in DeliveryStatus}


class Repository(EntityRepository[WebhookDelivery]):
    def __init__(self, conn: Connection, table: Table) -> None:
        super().__init__(TableRepository(conn, table), WebhookDelivery)
        self.conn = conn
        self.table = table

    def due(
        self, now_ms: int, limit: int, *, exclude_endpoints: Iterable[str] = (), lock: bool = False
    ) -> list[WebhookDelivery]:
        """Pending deliveries whose time has come and whose lease (if any) has expired, oldest first.

        With `lock` (inside a write transaction) PostgreSQL rows are taken FOR UPDATE SKIP LOCKED, so
        concurrent workers claim disjoint sets; SQLite's write lock already serialises the claim.
        """
        t = self.table
        conds = [
            t.c.status == PENDING,
            t.c.next_attempt_at <= now_ms,
            or_(t.c.claimed_until.is_(None), t.c.claimed_until < now_ms),
        ]
        excluded = list(exclude_endpoints)
        if excluded:
            conds.append(t.c.endpoint_id.not_in(excluded))
        query = select(t).where(*conds).order_by(t.c.next_attempt_at, t.c.id).limit(limit)
        if lock and self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        # The worker's hot read: rows straight into entities (every column is a field; one enum).
        names = mapping_of(WebhookDelivery).names
        out = []
        for r in self.conn.execute(query).mappings():
            values = {n: r[n] for n in names}
            values["status"] = _STATUS[values["status"]]
            out.append(WebhookDelivery(**values))
        return out

    def claim(self, ids: list[str], until_ms: int, worker_id: str) -> None:
        if ids:
            self.conn.execute(
                update(self.table)
                .where(self.table.c.id.in_(ids))
                .values(claimed_until=until_ms, claimed_by=worker_id)
            )

    def release(self, ids: list[str], worker_id: str) -> None:
        """Give claims back (a worker stopping before it sent them) so another worker takes them at once."""
        if ids:
            t = self.table
            self.conn.execute(
                update(t)
                .where(t.c.id.in_(ids), t.c.claimed_by == worker_id, t.c.status == PENDING)
                .values(claimed_until=None, claimed_by=None)
            )

    def finish(self, delivery_id: str, values: dict[str, Any]) -> bool:
        """Update a delivery that is still pending; False when it was canceled (or finished) meanwhile."""
        t = self.table
        result = self.conn.execute(
            update(t).where(t.c.id == delivery_id, t.c.status == PENDING).values(**values)
        )
        return bool(result.rowcount)

    def cancel_pending(self, endpoint_id: str, status: str, now_ms: int) -> int:
        t = self.table
        result = self.conn.execute(
            update(t)
            .where(t.c.endpoint_id == endpoint_id, t.c.status == PENDING)
            .values(status=status, claimed_until=None, claimed_by=None, next_attempt_at=None, updated=now_ms)
        )
        return int(result.rowcount or 0)

    def finish_many(self, rows: list[dict[str, Any]]) -> None:
        """Several `finish` updates in one executemany (each row: `id` plus the same columns); rows no longer
        pending (canceled meanwhile) are left as they are."""
        if not rows:
            return
        t = self.table
        columns = [c for c in rows[0] if c != "id"]
        statement = (
            update(t)
            .where(t.c.id == bindparam("b_id"), t.c.status == PENDING)
            .values({c: bindparam(f"b_{c}") for c in columns})
        )
        self.conn.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in rows])

    # -- the operational numbers (/metrics, the dashboard) ----------------------------------------------
    def count_by(self, scope: Scope | None, column: str, **filters: Any) -> dict[Any, int]:
        return self.rows.count_by(scope, column, **filters)

    def minimum(self, scope: Scope | None, column: str, **filters: Any) -> Any:
        return self.rows.minimum(scope, column, **filters)
