"""SetupIntents through the attempt pipeline, against the fakes: each outcome's status, stored records and
events in order (API.md §4, §4.2, §5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import pytest

from paykeep.domain.customers import Customer
from paykeep.domain.errors import ParameterMissing, UnexpectedState
from paykeep.domain.setup_intents import SETUP_INTENT_TRANSITIONS, SetupIntentAction, SetupIntentStatus
from paykeep.services import attempts, setup_intents
from paykeep.services.ports import Declined
from paykeep.wire.setup_intents import (
    SetupIntentCancel,
    SetupIntentConfirm,
    SetupIntentCreate,
    SetupIntentUpdate,
)
from support.fakes import CHALLENGE, DECLINED, FRICTIONLESS, Fakes, card, challenge_token

S: TypeAlias = SetupIntentStatus
A: TypeAlias = SetupIntentAction
RETURN_URL = "https://shop.example.test/back"


def _create(fakes: Fakes, **params: Any) -> Any:
    return fakes.run(setup_intents.create_setup_intent, SetupIntentCreate.model_validate(params))


def _confirmed(fakes: Fakes, customer: Customer, number: str, **params: Any) -> Any:
    return _create(fakes, confirm=True, customer=customer.id, payment_method_data=card(number), **params)


def test_frictionless_card_succeeds_and_is_attached(fakes: Fakes, customer: Customer) -> None:
    intent = _confirmed(fakes, customer, FRICTIONLESS)
    assert intent["status"] == "succeeded"
    assert intent["next_action"] is None and intent["last_setup_error"] is None
    pm = fakes.uow.payment_methods.get(fakes.caller.scope, intent["payment_method"])
    assert pm is not None and pm["customer"] == customer.id and pm["mandate"] is True
    assert fakes.event_types()[1:] == ["setup_intent.created", "payment_method.attached",
                                       "setup_intent.succeeded"]
    succeeded = fakes.events(intent["id"])[-1]
    assert succeeded["data"]["object"]["status"] == "succeeded"
    assert succeeded["data"]["object"]["payment_method"] == pm["id"]
    stored = fakes.uow.setup_intents.get(fakes.caller.scope, intent["id"])
    assert stored is not None and stored["status"] == "succeeded"
    assert fakes.store.commits >= 2 and fakes.store.rollbacks == 0


def test_challenge_card_requires_action(fakes: Fakes, customer: Customer) -> None:
    intent = _confirmed(fakes, customer, CHALLENGE, return_url=RETURN_URL)
    assert intent["status"] == "requires_action"
    redirect = intent["next_action"]["challenge_redirect"]
    assert intent["next_action"]["type"] == "challenge_redirect"
    assert redirect["return_url"] == RETURN_URL
    assert redirect["url"].startswith("https://pay.example.test/3ds/tds_")
    (challenge,) = fakes.uow.challenges.find(None, intent_id=intent["id"])
    assert (challenge["status"], challenge["intent_type"]) == ("pending", "setup_intent")
    token = challenge_token(intent)
    assert token.startswith(challenge["id"] + "_secret_")
    assert token not in repr(challenge) and challenge["token_hash"]  # the challenge keeps its keyed hash only
    assert fakes.event_types(intent["id"]) == ["setup_intent.created", "setup_intent.requires_action"]
    pm = fakes.uow.payment_methods.get(fakes.caller.scope, intent["payment_method"])
    assert pm is not None and pm["customer"] is None  # attached only once the setup succeeds


def test_completing_the_challenge_succeeds(fakes: Fakes, customer: Customer) -> None:
    intent = _confirmed(fakes, customer, CHALLENGE, return_url=RETURN_URL)
    redirect = attempts.answer_challenge(fakes.deps, challenge_token(intent), "complete")
    assert redirect.startswith(RETURN_URL + f"?setup_intent={intent['id']}&setup_intent_client_secret=")
    assert redirect.endswith("&redirect_status=succeeded")
    after = fakes.uow.setup_intents.get(fakes.caller.scope, intent["id"])
    assert after is not None and after["status"] == "succeeded" and after["next_action"] is None
    assert fakes.event_types(intent["id"]) == ["setup_intent.created", "setup_intent.requires_action",
                                               "setup_intent.succeeded"]
    assert "payment_method.attached" in fakes.event_types()
    (challenge,) = fakes.uow.challenges.find(None, intent_id=intent["id"])
    assert challenge["status"] == "completed"


def test_failing_the_challenge_needs_a_new_payment_method(fakes: Fakes, customer: Customer) -> None:
    intent = _confirmed(fakes, customer, CHALLENGE, return_url=RETURN_URL)
    redirect = attempts.answer_challenge(fakes.deps, challenge_token(intent), "fail")
    assert redirect.endswith("&redirect_status=failed")
    after = fakes.uow.setup_intents.get(fakes.caller.scope, intent["id"])
    assert after is not None and after["status"] == "requires_payment_method"
    assert after["last_setup_error"]["code"] == "setup_intent_authentication_failure"
    assert after["payment_method"] is None
    assert fakes.event_types(intent["id"])[-1] == "setup_intent.setup_failed"
    assert "payment_method.attached" not in fakes.event_types()


def test_a_decline_commits_the_failed_attempt(fakes: Fakes, customer: Customer) -> None:
    result = _confirmed(fakes, customer, DECLINED)
    assert isinstance(result, Declined) and result.object_name == "setup_intent"
    assert (result.error.code, result.error.decline_code) == ("card_declined", "generic_decline")
    assert result.row["status"] == "requires_payment_method"
    stored = fakes.uow.setup_intents.get(fakes.caller.scope, result.row["id"])
    assert stored is not None and stored["status"] == "requires_payment_method"
    assert stored["last_setup_error"]["code"] == "card_declined"
    assert stored["last_setup_error"]["decline_code"] == "generic_decline"
    assert fakes.event_types(stored["id"]) == ["setup_intent.created", "setup_intent.setup_failed"]
    assert fakes.store.rollbacks == 0  # a 402 that commits


def test_a_challenge_without_return_url_stores_nothing(fakes: Fakes, customer: Customer) -> None:
    before = fakes.store.dump()
    with pytest.raises(ParameterMissing) as info:
        _confirmed(fakes, customer, CHALLENGE)
    assert info.value.param == "return_url"
    assert fakes.store.dump() == before  # no intent, no payment method, no challenge, no event
    assert fakes.uow.setup_intents.count(None) == 0 and fakes.uow.payment_methods.count(None) == 0


def test_a_challenge_answered_twice_is_refused(fakes: Fakes, customer: Customer) -> None:
    from paykeep.domain.challenges import ChallengeUnavailable

    intent = _confirmed(fakes, customer, CHALLENGE, return_url=RETURN_URL)
    token = challenge_token(intent)
    attempts.answer_challenge(fakes.deps, token, "complete")
    events = fakes.event_types()
    with pytest.raises(ChallengeUnavailable) as info:
        attempts.answer_challenge(fakes.deps, token, "fail")
    assert info.value.reason == "answered"
    assert fakes.event_types() == events


def test_confirming_a_succeeded_intent_is_refused(fakes: Fakes, customer: Customer) -> None:
    intent = _confirmed(fakes, customer, FRICTIONLESS)
    events = fakes.event_types()
    with pytest.raises(UnexpectedState, match="already succeeded"):
        fakes.run(setup_intents.confirm_setup_intent, intent["id"],
                  SetupIntentConfirm.model_validate({"payment_method_data": card(FRICTIONLESS)}))
    assert fakes.event_types() == events
    assert fakes.uow.payment_methods.count(None) == 1  # the refused confirm created no payment method


def test_cancel(fakes: Fakes) -> None:
    intent = _create(fakes)
    canceled = fakes.run(setup_intents.cancel_setup_intent, intent["id"],
                         SetupIntentCancel.model_validate({"cancellation_reason": "abandoned"}))
    assert (canceled["status"], canceled["cancellation_reason"]) == ("canceled", "abandoned")
    assert fakes.event_types(intent["id"]) == ["setup_intent.created", "setup_intent.canceled"]


# -- every row of the transition table, through the use case that makes it, with its event -----------------
Do = Callable[[Fakes, Any], Any]


def _start(fakes: Fakes, status: S) -> Any:
    """An intent in `status`, made through the use cases."""
    if status is S.REQUIRES_PAYMENT_METHOD:
        return _create(fakes)
    if status is S.REQUIRES_CONFIRMATION:
        return _create(fakes, payment_method_data=card(FRICTIONLESS))
    if status is S.REQUIRES_ACTION:
        return _create(fakes, confirm=True, payment_method_data=card(CHALLENGE), return_url=RETURN_URL)
    raise AssertionError(status)


def _update(**params: Any) -> Do:
    return lambda fakes, si: fakes.run(setup_intents.update_setup_intent, si["id"],
                                       SetupIntentUpdate.model_validate(params))


def _confirm(number: str) -> Do:
    return lambda fakes, si: fakes.run(setup_intents.confirm_setup_intent, si["id"],
                                       SetupIntentConfirm.model_validate({
                                           "payment_method_data": card(number), "return_url": RETURN_URL}))


def _answer(outcome: str) -> Do:
    return lambda fakes, si: attempts.answer_challenge(fakes.deps, challenge_token(si), outcome)


def _cancel(fakes: Fakes, si: Any) -> Any:
    return fakes.run(setup_intents.cancel_setup_intent, si["id"], SetupIntentCancel.model_validate({}))


_ATTACH = _update(payment_method_data=card(FRICTIONLESS))
_UPDATE = _update(payment_method_options={"card": {"request_three_d_secure": "any"}})
RPM, RC, RA = S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_CONFIRMATION, S.REQUIRES_ACTION
# (status, action) -> (the status the use case starts from, what it does, the status it ends in, the events).
# A row into `processing` starts an attempt: the use case ends where the network's verdict leads. Attaching
# or updating emits nothing (there is no setup_intent.updated in API.md §5).
ROWS: dict[tuple[S, A], tuple[S, Do, S, list[str]]] = {
    (RPM, A.ATTACH_PAYMENT_METHOD): (RPM, _ATTACH, RC, []),
    (RC, A.ATTACH_PAYMENT_METHOD): (RC, _ATTACH, RC, []),
    (RA, A.ATTACH_PAYMENT_METHOD): (RA, _ATTACH, RC, []),
    (RPM, A.UPDATE): (RPM, _UPDATE, RPM, []),
    (RC, A.UPDATE): (RC, _UPDATE, RC, []),
    (RA, A.UPDATE): (RA, _UPDATE, RC, []),
    (RPM, A.CONFIRM): (RPM, _confirm(FRICTIONLESS), S.SUCCEEDED, ["setup_intent.succeeded"]),
    (RC, A.CONFIRM): (RC, _confirm(FRICTIONLESS), S.SUCCEEDED, ["setup_intent.succeeded"]),
    (RA, A.CONFIRM): (RA, _confirm(FRICTIONLESS), S.SUCCEEDED, ["setup_intent.succeeded"]),
    (S.PROCESSING, A.SUCCEED): (RPM, _confirm(FRICTIONLESS), S.SUCCEEDED, ["setup_intent.succeeded"]),
    (S.PROCESSING, A.REQUIRE_ACTION): (RPM, _confirm(CHALLENGE), RA, ["setup_intent.requires_action"]),
    (S.PROCESSING, A.FAIL): (RPM, _confirm(DECLINED), RPM, ["setup_intent.setup_failed"]),
    (RA, A.AUTHENTICATE): (RA, _answer("complete"), S.SUCCEEDED, ["setup_intent.succeeded"]),
    (RA, A.FAIL_AUTHENTICATION): (RA, _answer("fail"), RPM, ["setup_intent.setup_failed"]),
    (RPM, A.CANCEL): (RPM, _cancel, S.CANCELED, ["setup_intent.canceled"]),
    (RC, A.CANCEL): (RC, _cancel, S.CANCELED, ["setup_intent.canceled"]),
    (RA, A.CANCEL): (RA, _cancel, S.CANCELED, ["setup_intent.canceled"]),
}


def test_every_row_of_the_table_has_a_case() -> None:
    missing = sorted(f"{s}-{a}" for s, a in set(SETUP_INTENT_TRANSITIONS) - set(ROWS))
    extra = sorted(f"{s}-{a}" for s, a in set(ROWS) - set(SETUP_INTENT_TRANSITIONS))
    assert not missing and not extra, f"rows without a case here: {missing}; cases of no row: {extra}"


@pytest.mark.parametrize(("row", "case"), list(ROWS.items()), ids=[f"{s}-{a}" for s, a in ROWS])
def test_each_transition_emits_its_event(row: tuple[S, A], case: tuple[S, Do, S, list[str]]) -> None:
    fakes = Fakes.make()
    start, do, end, events = case
    intent = _start(fakes, start)
    assert intent["status"] == start
    before = fakes.event_types(intent["id"])
    do(fakes, intent)
    after = fakes.uow.setup_intents.get(fakes.caller.scope, intent["id"])
    assert after is not None and after["status"] == end
    if SETUP_INTENT_TRANSITIONS[row] is not S.PROCESSING:
        assert end is SETUP_INTENT_TRANSITIONS[row]  # the table's move, made by the use case
    assert fakes.event_types(intent["id"])[len(before):] == events
