"""Event types (API.md §5), the `*` patterns used by `enabled_events` and `GET /v1/events?type=`, the
stored Event (the outbox's frozen payload) and the DomainEvent a use case emits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from paykeep.domain.entity import Entity
from paykeep.domain.errors import ParameterInvalid

EVENT_TYPES: tuple[str, ...] = (
    "setup_intent.created",
    "setup_intent.requires_action",
    "setup_intent.setup_failed",
    "setup_intent.succeeded",
    "setup_intent.canceled",
    "payment_intent.created",
    "payment_intent.requires_action",
    "payment_intent.amount_capturable_updated",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_method.attached",
    "payment_method.detached",
    "payment_method.updated",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "charge.refunded",
    "refund.created",
    "checkout.session.completed",
    "checkout.session.expired",
    "charge.expired",  # an uncaptured authorization released after its 7 days
    "test_helpers.test_clock.created",  # test clocks (services/test_clocks.py)
    "test_helpers.test_clock.advancing",
    "test_helpers.test_clock.ready",
    "test_helpers.test_clock.deleted",
    "charge.succeeded",  # a successful authorization (API.md §9), captured or held
    "charge.captured",
    "charge.updated",
    "product.created",  # the catalogue (services/products.py, services/prices.py)
    "product.updated",
    "product.deleted",
    "price.created",
    "price.updated",
)
ALL = "*"
MAX_TYPES_FILTER = 20
_PATTERN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.*")


def subscribed(enabled_events: Iterable[str], event_type: str) -> bool:
    """Does an endpoint with these `enabled_events` receive `event_type`? (`*` = every type)."""
    events = list(enabled_events)
    return ALL in events or event_type in events


def check_enabled_events(values: list[str], *, param: str = "enabled_events") -> list[str]:
    """Exact known types or `*`; duplicates dropped, order kept. Raises 400 naming the bad entry."""
    if not values:
        raise ParameterInvalid(
            param,
            "enabled_events must list at least one event type (or `*`).",
            code="parameter_invalid_empty",
        )
    seen: list[str] = []
    for index, value in enumerate(values):
        if value != ALL and value not in EVENT_TYPES:
            raise ParameterInvalid(
                f"{param}[{index}]",
                f"Invalid {param}[{index}]: {value!r} is not a known event type. "
                f"Use `*` or one of: {', '.join(EVENT_TYPES)}.",
            )
        if value not in seen:
            seen.append(value)
    return seen


def type_pattern(pattern: str, *, param: str = "type") -> str:
    """Validate a `type` filter: lower-case letters, digits, `_`, `.` and `*` wildcards (`setup_intent.*`)."""
    if not pattern or len(pattern) > 100 or any(c not in _PATTERN_CHARS for c in pattern):
        raise ParameterInvalid(param, f"Invalid {param}: {pattern!r} is not an event type or pattern.")
    return pattern


@dataclass(frozen=True, slots=True)
class Event(Entity):
    """An event as stored: `data` (`object`, `previous_attributes`) is frozen at the change; only
    `pending_webhooks` (endpoints that have not acknowledged it yet) moves afterwards."""

    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    type: str
    api_version: str
    data: dict[str, Any]
    object_id: str | None = None
    request_id: str | None = None
    idempotency_key: str | None = None
    pending_webhooks: int = 0


@dataclass(frozen=True)
class DomainEvent:
    """A change a use case made, named by its Stripe event type: `object` is the changed object as the API
    renders it (the event's `data.object`), `row` the stored record it was rendered from (for handlers), and
    `previous_attributes` the old values of what an update changed."""

    type: str
    object: dict[str, Any]
    row: Any = None  # an Entity, or a stored row where the aggregate is not one yet
    previous_attributes: dict[str, Any] | None = None
