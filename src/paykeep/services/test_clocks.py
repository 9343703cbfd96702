"""Test clocks (API.md §11, Stripe's /v1/test_helpers/test_clocks): create, retrieve, list, delete, advance;
carrying an advance out; deleting clocks whose time is up.

The objects of a clock's customer live on the clock's time (services/clock_time.py): made at its frozen
time, their deadlines (an authorization's 7 days, a Checkout Session's 24 hours) measured on it. The real-time
jobs leave them alone (they carry the clock in a `test_clock` column); an advance carries them out instead.

Advancing is durable. The request records the target and answers `advancing` (test_helpers.test_clock.
advancing); then `finish_advance` carries out, in the order of their due times, each effect due up to the
target, each in its own transaction with the clock's frozen_time moved to the effect's due time, and last
makes the clock `ready` at the target (test_helpers.test_clock.ready). The API runs it right after the
response; the timed jobs run `run_due` every few seconds, which finishes any clock still advancing, e.g.
after a crash between the two. Every step re-reads the clock and its object under their locks (the clock
first) and skips what is already done, so two runners at once, or a restart in the middle, change nothing
twice.
"""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any, Literal

from paykeep.domain.checkout_sessions import CheckoutSessionStatus
from paykeep.domain.errors import InvalidRequest
from paykeep.domain.payment_intents import PaymentIntentStatus
from paykeep.domain.test_clocks import (
    LIFETIME_MS,
    TestClock,
    TestClockStatus,
    check_frozen_time,
    check_name,
)
from paykeep.services import checkout_sessions, customers, payment_intents
from paykeep.services.accounts import account_dialect
from paykeep.services.clock_time import live_test_clock
from paykeep.services.common import page
from paykeep.services.events import previous_attributes
from paykeep.services.ports import Caller, Context, Deps, UnitOfWork
from paykeep.services.transactions import transaction
from paykeep.wire.customers import render_customer
from paykeep.wire.payment_intents import PaymentIntentCancel
from paykeep.wire.test_clocks import TestClockAdvance, TestClockCreate, TestClockList, render_test_clock

log = logging.getLogger("paykeep.test_clocks")

EFFECT_BATCH = 500  # due effects read per look (sorted by due time); more are read once these are done
CLOCK_BATCH = 100  # clocks a timed job run takes on
# Testing only (bootstrap sets it from PAYKEEP_TEST_CLOCKS_HOLD_AFTER): after this many effects, every
# runner of this process stops for good, so that a test can kill the server between `advancing` and `ready`.
HOLD_AFTER = "test_clocks.hold_after"
_OPEN_INTENTS = [s.value for s in (PaymentIntentStatus.REQUIRES_PAYMENT_METHOD,
                                   PaymentIntentStatus.REQUIRES_CONFIRMATION,
                                   PaymentIntentStatus.REQUIRES_ACTION, PaymentIntentStatus.REQUIRES_CAPTURE)]
Kind = Literal["payment_intent", "checkout_session"]


def _emit(ctx: Context, what: str, clock: TestClock, snapshot: dict[str, Any] | None = None) -> None:
    ctx.emit(f"test_helpers.test_clock.{what}", snapshot or render_test_clock(clock), row=clock)


# -- API use cases --------------------------------------------------------------------------------------
def create_test_clock(ctx: Context, params: TestClockCreate) -> TestClock:
    """POST /v1/test_helpers/test_clocks (`frozen_time` required; `name`; `customer`: an existing customer
    put on the new clock)."""
    if ctx.caller.livemode:
        raise InvalidRequest("Test clocks exist in test mode only: use a test mode API key (sk_test_…).")
    now = ctx.now_ms()
    clock = TestClock(id=ctx.new_id("clock"), account_id=ctx.caller.account_id, livemode=ctx.caller.livemode,
                      created=now, frozen_time=check_frozen_time(params.frozen_time),
                      deletes_after=now + LIFETIME_MS, name=check_name(params.name))
    ctx.uow.test_clocks.add(clock)
    _emit(ctx, "created", clock)
    if params.customer:
        _attach_customer(ctx, clock, params.customer)
    return clock


def _attach_customer(ctx: Context, clock: TestClock, customer_id: str) -> None:
    """An existing customer moves onto the clock, with its open PaymentIntents and Checkout Sessions (their
    times so far stay; their deadlines are measured on the clock from now on). Once on a clock, always."""
    customer = customers.live_customer(ctx, customer_id, for_update=True)
    if customer.test_clock is not None:
        raise InvalidRequest(f"The customer {customer.id} is already on the test clock "
                             f"{customer.test_clock}: a customer's test clock cannot change.",
                             param="customer")
    before = render_customer(customer)
    attached = customer.with_(test_clock=clock.id)
    ctx.uow.customers.save(attached)
    after = render_customer(attached)
    ctx.emit("customer.updated", after, previous_attributes(before, after), row=attached)
    for intent in ctx.uow.payment_intents.find(ctx.scope, customer=customer.id, status__in=_OPEN_INTENTS):
        ctx.uow.payment_intents.save(intent.with_(test_clock=clock.id))
    for session in ctx.uow.checkout_sessions.find(ctx.scope, customer=customer.id,
                                                  status=CheckoutSessionStatus.OPEN.value):
        ctx.uow.checkout_sessions.save(session.with_(test_clock=clock.id))


def retrieve_test_clock(ctx: Context, clock_id: str) -> TestClock:
    """GET /v1/test_helpers/test_clocks/{id} (a deleted clock is a 404, as an unknown one)."""
    return live_test_clock(ctx, clock_id)


def list_test_clocks(ctx: Context, params: TestClockList) -> tuple[list[TestClock], bool]:
    """GET /v1/test_helpers/test_clocks (newest first)."""
    return page(ctx, ctx.uow.test_clocks, "test clock", params, deleted=False)


def advance_test_clock(ctx: Context, clock_id: str, params: TestClockAdvance) -> TestClock:
    """POST /v1/test_helpers/test_clocks/{id}/advance: the target is recorded and the clock is `advancing`;
    `finish_advance` does the rest."""
    clock = live_test_clock(ctx, clock_id, for_update=True)
    advancing = clock.advance_to(params.frozen_time)  # 400 when not later, too far, or still advancing
    ctx.uow.test_clocks.save(advancing)
    _emit(ctx, "advancing", advancing)
    return advancing


def delete_test_clock(ctx: Context, clock_id: str) -> TestClock:
    """DELETE /v1/test_helpers/test_clocks/{id}: the clock and what lives on it (see `_delete`)."""
    return _delete(ctx, live_test_clock(ctx, clock_id, for_update=True))


def _delete(ctx: Context, clock: TestClock) -> TestClock:
    """As Stripe, deleting a clock deletes its customers: each as DELETE /v1/customers does (its cards
    detached, customer.deleted). Their PaymentIntents not yet succeeded or canceled are canceled (reason
    `abandoned`: an authorization is released) and their open Checkout Sessions expired, so that nothing is
    left waiting on a clock that no longer moves. An advance in progress stops."""
    snapshot = render_test_clock(clock)
    for customer in ctx.uow.customers.find(ctx.scope, test_clock=clock.id, deleted=False):
        customers.delete_customer(ctx, customer.id)
    abandoned = PaymentIntentCancel(cancellation_reason="abandoned")
    for intent in ctx.uow.payment_intents.find(ctx.scope, test_clock=clock.id, status__in=_OPEN_INTENTS):
        payment_intents.cancel_payment_intent(ctx, intent.id, abandoned)
    for session in ctx.uow.checkout_sessions.find(ctx.scope, test_clock=clock.id,
                                                  status=CheckoutSessionStatus.OPEN.value):
        session = checkout_sessions.settle(ctx, session)
        if session.status == CheckoutSessionStatus.OPEN:
            checkout_sessions.expire_open_session(ctx, session)
    deleted = clock.with_(deleted=True, status=TestClockStatus.READY, target_frozen_time=None)
    ctx.uow.test_clocks.save(deleted)
    _emit(ctx, "deleted", deleted, snapshot)
    return deleted


# -- carrying an advance out ----------------------------------------------------------------------------
def finish_advance(deps: Deps, scope: tuple[str, bool], clock_id: str) -> int:
    """Carry out the advance of one clock (of this account and mode), if it is advancing: every effect due up
    to its target, in the order of their due times, then `ready`. Returns the number of steps done (effects,
    and 1 for `ready`). Its events are made as by a timed job: no request, ids in the account's dialect."""
    done = 0
    tried: set[str] = set()
    with deps.begin(write=False) as uow:
        caller = Caller(scope[0], scope[1], dialect=account_dialect(uow, scope[0]))
    while True:
        with deps.begin(write=False) as uow:
            clock = uow.test_clocks.get(scope, clock_id)
            if clock is None or clock.deleted or not clock.advancing:
                return done
            effects = [e for e in _due_effects(uow, clock) if e[2] not in tried]
        if not effects:
            with transaction(deps, caller) as ctx:
                clock = ctx.uow.test_clocks.get(scope, clock_id, for_update=True)
                if clock is None or clock.deleted or not clock.advancing:
                    return done
                if any(e[2] not in tried for e in _due_effects(ctx.uow, clock)):
                    continue  # an object fell due meanwhile (made while advancing): carry it out first
                ready = clock.ready()
                ctx.uow.test_clocks.save(ready)
                _emit(ctx, "ready", ready)
            return done + 1
        for _due, kind, object_id in effects:
            tried.add(object_id)
            if _carry_out(deps, caller, clock_id, kind, object_id):
                done += 1
                _after_effect(deps)


def _due_effects(uow: UnitOfWork, clock: TestClock) -> list[tuple[int, Kind, str]]:
    """(due time, kind, id) of what falls due on this clock up to its target, earliest first."""
    target = clock.target_frozen_time if clock.target_frozen_time is not None else clock.frozen_time
    scope = (clock.account_id, clock.livemode)
    found: list[tuple[int, Kind, str]] = []
    for intent in uow.payment_intents.find(scope, limit=EFFECT_BATCH, test_clock=clock.id,
                                           status=PaymentIntentStatus.REQUIRES_CAPTURE.value,
                                           capture_before__lte=target):
        found.append((intent.capture_before or 0, "payment_intent", intent.id))
    for session in uow.checkout_sessions.find(scope, limit=EFFECT_BATCH, test_clock=clock.id,
                                              status=CheckoutSessionStatus.OPEN.value,
                                              expires_at__lte=target):
        found.append((session.expires_at, "checkout_session", session.id))
    return sorted(found)


def _carry_out(deps: Deps, caller: Caller, clock_id: str, kind: Kind, object_id: str) -> bool:
    """One effect in its own transaction, the clock's frozen_time moved to its due time; False when the clock
    or the object is no longer as it was (another runner did it, a capture came first, ...)."""
    with transaction(deps, caller) as ctx:
        clock = ctx.uow.test_clocks.get(ctx.scope, clock_id, for_update=True)
        if clock is None or clock.deleted or not clock.advancing or clock.target_frozen_time is None:
            return False
        target = clock.target_frozen_time
        if kind == "payment_intent":
            intent = ctx.uow.payment_intents.get(ctx.scope, object_id, for_update=True)
            if (intent is None or intent.status != PaymentIntentStatus.REQUIRES_CAPTURE
                    or intent.test_clock != clock_id or intent.capture_before is None
                    or intent.capture_before > target):
                return False
            ctx.uow.test_clocks.save(clock.reached(intent.capture_before))
            payment_intents.expire_authorization(ctx, intent)
            return True
        session = ctx.uow.checkout_sessions.get(ctx.scope, object_id, for_update=True)
        if (session is None or session.status != CheckoutSessionStatus.OPEN or session.test_clock != clock_id
                or session.expires_at > target):
            return False
        ctx.uow.test_clocks.save(clock.reached(session.expires_at))
        session = checkout_sessions.settle(ctx, session)  # a card saved meanwhile: complete, not expired
        if session.status == CheckoutSessionStatus.OPEN:
            checkout_sessions.expire_open_session(ctx, session)
        return True


_HOLD_LOCK = threading.Lock()


def _after_effect(deps: Deps) -> None:
    """The testing hook (HOLD_AFTER): count this process's effects and, from the given number on, stop."""
    hold = deps.extras.get(HOLD_AFTER)
    if not hold:
        return
    with _HOLD_LOCK:
        counter = deps.extras.setdefault("test_clocks.effects_done", itertools.count(1))
        done = next(counter)
    if done >= int(hold):
        log.warning("test clocks: holding after %d effects (PAYKEEP_TEST_CLOCKS_HOLD_AFTER, testing only)",
                    done)
        threading.Event().wait()


# -- the timed job --------------------------------------------------------------------------------------
def run_due(deps: Deps) -> int:
    """Finish every clock still advancing (an advance the API began, interrupted by a restart, or racing
    this), and delete clocks past their deletes_after. Returns the steps done."""
    with deps.begin(write=False) as uow:
        moving = uow.test_clocks.find(None, limit=CLOCK_BATCH, status=TestClockStatus.ADVANCING.value,
                                      deleted=False)
        now = deps.clock.now_ms()
        expiring = uow.test_clocks.find(None, limit=CLOCK_BATCH, deleted=False, deletes_after__lte=now)
    done = 0
    for clock in moving:
        done += finish_advance(deps, (clock.account_id, clock.livemode), clock.id)
    for clock in expiring:
        with transaction(deps, Caller(clock.account_id, clock.livemode)) as ctx:
            current = ctx.uow.test_clocks.get(ctx.scope, clock.id, for_update=True)
            if current is None or current.deleted or current.deletes_after > now:
                continue
            _delete(ctx, current)
            done += 1
    return done
