"""What follows a change: handlers registered for domain events, run inside the transaction of the change.

`bootstrap` registers them (the outbox row for every event, the Checkout Session that completes when its
SetupIntent succeeds, ...), so a use case only says what happened (`ctx.emit`) and never imports the
slices that react to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from paykeep.domain.events import DomainEvent

if TYPE_CHECKING:  # the Context type only; ports imports this module
    from paykeep.services.ports import Context

Handler = Callable[["Context", DomainEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._every: list[Handler] = []
        self._by_type: dict[str, list[Handler]] = {}

    def on_every(self, handler: Handler) -> None:
        """Run `handler` for every event, before the handlers of its type."""
        self._every.append(handler)

    def on(self, event_type: str, handler: Handler) -> None:
        self._by_type.setdefault(event_type, []).append(handler)

    def publish(self, ctx: Context, event: DomainEvent) -> None:
        """The handlers run in registration order, in the caller's transaction: a handler's failure rolls
        the whole change back."""
        for handler in self._every:
            handler(ctx, event)
        for handler in self._by_type.get(event.type, ()):
            handler(ctx, event)

    def handlers(self, event_type: str) -> list[Handler]:
        return [*self._every, *self._by_type.get(event_type, ())]
