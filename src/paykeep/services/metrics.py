"""Operational numbers read from the database when /metrics is scraped: the outbox and webhook attempts.

They come from the database, not from process counters, so every API process reports the same totals however
many API and delivery processes share the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paykeep.services.ports import Deps

PENDING = "pending"


@dataclass(frozen=True)
class OutboxStats:
    pending: int = 0
    oldest_pending_age_s: float = 0.0  # now - created of the oldest pending delivery (0 when none)
    oldest_due_lag_s: float = 0.0  # now - next_attempt_at of the most overdue pending delivery (0 when none)
    deliveries_by_status: dict[str, int] = field(default_factory=dict)
    attempts_by_outcome: dict[str, int] = field(default_factory=dict)


def read_outbox_stats(deps: Deps) -> OutboxStats:
    now = deps.clock.now_ms()
    with deps.begin(write=False) as uow:
        deliveries = uow.webhook_deliveries
        by_status = {str(k): v for k, v in deliveries.count_by(None, "status").items()}
        oldest = deliveries.minimum(None, "created", status=PENDING)
        most_overdue = deliveries.minimum(None, "next_attempt_at", status=PENDING, next_attempt_at__lte=now)
        attempts = {str(k): v for k, v in uow.webhook_attempts.count_by(None, "outcome").items()}
    return OutboxStats(
        pending=by_status.get(PENDING, 0),
        oldest_pending_age_s=max(0.0, (now - oldest) / 1000) if oldest is not None else 0.0,
        oldest_due_lag_s=max(0.0, (now - most_overdue) / 1000) if most_overdue is not None else 0.0,
        deliveries_by_status=by_status,
        attempts_by_outcome=attempts,
    )
