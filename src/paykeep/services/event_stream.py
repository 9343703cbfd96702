"""Following an account's events as they are written: the reads behind GET /v1/test_helpers/events/stream
(`paykeep listen`), one short read transaction per poll and none held in between.

Event ids are time-ordered (domain/ids.py), so "the events after the last one sent" is `id > cursor`. But an
id is made when the event is emitted, not when its transaction commits: a transaction that began a moment
earlier (another process, a slower PostgreSQL transaction) can commit an event whose id is below the cursor
after the cursor has passed it. So each poll also looks back over the last GRACE_MS of ids below the cursor
and sends what it has not sent yet: an event that commits within GRACE_MS of its id is never skipped. On a
resumed stream (`after` / Last-Event-ID) the look-back starts GRACE_MS before the resumed-from event, so the
stream may repeat a few events the client already has: delivery is at-least-once, as webhooks are, and
`paykeep listen` drops repeats by event id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from paykeep.domain.errors import ParameterInvalid
from paykeep.domain.events import ALL, EVENT_TYPES, Event
from paykeep.domain.ids import _EPOCH_MS, _NODE_BITS, _SEQ_BITS, looks_like
from paykeep.services.ports import Scope, UnitOfWork

GRACE_MS = 5_000  # how long after its id is made an event's transaction may commit and still be streamed
BATCH = 100  # events read per poll (the rest on the next one, at once)
_SHIFT = _NODE_BITS + _SEQ_BITS


def id_floor(ms: int) -> str:
    """An id below every event id made at Unix time `ms` or later (either id form)."""
    return f"evt_{max(0, (max(0, ms - _EPOCH_MS) << _SHIFT) - 1):019d}"


def id_time(event_id: str) -> int:
    """The Unix ms an event id was made at (its first 19 digits)."""
    return (int(event_id[4:23]) >> _SHIFT) + _EPOCH_MS


def check_types(types: list[str] | None) -> frozenset[str] | None:
    """The event types a stream is limited to (None: every type); 400 naming the unknown one."""
    if not types or ALL in types:
        return None
    for index, value in enumerate(types):
        if value not in EVENT_TYPES:
            raise ParameterInvalid(f"types[{index}]", f"Invalid types[{index}]: {value!r} is not a known "
                                   f"event type. Use `*` or one of: {', '.join(EVENT_TYPES)}.")
    return frozenset(types)


def check_after(after: str | None, param: str = "after") -> str | None:
    if after is None or after == "":
        return None
    if not looks_like(after, "evt"):
        raise ParameterInvalid(param, f"Invalid {param}: {after[:60]!r} is not an event id (evt_…).")
    return after


@dataclass
class Cursor:
    """Where a stream is: `after` the newest event sent (or the id floor of its start), `low` the lowest id it
    still looks at, and which events in between it has sent."""

    after: str
    low: str
    sent: set[str] = field(default_factory=set)

    @classmethod
    def start(cls, now_ms: int, after: str | None) -> Cursor:
        """From `after` (resumed: looking back GRACE_MS before it), else from now (nothing older)."""
        if after is None:
            floor = id_floor(now_ms)
            return cls(after=floor, low=floor)
        return cls(after=after, low=min(after, id_floor(id_time(after) - GRACE_MS)), sent={after})

    def advance(self, events: list[Event]) -> None:
        for event in events:
            self.sent.add(event.id)
            self.after = max(self.after, event.id)
        self.low = max(self.low, id_floor(id_time(self.after) - GRACE_MS))
        self.sent = {event_id for event_id in self.sent if event_id > self.low}


def read_batch(uow: UnitOfWork, scope: Scope, cursor: Cursor, types: frozenset[str] | None) -> list[Event]:
    """The events to send next, oldest first: those that committed late (below the cursor, not sent yet),
    then up to BATCH after the cursor. The caller sends them, then calls `cursor.advance(events)`."""
    filters: dict[str, Any] = {"type__in": sorted(types)} if types else {}
    late = [] if cursor.low >= cursor.after else [
        e for e in uow.events.find(scope, id__gt=cursor.low, id__lte=cursor.after, **filters)
        if e.id not in cursor.sent]
    new, _more = uow.events.page(scope, limit=BATCH, ending_before=cursor.after, **filters)
    return sorted(late, key=lambda e: e.id) + sorted(new, key=lambda e: e.id)
