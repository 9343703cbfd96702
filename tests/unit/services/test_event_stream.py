"""The event stream's reads (services/event_stream.py) against the fakes: from now on, in id order, nothing
skipped when a transaction commits an older id late, nothing sent twice on one stream, a resumed stream
repeating at most the look-back window, the types filter, batches."""

from __future__ import annotations

import pytest

from paykeep.domain.dialects import Dialect
from paykeep.domain.errors import ParameterInvalid
from paykeep.domain.events import Event
from paykeep.domain.ids import IdFactory
from paykeep.services.event_stream import (
    BATCH,
    GRACE_MS,
    Cursor,
    check_after,
    check_types,
    id_floor,
    id_time,
    read_batch,
)
from support.fakes import ACCOUNT, START_MS, Fakes

SCOPE = (ACCOUNT, False)


class Ids:
    """Event ids made at chosen times."""

    def __init__(self) -> None:
        self.now = START_MS
        self.factory = IdFactory(now_ms=lambda: self.now, node=3)

    def at(self, ms: int, dialect: Dialect | None = None) -> str:
        self.now = ms
        return self.factory.new("evt", dialect)


def commit(fakes: Fakes, event_id: str, event_type: str = "customer.created") -> None:
    with fakes.store.begin(True) as uow:
        uow.events.add(Event(id=event_id, account_id=ACCOUNT, livemode=False, created=id_time(event_id),
                             type=event_type, api_version="2024-06-01", data={"object": {"id": "cus_x"}}))


def poll(fakes: Fakes, cursor: Cursor, types: frozenset[str] | None = None) -> list[str]:
    with fakes.store.begin(False) as uow:
        events = read_batch(uow, SCOPE, cursor, types)
    cursor.advance(events)
    return [e.id for e in events]


def test_ids_floor_and_time() -> None:
    ids = Ids()
    made = ids.at(START_MS)
    stripe_form = ids.at(START_MS, Dialect.STRIPE)
    assert id_time(made) == START_MS == id_time(stripe_form)
    assert id_floor(START_MS) < made < stripe_form and id_floor(START_MS + 1) > stripe_form


def test_a_fresh_stream_sends_what_comes_after_it_in_order(fakes: Fakes) -> None:
    ids = Ids()
    commit(fakes, ids.at(START_MS - 10))  # before the stream: never sent
    cursor = Cursor.start(START_MS, None)
    assert poll(fakes, cursor) == []
    first, second = ids.at(START_MS + 5), ids.at(START_MS + 6, Dialect.STRIPE)
    commit(fakes, second)
    commit(fakes, first)
    assert poll(fakes, cursor) == [first, second]
    assert poll(fakes, cursor) == []


def test_an_event_committed_late_below_the_cursor_is_sent_once(fakes: Fakes) -> None:
    ids = Ids()
    cursor = Cursor.start(START_MS, None)
    early = ids.at(START_MS + 100)  # its transaction is slow to commit
    later = ids.at(START_MS + 200)
    commit(fakes, later)
    assert poll(fakes, cursor) == [later]
    commit(fakes, early)  # below the cursor now
    assert poll(fakes, cursor) == [early]
    assert poll(fakes, cursor) == []
    too_late = ids.at(START_MS + 150)
    ids.at(START_MS + 200 + GRACE_MS + 1000)
    newest = ids.at(START_MS + 200 + GRACE_MS + 1000)
    commit(fakes, newest)
    assert poll(fakes, cursor) == [newest]
    commit(fakes, too_late)  # older than the look-back window by now
    assert poll(fakes, cursor) == []
    assert all(event_id > cursor.low for event_id in cursor.sent)  # what it remembers stays bounded


def test_a_resumed_stream_starts_after_the_event_and_repeats_at_most_the_window(fakes: Fakes) -> None:
    ids = Ids()
    old = ids.at(START_MS - GRACE_MS - 1000)
    recent = ids.at(START_MS - 100)
    last_seen = ids.at(START_MS)
    after = ids.at(START_MS + 10)
    for event_id in (old, recent, last_seen, after):
        commit(fakes, event_id)
    cursor = Cursor.start(START_MS + 60_000, last_seen)
    assert poll(fakes, cursor) == [recent, after]  # `recent` may be a repeat: the client drops it by id
    assert poll(fakes, cursor) == []


def test_types_and_batches(fakes: Fakes) -> None:
    ids = Ids()
    cursor = Cursor.start(START_MS, None)
    made = [ids.at(START_MS + 1 + i) for i in range(BATCH + 5)]
    for event_id in made:
        commit(fakes, event_id)
    refund = ids.at(START_MS + 1000)
    commit(fakes, refund, "refund.created")
    only_refunds = Cursor.start(START_MS, None)
    assert poll(fakes, only_refunds, frozenset({"refund.created"})) == [refund]
    assert poll(fakes, cursor) == made[:BATCH]
    assert poll(fakes, cursor) == [*made[BATCH:], refund]


def test_bad_input_is_a_400_naming_it() -> None:
    assert check_types(None) is None and check_types(["*", "customer.created"]) is None
    assert check_types(["customer.created"]) == frozenset({"customer.created"})
    with pytest.raises(ParameterInvalid) as bad_type:
        check_types(["customer.created", "customer.nope"])
    assert bad_type.value.param == "types[1]"
    assert check_after(None) is None and check_after("") is None
    with pytest.raises(ParameterInvalid) as bad_after:
        check_after("cus_1838767497487056896", "Last-Event-ID")
    assert bad_after.value.param == "Last-Event-ID"
