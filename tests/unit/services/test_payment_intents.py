"""PaymentIntents through the attempt pipeline, against the fakes: approve, manual capture, challenge,
decline, off-session, expiry; and every row of the transition table with the event it emits (API.md §4,
§5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import pytest

from paykeep.domain.customers import Customer
from paykeep.domain.errors import ParameterMissing
from paykeep.domain.payment_intents import (
    CAPTURE_WINDOW_MS,
    PAYMENT_INTENT_TRANSITIONS,
    PaymentIntentAction,
    PaymentIntentStatus,
)
from paykeep.services import attempts, payment_intents
from paykeep.services.ports import Declined
from paykeep.wire.payment_intents import (
    PaymentIntentCancel,
    PaymentIntentCapture,
    PaymentIntentConfirm,
    PaymentIntentCreate,
    PaymentIntentUpdate,
)
from support.fakes import CHALLENGE, DECLINED, FRICTIONLESS, Fakes, card, challenge_token

S: TypeAlias = PaymentIntentStatus
A: TypeAlias = PaymentIntentAction
RETURN_URL = "https://shop.example.test/paid"


def _create(fakes: Fakes, **params: Any) -> Any:
    return fakes.run(payment_intents.create_payment_intent,
                     PaymentIntentCreate.model_validate({"amount": 2000, "currency": "usd", **params}))


def _pay(fakes: Fakes, number: str, **params: Any) -> Any:
    return _create(fakes, confirm=True, payment_method_data=card(number), **params)


def _stored(fakes: Fakes, intent: Any) -> Any:
    found = fakes.uow.payment_intents.get(fakes.caller.scope, intent["id"])
    assert found is not None
    return found


def test_approved_payment_charges_the_card(fakes: Fakes) -> None:
    intent = _pay(fakes, FRICTIONLESS)
    assert (intent["status"], intent["amount_received"], intent["amount_capturable"]) == (
        "succeeded", 2000, 0)
    (charge,) = fakes.uow.charges.find(None, payment_intent=intent["id"])
    assert intent["latest_charge"] == charge["id"]
    assert (charge["amount"], charge["amount_captured"], charge["captured"]) == (2000, 2000, True)
    assert charge["payment_method_details"]["card"]["last4"] == "4242"
    assert fakes.event_types(intent["id"]) == ["payment_intent.created", "payment_intent.succeeded"]
    assert fakes.events(intent["id"])[-1]["data"]["object"]["amount_received"] == 2000


def test_manual_capture_holds_then_captures(fakes: Fakes) -> None:
    intent = _pay(fakes, FRICTIONLESS, capture_method="manual")
    assert (intent["status"], intent["amount_capturable"]) == ("requires_capture", 2000)
    assert intent["capture_before"] == fakes.clock.now_ms() + CAPTURE_WINDOW_MS
    (charge,) = fakes.uow.charges.find(None, payment_intent=intent["id"])
    assert (charge["captured"], charge["amount_captured"]) == (False, 0)
    captured = fakes.run(payment_intents.capture_payment_intent, intent["id"],
                         PaymentIntentCapture.model_validate({"amount_to_capture": 1500}))
    assert (captured["status"], captured["amount_received"], captured["amount_capturable"]) == (
        "succeeded", 1500, 0)
    charge = fakes.uow.charges.get(fakes.caller.scope, charge["id"])
    assert charge is not None and (charge["captured"], charge["amount_captured"]) == (True, 1500)
    assert fakes.event_types(intent["id"]) == ["payment_intent.created",
                                               "payment_intent.amount_capturable_updated",
                                               "payment_intent.succeeded"]


def test_an_uncaptured_authorization_expires(fakes: Fakes) -> None:
    intent = _pay(fakes, FRICTIONLESS, capture_method="manual")
    assert payment_intents.expire_uncaptured(fakes.deps) == 0  # not due yet
    fakes.clock.advance(CAPTURE_WINDOW_MS)
    assert payment_intents.expire_uncaptured(fakes.deps) == 1
    after = _stored(fakes, intent)
    assert (after["status"], after["cancellation_reason"], after["amount_capturable"]) == (
        "canceled", "automatic", 0)
    (charge,) = fakes.uow.charges.find(None, payment_intent=intent["id"])
    assert (charge["released"], charge["amount_refunded"]) == (True, 2000)
    assert fakes.event_types(intent["id"])[-1] == "payment_intent.canceled"


def test_challenge_then_complete_succeeds(fakes: Fakes) -> None:
    intent = _pay(fakes, CHALLENGE, return_url=RETURN_URL)
    assert intent["status"] == "requires_action"
    assert intent["next_action"]["challenge_redirect"]["return_url"] == RETURN_URL
    (challenge,) = fakes.uow.challenges.find(None, intent_id=intent["id"])
    assert (challenge["amount"], challenge["currency"], challenge["intent_type"]) == (
        2000, "USD", "payment_intent")  # stored upper-case (money.normalise_currency)
    assert fakes.uow.charges.count(None) == 0
    redirect = attempts.answer_challenge(fakes.deps, challenge_token(intent), "complete")
    assert redirect.startswith(RETURN_URL + f"?payment_intent={intent['id']}&")
    assert redirect.endswith("redirect_status=succeeded")
    after = _stored(fakes, intent)
    assert (after["status"], after["amount_received"], after["next_action"]) == ("succeeded", 2000, None)
    (charge,) = fakes.uow.charges.find(None, payment_intent=intent["id"])
    assert charge["payment_method_details"]["card"]["three_d_secure"] == {
        "authentication_flow": "challenge", "result": "authenticated", "result_reason": None,
        "version": "2.2.0"}
    assert fakes.event_types(charge["id"]) == ["charge.succeeded"]
    assert fakes.event_types(intent["id"]) == ["payment_intent.created", "payment_intent.requires_action",
                                               "payment_intent.succeeded"]


def test_challenge_failed_needs_a_new_payment_method(fakes: Fakes) -> None:
    intent = _pay(fakes, CHALLENGE, return_url=RETURN_URL)
    attempts.answer_challenge(fakes.deps, challenge_token(intent), "fail")
    after = _stored(fakes, intent)
    assert (after["status"], after["payment_method"]) == ("requires_payment_method", None)
    assert after["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    assert fakes.event_types(intent["id"])[-1] == "payment_intent.payment_failed"
    assert fakes.uow.charges.count(None) == 0


def test_a_decline_commits_the_failed_attempt(fakes: Fakes) -> None:
    result = _pay(fakes, DECLINED)
    assert isinstance(result, Declined) and result.object_name == "payment_intent"
    assert (result.error.code, result.error.decline_code) == ("card_declined", "generic_decline")
    after = _stored(fakes, result.row)
    assert (after["status"], after["last_payment_error"]["decline_code"]) == (
        "requires_payment_method", "generic_decline")
    assert after["last_payment_error"]["payment_method"]["card"]["last4"] == "0002"
    assert fakes.event_types(after["id"]) == ["payment_intent.created", "payment_intent.payment_failed"]
    assert fakes.uow.charges.count(None) == 0


def test_off_session_with_a_card_that_needs_authentication(fakes: Fakes) -> None:
    result = _pay(fakes, "4000002760003184", off_session=True)
    assert isinstance(result, Declined) and result.error.code == "authentication_required"
    assert _stored(fakes, result.row)["status"] == "requires_payment_method"


def test_a_challenge_without_return_url_stores_nothing(fakes: Fakes) -> None:
    before = fakes.store.dump()
    with pytest.raises(ParameterMissing) as info:
        _pay(fakes, CHALLENGE)
    assert info.value.param == "return_url"
    assert fakes.store.dump() == before


def test_setup_future_usage_saves_the_card(fakes: Fakes, customer: Customer) -> None:
    intent = _pay(fakes, FRICTIONLESS, customer=customer.id, setup_future_usage="off_session")
    pm = fakes.uow.payment_methods.get(fakes.caller.scope, intent["payment_method"])
    assert pm is not None and (pm["customer"], pm["mandate"]) == (customer.id, True)
    assert fakes.event_types()[-4:] == ["payment_intent.created", "charge.succeeded",  # Stripe's order
                                        "payment_method.attached", "payment_intent.succeeded"]


# -- every row of the transition table, through the use case that makes it, with its event -----------------
Do = Callable[[Fakes, Any], Any]


def _start(fakes: Fakes, status: S, manual: bool = False) -> Any:
    """An intent in `status`, made through the use cases (`manual`: confirmation_method=manual, and in
    requires_confirmation because its cardholder passed the challenge)."""
    if manual:
        waiting = _pay(fakes, CHALLENGE, return_url=RETURN_URL, confirmation_method="manual")
        if status is S.REQUIRES_CONFIRMATION:
            attempts.answer_challenge(fakes.deps, challenge_token(waiting), "complete")
            return _stored(fakes, waiting)
        return waiting
    if status is S.REQUIRES_PAYMENT_METHOD:
        return _create(fakes)
    if status is S.REQUIRES_CONFIRMATION:
        return _create(fakes, payment_method_data=card(FRICTIONLESS))
    if status is S.REQUIRES_ACTION:
        return _pay(fakes, CHALLENGE, return_url=RETURN_URL)
    if status is S.REQUIRES_CAPTURE:
        return _pay(fakes, FRICTIONLESS, capture_method="manual")
    raise AssertionError(status)


def _update(**params: Any) -> Do:
    return lambda fakes, pi: fakes.run(payment_intents.update_payment_intent, pi["id"],
                                       PaymentIntentUpdate.model_validate(params))


def _confirm(number: str, **params: Any) -> Do:
    return lambda fakes, pi: fakes.run(payment_intents.confirm_payment_intent, pi["id"],
                                       PaymentIntentConfirm.model_validate({
                                           "payment_method_data": card(number), "return_url": RETURN_URL,
                                           **params}))


def _answer(outcome: str) -> Do:
    return lambda fakes, pi: attempts.answer_challenge(fakes.deps, challenge_token(pi), outcome)


def _cancel(fakes: Fakes, pi: Any) -> Any:
    return fakes.run(payment_intents.cancel_payment_intent, pi["id"], PaymentIntentCancel.model_validate({}))


def _capture(fakes: Fakes, pi: Any) -> Any:
    return fakes.run(payment_intents.capture_payment_intent, pi["id"],
                     PaymentIntentCapture.model_validate({}))


def _expire(fakes: Fakes, pi: Any) -> Any:
    fakes.clock.advance(CAPTURE_WINDOW_MS)
    return payment_intents.expire_uncaptured(fakes.deps)


# (status, action) -> (from which status the use case starts, what it does, the status it ends in, the events)
# A row into `processing` is the start of an attempt: the use case ends where the attempt's verdict leads.
_ATTACH = _update(payment_method_data=card(FRICTIONLESS))
_UPDATE = _update(amount=2500)
RPM, RC, RA, RCAP = S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_CONFIRMATION, S.REQUIRES_ACTION, S.REQUIRES_CAPTURE
ROWS: dict[tuple[S, A], tuple[S, Do, S, list[str]] | None] = {
    (RPM, A.ATTACH_PAYMENT_METHOD): (RPM, _ATTACH, RC, []),
    (RC, A.ATTACH_PAYMENT_METHOD): (RC, _ATTACH, RC, []),
    (RA, A.ATTACH_PAYMENT_METHOD): (RA, _ATTACH, RC, []),
    (RPM, A.UPDATE): (RPM, _UPDATE, RPM, []),
    (RC, A.UPDATE): (RC, _UPDATE, RC, []),
    (RA, A.UPDATE): (RA, _UPDATE, RC, []),
    (RPM, A.CONFIRM): (RPM, _confirm(FRICTIONLESS), S.SUCCEEDED, ["payment_intent.succeeded"]),
    (RC, A.CONFIRM): (RC, _confirm(FRICTIONLESS), S.SUCCEEDED, ["payment_intent.succeeded"]),
    (RA, A.CONFIRM): (RA, _confirm(FRICTIONLESS), S.SUCCEEDED, ["payment_intent.succeeded"]),
    (S.PROCESSING, A.SUCCEED): (RPM, _confirm(FRICTIONLESS), S.SUCCEEDED, ["payment_intent.succeeded"]),
    (S.PROCESSING, A.AUTHORIZE): (RPM, _confirm(FRICTIONLESS, capture_method="manual"), RCAP,
        ["payment_intent.amount_capturable_updated"]),
    (S.PROCESSING, A.REQUIRE_ACTION): (RPM, _confirm(CHALLENGE), RA, ["payment_intent.requires_action"]),
    (S.PROCESSING, A.FAIL): (RPM, _confirm(DECLINED), RPM, ["payment_intent.payment_failed"]),
    (RA, A.AUTHENTICATE): (RA, _answer("complete"), S.SUCCEEDED, ["payment_intent.succeeded"]),
    (RA, A.FAIL_AUTHENTICATION): (RA, _answer("fail"), RPM, ["payment_intent.payment_failed"]),
    (RA, A.AWAIT_CONFIRMATION): (RA, _answer("complete"), RC, []),  # manual (MANUAL below)
    (RC, A.AUTHENTICATE): (RC, lambda fakes, pi: fakes.run(
        payment_intents.confirm_payment_intent, pi["id"], PaymentIntentConfirm.model_validate({})),
        S.SUCCEEDED, ["payment_intent.succeeded"]),
    (RCAP, A.CAPTURE): (RCAP, _capture, S.SUCCEEDED, ["payment_intent.succeeded"]),
    (RPM, A.CANCEL): (RPM, _cancel, S.CANCELED, ["payment_intent.canceled"]),
    (RC, A.CANCEL): (RC, _cancel, S.CANCELED, ["payment_intent.canceled"]),
    (RA, A.CANCEL): (RA, _cancel, S.CANCELED, ["payment_intent.canceled"]),
    (RCAP, A.CANCEL): (RCAP, _cancel, S.CANCELED, ["payment_intent.canceled"]),
    (RCAP, A.EXPIRE): (RCAP, _expire, S.CANCELED, ["payment_intent.canceled"]),
    # processing lasts only inside the confirm's transaction: no use case sees an intent there to cancel
    (S.PROCESSING, A.CANCEL): None,
}


def test_every_row_of_the_table_has_a_case() -> None:
    missing = sorted(f"{s}-{a}" for s, a in set(PAYMENT_INTENT_TRANSITIONS) - set(ROWS))
    extra = sorted(f"{s}-{a}" for s, a in set(ROWS) - set(PAYMENT_INTENT_TRANSITIONS))
    assert not missing and not extra, f"rows without a case here: {missing}; cases of no row: {extra}"


CASES = [(key, case) for key, case in ROWS.items() if case is not None]
MANUAL = {(RA, A.AWAIT_CONFIRMATION), (RC, A.AUTHENTICATE)}  # rows of confirmation_method=manual intents


@pytest.mark.parametrize(("row", "case"), CASES, ids=[f"{s}-{a}" for (s, a), _ in CASES])
def test_each_transition_emits_its_event(row: tuple[S, A], case: tuple[S, Do, S, list[str]]) -> None:
    fakes = Fakes.make()
    start, do, end, events = case
    intent = _start(fakes, start, manual=row in MANUAL)
    assert intent["status"] == start
    before = fakes.event_types(intent["id"])
    do(fakes, intent)
    after = _stored(fakes, intent)
    assert after["status"] == end
    if PAYMENT_INTENT_TRANSITIONS[row] is not S.PROCESSING:
        assert end is PAYMENT_INTENT_TRANSITIONS[row]  # the table's move, made by the use case
    assert fakes.event_types(intent["id"])[len(before):] == events
