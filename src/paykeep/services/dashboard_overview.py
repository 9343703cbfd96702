"""Read-only views the dashboard needs beyond the API's own lists: counts, timelines, delivery history.

Nothing here changes anything; every change the dashboard makes goes through the API's use cases.
All reads are scoped to the caller's account and mode.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from paykeep.domain.customers import Customer
from paykeep.domain.errors import ResourceMissing
from paykeep.domain.events import Event
from paykeep.services.common import page
from paykeep.services.ports import Context
from paykeep.wire.params import ListParams

TIMELINE_LIMIT = 100


def _repo(ctx: Context, table: str) -> Any:
    return getattr(ctx.uow, table, None)  # a slice that is not installed has no table


def summarize_account(ctx: Context) -> dict[str, int | None]:
    """The home page's counts (None where a slice is not installed)."""
    counts: dict[str, int | None] = {}
    for key, table, filters in (
        ("customers", "customers", {"deleted": False}),
        ("setup_intents", "setup_intents", {}),
        ("setup_intents_succeeded", "setup_intents", {"status": "succeeded"}),
        ("payment_intents", "payment_intents", {}),
        ("payment_intents_succeeded", "payment_intents", {"status": "succeeded"}),
        ("webhook_endpoints", "webhook_endpoints", {}),
        ("events", "events", {}),
        ("deliveries_failed", "webhook_deliveries", {"status": "failed"}),
        ("deliveries_pending", "webhook_deliveries", {"status": "pending"}),
    ):
        repo = _repo(ctx, table)
        counts[key] = repo.count(ctx.scope, **filters) if repo is not None else None
    counts["payment_methods"] = count_saved_cards(ctx)
    return counts


def count_saved_cards(ctx: Context) -> int | None:
    """"Saved cards": PaymentMethods attached to a customer, not detached, not expired. A declined card, or
    one still waiting for 3-D Secure, was never attached; a detached one can never be used again."""
    repo = _repo(ctx, "payment_methods")
    if repo is None:
        return None
    now = datetime.fromtimestamp(ctx.now_ms() / 1000, tz=UTC)
    attached = {"customer__isnull": False, "detached": False}
    expired = (repo.count(ctx.scope, **attached, card_exp_year__lt=now.year)
               + repo.count(ctx.scope, **attached, card_exp_year=now.year, card_exp_month__lt=now.month))
    return int(repo.count(ctx.scope, **attached)) - int(expired)


def search_customers(ctx: Context, email_prefix: str, *, limit: int, starting_after: str | None = None,
                     ending_before: str | None = None) -> tuple[list[Customer], bool]:
    """Customers (not deleted) whose email starts with `email_prefix` (case-sensitive), newest first."""
    repo = ctx.uow.customers
    for cursor, value in (("starting_after", starting_after), ("ending_before", ending_before)):
        if value is not None and repo.get(ctx.scope, value) is None:
            raise ResourceMissing("customer", value, param=cursor)
    return repo.page(
        ctx.scope, limit=limit, starting_after=starting_after, ending_before=ending_before, deleted=False,
        email__prefix=email_prefix or None,
    )


def object_timeline(ctx: Context, *object_ids: str) -> list[Event]:
    """The latest events about these objects (by `data.object.id`), oldest first."""
    rows = ctx.uow.events.find(ctx.scope, limit=TIMELINE_LIMIT, object_id__in=list(object_ids))
    return list(reversed(rows))


def event_deliveries(ctx: Context, event_id: str) -> list[dict[str, Any]]:
    """Each delivery of an event (oldest first) with its endpoint's URL and every attempt, oldest first."""
    deliveries = ctx.uow.webhook_deliveries.find(ctx.scope, event_id=event_id)
    attempts = ctx.uow.webhook_attempts.find(None, event_id=event_id)
    out = []
    for delivery in reversed(deliveries):
        endpoint = ctx.uow.webhook_endpoints.get(ctx.scope, delivery.endpoint_id)
        mine = sorted((a for a in attempts if a.delivery_id == delivery.id), key=lambda a: a.id)
        out.append({**delivery.fields(), "endpoint_url": endpoint.url if endpoint else None,
                    "endpoint_deleted": endpoint is None, "attempts": mine})
    return out


def latest_event_for(ctx: Context, enabled_events: list[str]) -> Event | None:
    """The newest event an endpoint with these `enabled_events` would receive (for "send a test event")."""
    events = ctx.uow.events
    rows = [] if "*" in enabled_events else events.find(ctx.scope, limit=1, type__in=list(enabled_events))
    rows = rows or events.find(ctx.scope, limit=1)  # none of its types yet: the newest of any type
    return rows[0] if rows else None


def list_by_status(ctx: Context, table: str, kind: str, status: str | None,
                   params: ListParams) -> tuple[list[dict[str, Any]], bool]:
    """An intent list filtered by status (the API's lists have no status filter), same cursors as the API."""
    return page(ctx, _repo(ctx, table), kind, params, status=status or None)


def endpoint_secret(ctx: Context, endpoint_id: str) -> str:
    """The endpoint's signing secret, shown on demand to a signed-in user (the API shows it only at creation).
    Opened with the webhooks slice's own binding (`secret_aad`), scoped to the caller's account and mode."""
    from paykeep.services import webhook_endpoints

    reveal = getattr(webhook_endpoints, "reveal_webhook_endpoint_secret", None)
    if reveal is not None:
        return str(reveal(ctx, endpoint_id))
    endpoint = webhook_endpoints.retrieve_webhook_endpoint(ctx, endpoint_id)
    return webhook_endpoints.open_secret(ctx.deps, endpoint)
