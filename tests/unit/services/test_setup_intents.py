"""SetupIntents through the attempt pipeline, against the fakes: each outcome's status, stored records and
events in order (API.md §4, §4.2, §5)."""

from __future__ import annotations

from typing import Any

import pytest

from paykeep.domain.customers import Customer
from paykeep.domain.errors import ParameterMissing, UnexpectedState
from paykeep.services import attempts, setup_intents
from paykeep.services.ports import Declined
from paykeep.wire.setup_intents import SetupIntentCancel, SetupIntentConfirm, SetupIntentCreate
from support.fakes import CHALLENGE, DECLINED, FRICTIONLESS, Fakes, card, challenge_token

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
