"""The one attempt pipeline (services/attempts.py) against the fakes: what bootstrap wires, the payment
method step, the challenge's life (answered once, expired, superseded), a decline after a passed challenge,
and the outbox handler running inside the transaction of the change."""

from __future__ import annotations

from typing import Any

import pytest

from paykeep.domain.challenges import LIFETIME_MS, ChallengeUnavailable
from paykeep.domain.customers import Customer
from paykeep.domain.errors import InvalidRequest, ParameterMissing, ResourceMissing
from paykeep.domain.events import DomainEvent
from paykeep.domain.webhooks import WebhookEndpoint
from paykeep.services import (
    attempts,
    checkout_sessions,
    events,
    payment_intents,
    payment_methods,
    setup_intents,
)
from paykeep.services.ports import Context, Declined
from paykeep.wire.payment_intents import PaymentIntentCreate
from paykeep.wire.payment_methods import PaymentMethodCreate
from paykeep.wire.setup_intents import SetupIntentCancel, SetupIntentConfirm, SetupIntentCreate
from support.fakes import ACCOUNT, CHALLENGE, FRICTIONLESS, Fakes, card, challenge_token

RETURN_URL = "https://shop.example.test/back"
CHALLENGE_THEN_DECLINE = "4000008260003178"  # simulated.py: challenge, then insufficient_funds


def _setup(fakes: Fakes, number: str, **params: Any) -> Any:
    return fakes.run(setup_intents.create_setup_intent, SetupIntentCreate.model_validate({
        "confirm": True, "payment_method_data": card(number), "return_url": RETURN_URL, **params}))


def _payment_method(fakes: Fakes, number: str = FRICTIONLESS) -> Any:
    return fakes.run(payment_methods.create_payment_method,
                     PaymentMethodCreate.model_validate({"type": "card", "card": card(number)["card"]}))


def test_bootstrap_wires_both_flows_and_the_handlers(fakes: Fakes) -> None:
    assert set(fakes.deps.intent_flows) == {"setup_intent", "payment_intent"}
    handlers = fakes.deps.bus.handlers("setup_intent.succeeded")
    assert handlers[0] is events.record_event  # the outbox first
    assert checkout_sessions.on_setup_intent_succeeded in handlers
    paid = [events.record_event, checkout_sessions.on_payment_intent_paid]  # payment-mode Checkout completes
    assert fakes.deps.bus.handlers("payment_intent.succeeded") == paid
    assert fakes.deps.bus.handlers("payment_intent.amount_capturable_updated") == paid


def test_an_unknown_intent_type_has_no_flow(fakes: Fakes) -> None:
    with pytest.raises(ResourceMissing):
        fakes.run(attempts.complete_authentication, "refund", "re_1", True)


def test_the_payment_method_step(fakes: Fakes, customer: Customer) -> None:
    with pytest.raises(ParameterMissing) as info:
        fakes.run(attempts.payment_method_for, payment_method=None, payment_method_data=None, customer=None)
    assert info.value.param == "payment_method"
    with pytest.raises(ResourceMissing):
        fakes.run(attempts.payment_method_for, payment_method="pm_0000000000000000000",
                  payment_method_data=None, customer=None)
    saved = _setup(fakes, FRICTIONLESS, customer=customer.id)  # attached to `customer`
    with pytest.raises(InvalidRequest, match="previously attached to a Customer") as refused:
        fakes.run(attempts.payment_method_for, payment_method=saved["payment_method"],
                  payment_method_data=None, customer=None)
    assert refused.value.code == "payment_method_unexpected_state"
    pm, cvc = fakes.run(attempts.payment_method_for, payment_method=saved["payment_method"],
                        payment_method_data=None, customer=customer.id)
    assert pm["id"] == saved["payment_method"] and cvc is None  # a stored card brings no CVC


def test_an_existing_payment_method_goes_through_the_same_pipeline(fakes: Fakes) -> None:
    pm = _payment_method(fakes)
    intent = fakes.run(payment_intents.create_payment_intent, PaymentIntentCreate.model_validate({
        "amount": 500, "currency": "eur", "confirm": True, "payment_method": pm["id"]}))
    assert intent["status"] == "succeeded" and intent["payment_method"] == pm["id"]
    (charge,) = fakes.uow.charges.find(None, payment_intent=intent["id"])
    assert charge["payment_method"] == pm["id"]


def test_a_decline_after_a_passed_challenge(fakes: Fakes) -> None:
    intent = _setup(fakes, CHALLENGE_THEN_DECLINE)
    assert intent["status"] == "requires_action"
    attempts.answer_challenge(fakes.deps, challenge_token(intent), "complete")
    after = fakes.uow.setup_intents.get(fakes.caller.scope, intent["id"])
    assert after is not None and after["status"] == "requires_payment_method"
    assert (after["last_setup_error"]["code"], after["last_setup_error"]["decline_code"]) == (
        "card_declined", "insufficient_funds")
    assert fakes.event_types(intent["id"])[-1] == "setup_intent.setup_failed"


def test_a_challenge_expires(fakes: Fakes) -> None:
    intent = _setup(fakes, CHALLENGE)
    fakes.clock.advance(LIFETIME_MS)
    with pytest.raises(ChallengeUnavailable) as info:
        attempts.answer_challenge(fakes.deps, challenge_token(intent), "complete")
    assert info.value.reason == "expired"
    after = fakes.uow.setup_intents.get(fakes.caller.scope, intent["id"])
    assert after is not None and after["status"] == "requires_action"


def test_an_unknown_or_malformed_token_is_refused(fakes: Fakes) -> None:
    intent = _setup(fakes, CHALLENGE)
    token = challenge_token(intent)
    for wrong in (token[:-1] + ("a" if token[-1] != "a" else "b"), "nonsense", token + "x" * 100):
        with pytest.raises(ChallengeUnavailable) as info:
            attempts.answer_challenge(fakes.deps, wrong, "complete")
        assert info.value.reason == "unknown"
    with pytest.raises(ChallengeUnavailable):
        attempts.answer_challenge(fakes.deps, token, "maybe")


def test_a_new_attempt_supersedes_the_pending_challenge(fakes: Fakes) -> None:
    intent = _setup(fakes, CHALLENGE)
    first = challenge_token(intent)
    again = fakes.run(setup_intents.confirm_setup_intent, intent["id"], SetupIntentConfirm.model_validate({
        "payment_method_data": card(CHALLENGE)}))
    assert again["status"] == "requires_action" and challenge_token(again) != first
    statuses = sorted(c["status"] for c in fakes.uow.challenges.find(None, intent_id=intent["id"]))
    assert statuses == ["expired", "pending"]
    with pytest.raises(ChallengeUnavailable):
        attempts.answer_challenge(fakes.deps, first, "complete")
    attempts.answer_challenge(fakes.deps, challenge_token(again), "complete")
    after = fakes.uow.setup_intents.get(fakes.caller.scope, intent["id"])
    assert after is not None and after["status"] == "succeeded"


def test_answering_after_the_intent_moved_on_changes_nothing(fakes: Fakes) -> None:
    intent = _setup(fakes, CHALLENGE)
    fakes.run(setup_intents.cancel_setup_intent, intent["id"], SetupIntentCancel.model_validate({}))
    before = fakes.store.dump()
    with pytest.raises(ChallengeUnavailable) as info:
        attempts.answer_challenge(fakes.deps, challenge_token(intent), "complete")
    assert info.value.reason == "superseded"
    assert fakes.store.dump() == before  # the challenge's answer was rolled back with the rest
    (challenge,) = fakes.uow.challenges.find(None, intent_id=intent["id"])
    assert challenge["status"] == "pending"


def test_the_outbox_writes_deliveries_and_wakes_the_worker_after_commit(fakes: Fakes) -> None:
    with fakes.store.begin(True) as uow:
        uow.webhook_endpoints.add(WebhookEndpoint(
            id="we_0000000000000000001", account_id=ACCOUNT, livemode=False, created=fakes.clock.now_ms(),
            url="https://hooks.example.test/", enabled_events=["setup_intent.succeeded"],
            secret_ciphertext=b"sealed", secret_key_version=1))
    intent = _setup(fakes, FRICTIONLESS)
    created, succeeded = fakes.events(intent["id"])
    assert (created["pending_webhooks"], succeeded["pending_webhooks"]) == (0, 1)
    (delivery,) = fakes.uow.webhook_deliveries.find(None)
    assert (delivery["event_id"], delivery["status"], delivery["attempt_count"]) == (
        succeeded["id"], "pending", 0)
    assert (fakes.store.announced, fakes.store.notified) == (1, 1)
    _setup(fakes, "4000000000000002")  # declined: no subscribed event, no wake-up
    assert (fakes.store.announced, fakes.store.notified) == (1, 1)


def test_a_failing_handler_rolls_the_whole_change_back(fakes: Fakes) -> None:
    def broken(ctx: Context, event: DomainEvent) -> None:
        raise RuntimeError("handler failed")

    fakes.deps.bus.on("setup_intent.succeeded", broken)
    before = fakes.store.dump()
    with pytest.raises(RuntimeError, match="handler failed"):
        _setup(fakes, FRICTIONLESS)
    assert fakes.store.dump() == before
    assert fakes.store.notified == 0


def test_a_card_failing_its_form_checks_fails_the_attempt(fakes: Fakes) -> None:
    result = _setup(fakes, "4242424242424241")  # not Luhn-valid
    assert isinstance(result, Declined) and (result.error.code, result.error.param) == (
        "incorrect_number", "number")  # API.md §4: `param` names the field
    assert result.row["status"] == "requires_payment_method"
    assert fakes.uow.payment_methods.count(None) == 0
    assert fakes.event_types(result.row["id"]) == ["setup_intent.created", "setup_intent.setup_failed"]
