"""Test clocks beyond one request (services/test_clocks.py): an advance interrupted by a crash between
`advancing` and `ready` is finished by the next process, each effect once; the real-time jobs leave a clock's
objects alone whatever the real time; a clock is deleted, with its customers, once its deletes_after has
passed; two runners carrying out one advance at once do each effect once.

The crash is made deterministic by the testing hook PAYKEEP_TEST_CLOCKS_HOLD_AFTER=1: once one effect is
committed, every runner of that process stops for good, so the clock is still `advancing` with objects left
when the test SIGKILLs the server."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paykeep import bootstrap
from paykeep.adapters.clock import ManualClock
from paykeep.services import checkout_sessions, customers, payment_intents, test_clocks
from paykeep.services.ports import Caller, Context, Declined
from paykeep.services.transactions import transaction
from paykeep.wire.checkout_sessions import CheckoutSessionCreate
from paykeep.wire.customers import CustomerCreate
from paykeep.wire.payment_intents import PaymentIntentCreate
from paykeep.wire.test_clocks import TestClockAdvance, TestClockCreate
from support.assertions import assert_error
from support.payments import pay
from support.receiver import wait_until
from support.runtime import manual_runtime
from support.server import PaykeepServer

DAY_MS = 24 * 3600 * 1000
FROZEN_MS = 1_577_836_800_000  # 2020-01-01: long before the real now
PATH = "/v1/test_helpers/test_clocks"


def _clock_customer(api: httpx.Client, clock_id: str) -> str:
    resp = api.post("/v1/customers", data={"email": f"c-{uuid.uuid4().hex[:8]}@example.com",
                                           "test_clock": clock_id})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["id"])


def _uncaptured(api: httpx.Client, customer_id: str | None = None) -> str:
    resp = pay(api, "4242424242424242", capture_method="manual",
               **({"customer": customer_id} if customer_id else {}))
    assert resp.status_code == 200 and resp.json()["status"] == "requires_capture", resp.text
    return str(resp.json()["id"])


def _count(api: httpx.Client, event_type: str, object_id: str) -> int:
    data = api.get("/v1/events", params={"type": event_type, "limit": 100}).json()["data"]
    return sum(1 for e in data if e["data"]["object"]["id"] == object_id)


def test_a_restart_between_advancing_and_ready_finishes_the_advance(tmp_path: Path) -> None:
    srv = PaykeepServer(tmp_path / "server", env={"PAYKEEP_TEST_CLOCKS_HOLD_AFTER": "1"}).start()
    try:
        with srv.client() as api:
            clock = api.post(PATH, data={"frozen_time": str(FROZEN_MS)}).json()
            intents = [_uncaptured(api, _clock_customer(api, clock["id"])) for _ in range(3)]
            target = FROZEN_MS + 8 * DAY_MS
            resp = api.post(f"{PATH}/{clock['id']}/advance", data={"frozen_time": str(target)})
            assert resp.status_code == 200 and resp.json()["status"] == "advancing", resp.text

        with srv.client() as api:  # a new connection: the one above may still be carrying the advance out
            def statuses() -> list[str]:
                return [api.get(f"/v1/payment_intents/{pi}").json()["status"] for pi in intents]

            wait_until(lambda: "canceled" in statuses(), timeout=30)  # an effect is committed, then the hold
            held = api.get(f"{PATH}/{clock['id']}").json()
            assert held["status"] == "advancing" and "requires_capture" in statuses(), (held, statuses())
            assert held["status_details"]["advancing"]["target_frozen_time"] == target
            error = assert_error(api.post(f"{PATH}/{clock['id']}/advance",
                                          data={"frozen_time": str(target + DAY_MS)}), 400,
                                 "test_clock_not_ready")
            assert "still advancing" in error["message"]
        srv.kill()  # SIGKILL between `advancing` and `ready`

        del srv.env["PAYKEEP_TEST_CLOCKS_HOLD_AFTER"]
        srv.start()  # its timed jobs find the clock still advancing and finish it
        with srv.client() as api:
            ready = wait_until(lambda: (c := api.get(f"{PATH}/{clock['id']}").json())["status"] == "ready"
                               and c, timeout=30)
            assert ready["frozen_time"] == target and ready["status_details"] == {}
            for pi in intents:
                intent = api.get(f"/v1/payment_intents/{pi}").json()
                assert (intent["status"], intent["cancellation_reason"]) == ("canceled", "automatic")
                assert _count(api, "payment_intent.canceled", pi) == 1, "each effect exactly once"
                assert _count(api, "charge.expired", intent["latest_charge"]) == 1
            assert _count(api, "test_helpers.test_clock.advancing", clock["id"]) == 1
            assert _count(api, "test_helpers.test_clock.ready", clock["id"]) == 1
    finally:
        srv.close()


# -- the jobs, on a database with an injected clock ---------------------------------------------------
@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Iterator[tuple[bootstrap.Runtime, ManualClock, Caller]]:
    with manual_runtime(database_url, tmp_path, public_url="http://127.0.0.1:9") as found:
        yield found


def _run(rt: bootstrap.Runtime, caller: Caller, fn: Any) -> Any:
    with transaction(rt.deps, caller) as ctx:
        return fn(ctx)


def _setup(rt: bootstrap.Runtime, caller: Caller, clock_id: str | None,
           count: int = 1) -> list[tuple[str, str]]:
    """(uncaptured PaymentIntent, open Checkout Session) of `count` new customers on the clock (or none)."""
    def make(ctx: Context) -> tuple[str, str]:
        customer = customers.create_customer(ctx, CustomerCreate.model_validate({"test_clock": clock_id}))
        intent = payment_intents.create_payment_intent(ctx, PaymentIntentCreate.model_validate({
            "amount": 1000, "currency": "usd", "confirm": True, "capture_method": "manual",
            "customer": customer.id, "payment_method_data": {"type": "card", "card": {
                "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}}))
        assert not isinstance(intent, Declined) and intent.status == "requires_capture"
        session = checkout_sessions.create_checkout_session(ctx, CheckoutSessionCreate.model_validate(
            {"success_url": "https://m.example/ok", "customer": customer.id}), mode_required=False)
        return intent.id, session.id

    return [_run(rt, caller, make) for _ in range(count)]


def _new_clock(rt: bootstrap.Runtime, caller: Caller) -> str:
    return str(_run(rt, caller, lambda ctx: test_clocks.create_test_clock(
        ctx, TestClockCreate.model_validate({"frozen_time": FROZEN_MS})).id))


def _status(rt: bootstrap.Runtime, caller: Caller, table: str, object_id: str) -> str:
    return str(_run(rt, caller, lambda ctx: getattr(ctx.uow, table).get(ctx.scope, object_id).status))


def test_the_real_time_jobs_leave_a_clocks_objects_alone(runtime: Any) -> None:
    rt, clock, caller = runtime
    on_clock = _setup(rt, caller, _new_clock(rt, caller))[0]
    real = _setup(rt, caller, None)[0]
    clock.advance(6 * DAY_MS)  # the clock's objects fell due in 2020; the real ones on day 1 and day 7
    assert checkout_sessions.expire_due_sessions(rt.deps) == 1
    clock.advance(2 * DAY_MS)
    assert payment_intents.expire_uncaptured(rt.deps) == 1
    assert _status(rt, caller, "payment_intents", real[0]) == "canceled"
    assert _status(rt, caller, "checkout_sessions", real[1]) == "expired"
    assert _status(rt, caller, "payment_intents", on_clock[0]) == "requires_capture"
    assert _status(rt, caller, "checkout_sessions", on_clock[1]) == "open"


def test_a_clock_is_deleted_with_its_customers_after_its_deletes_after(runtime: Any) -> None:
    rt, clock, caller = runtime
    clock_id = _new_clock(rt, caller)
    intent_id, session_id = _setup(rt, caller, clock_id)[0]
    [customer] = _run(rt, caller, lambda ctx: ctx.uow.customers.find(ctx.scope, test_clock=clock_id))
    clock.advance(7 * DAY_MS - 1)
    assert test_clocks.run_due(rt.deps) == 0
    clock.advance(1)
    assert test_clocks.run_due(rt.deps) == 1
    assert _run(rt, caller, lambda ctx: ctx.uow.test_clocks.get(ctx.scope, clock_id).deleted) is True
    assert _run(rt, caller, lambda ctx: ctx.uow.customers.get(ctx.scope, customer.id).deleted) is True
    assert _status(rt, caller, "payment_intents", intent_id) == "canceled"
    assert _status(rt, caller, "checkout_sessions", session_id) == "expired"
    assert test_clocks.run_due(rt.deps) == 0, "nothing left to do"


def test_two_runners_at_once_do_each_effect_once(runtime: Any) -> None:
    rt, _clock, caller = runtime
    clock_id = _new_clock(rt, caller)
    made = _setup(rt, caller, clock_id, count=6)
    _run(rt, caller, lambda ctx: test_clocks.advance_test_clock(
        ctx, clock_id, TestClockAdvance.model_validate({"frozen_time": FROZEN_MS + 8 * DAY_MS})))
    done: list[int] = []
    runners = [threading.Thread(target=lambda: done.append(test_clocks.finish_advance(
        rt.deps, caller.scope, clock_id))) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(60)
    assert sum(done) == 2 * len(made) + 1, "each of the 12 effects and `ready`, once between the two"
    events = _run(rt, caller, lambda ctx: ctx.uow.events.find(ctx.scope))
    by_type: dict[str, int] = {}
    for event in events:
        by_type[event.type] = by_type.get(event.type, 0) + 1
    assert by_type["payment_intent.canceled"] == 6 and by_type["charge.expired"] == 6
    assert by_type["checkout.session.expired"] == 6 and by_type["test_helpers.test_clock.ready"] == 1
    final = _run(rt, caller, lambda ctx: ctx.uow.test_clocks.get(ctx.scope, clock_id))
    assert (final.status, final.frozen_time) == ("ready", FROZEN_MS + 8 * DAY_MS)
