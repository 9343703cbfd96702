"""Checkout Session expiry: `expire_due_sessions` on a real database with an injected clock (no sleeping),
and the running worker expiring a session of a server whose clock runs 25 hours ahead
(PAYKEEP_CLOCK_OFFSET_MS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paykeep import bootstrap
from paykeep.adapters.clock import ManualClock
from paykeep.domain.checkout_sessions import LIFETIME_MS
from paykeep.services import checkout_page, checkout_sessions, setup_intents
from paykeep.services.ports import Caller, Context
from paykeep.webhooks import construct_event
from paykeep.wire.checkout_sessions import CheckoutSessionCreate
from paykeep.wire.setup_intents import SetupIntentConfirm
from support.receiver import Receiver, wait_until
from support.runtime import START_MS, manual_runtime
from support.server import PaykeepServer

HOUR_MS = 3600 * 1000


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Iterator[tuple[bootstrap.Runtime, ManualClock, Caller]]:
    with manual_runtime(database_url, tmp_path, public_url="http://127.0.0.1:9") as found:
        yield found


def in_transaction(rt: bootstrap.Runtime, caller: Caller, fn: Any) -> Any:
    with rt.deps.begin(write=True) as uow:
        return fn(Context(uow, rt.deps, caller))


def new_session(rt: bootstrap.Runtime, caller: Caller, **params: Any) -> dict[str, Any]:
    """The new session's JSON object (with its hosted url)."""
    p = CheckoutSessionCreate.model_validate({"success_url": "https://m.example/ok", **params})
    return in_transaction(rt, caller, lambda ctx: checkout_sessions.render(
        ctx.deps, checkout_sessions.create_checkout_session(ctx, p, mode_required=False)))


def session(rt: bootstrap.Runtime, caller: Caller, session_id: str) -> dict[str, Any]:
    return in_transaction(rt, caller, lambda ctx: ctx.uow.checkout_sessions.get(ctx.scope, session_id))


def events(rt: bootstrap.Runtime, caller: Caller, event_type: str) -> list[dict[str, Any]]:
    return in_transaction(rt, caller, lambda ctx: ctx.uow.events.find(ctx.scope, type=event_type))


def test_expire_due_sessions_uses_the_clock(runtime: Any) -> None:
    rt, clock, caller = runtime
    first, second, saved = (new_session(rt, caller) for _ in range(3))
    confirm = SetupIntentConfirm.model_validate({"payment_method_data": {"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}})
    in_transaction(rt, caller,
                   lambda ctx: setup_intents.confirm_setup_intent(ctx, saved["setup_intent"], confirm))
    assert session(rt, caller, saved["id"])["status"] == "complete"
    clock.advance(HOUR_MS)
    later = new_session(rt, caller)
    assert first["expires_at"] == START_MS + LIFETIME_MS

    clock.advance(LIFETIME_MS - HOUR_MS - 1)  # one millisecond before the first ones are due
    assert checkout_sessions.expire_due_sessions(rt.deps) == 0
    assert session(rt, caller, first["id"])["status"] == "open"

    clock.advance(1)
    assert checkout_sessions.expire_due_sessions(rt.deps) == 2
    for cs in (first, second):
        assert session(rt, caller, cs["id"])["status"] == "expired"
    assert session(rt, caller, saved["id"])["status"] == "complete", "a completed session never expires"
    assert session(rt, caller, later["id"])["status"] == "open"
    expired = events(rt, caller, "checkout.session.expired")
    assert sorted(e["object_id"] for e in expired) == sorted([first["id"], second["id"]])
    assert all(e["request_id"] is None and e["data"]["object"]["status"] == "expired" for e in expired)
    canceled = {e["object_id"] for e in events(rt, caller, "setup_intent.canceled")}
    assert canceled == {first["setup_intent"], second["setup_intent"]}
    assert checkout_sessions.expire_due_sessions(rt.deps) == 0, "running again changes nothing"

    clock.advance(HOUR_MS)
    assert checkout_sessions.expire_due_sessions(rt.deps) == 1
    assert session(rt, caller, later["id"])["status"] == "expired"
    assert len(events(rt, caller, "checkout.session.expired")) == 3


def test_expire_due_sessions_works_in_batches(runtime: Any) -> None:
    rt, clock, caller = runtime
    made = [new_session(rt, caller)["id"] for _ in range(7)]
    clock.advance(LIFETIME_MS)
    assert checkout_sessions.expire_due_sessions(rt.deps, batch=3) == 7
    assert {session(rt, caller, cs)["status"] for cs in made} == {"expired"}


def test_a_page_visit_after_expires_at_expires_the_session_at_once(runtime: Any) -> None:
    rt, clock, caller = runtime
    cs = new_session(rt, caller)
    path_id, key = cs["url"].split("/checkout/setup/")[1].split("?key=")
    assert checkout_page.show_page(rt.deps, path_id, key).kind == "form"
    clock.advance(LIFETIME_MS)
    page = checkout_page.show_page(rt.deps, path_id, key)
    assert page.kind == "closed" and page.closed == "expired" and page.status_code == 410
    assert session(rt, caller, cs["id"])["status"] == "expired"
    assert [e["object_id"] for e in events(rt, caller, "checkout.session.expired")] == [cs["id"]]
    assert checkout_sessions.expire_due_sessions(rt.deps) == 0


def test_the_worker_expires_a_session_when_its_time_has_come(tmp_path: Path) -> None:
    receiver = Receiver()
    srv = PaykeepServer(tmp_path / "server", env={"PAYKEEP_TIMED_JOBS_INTERVAL": "0.2"}).start()
    try:
        with srv.client() as api:
            endpoint = api.post("/v1/webhook_endpoints", data={
                "url": receiver.url, "enabled_events[]": ["checkout.session.expired"]}).json()
            cs = api.post("/v1/checkout/sessions/setup", data={"success_url": "https://m.example/ok"}).json()
        srv.stop()
        srv.env["PAYKEEP_CLOCK_OFFSET_MS"] = str(LIFETIME_MS + HOUR_MS)  # the same server, 25 hours later
        srv.start()
        with srv.client() as api:
            expired = wait_until(lambda: (s := api.get(f"/v1/checkout/sessions/{cs['id']}").json())["status"]
                                 == "expired" and s, timeout=20)
            assert expired["url"] is None
            assert api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()["status"] == "canceled"
        try:
            got = receiver.wait_count(1, timeout=40)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nserver log:\n{srv.logs()[-4000:]}") from None
        event = construct_event(got[0].body, got[0].signature, endpoint["secret"], tolerance=10 ** 6)
        assert event["type"] == "checkout.session.expired" and event["data"]["object"]["id"] == cs["id"]
        assert event["request"]["id"] is None
    finally:
        srv.close()
        receiver.close()
