"""Checkout Sessions in setup mode against the fakes: the session completes when its SetupIntent succeeds
(the bus handler bootstrap registers), however the intent was confirmed; expiry cancels the intent
(API.md §6, §5)."""

from __future__ import annotations

from typing import Any

from paykeep.domain import checkout_sessions as rules
from paykeep.domain.checkout_sessions import LIFETIME_MS
from paykeep.domain.customers import Customer
from paykeep.services import attempts, checkout_page, checkout_sessions, setup_intents
from paykeep.wire.checkout_sessions import CheckoutSessionCreate
from paykeep.wire.setup_intents import SetupIntentConfirm
from support.fakes import CHALLENGE, DECLINED, FRICTIONLESS, Fakes, card, challenge_token

SUCCESS_URL = "https://shop.example.test/saved?session={CHECKOUT_SESSION_ID}"


def _session(fakes: Fakes, **params: Any) -> Any:
    return fakes.run(checkout_sessions.create_checkout_session,
                     CheckoutSessionCreate.model_validate({"success_url": SUCCESS_URL, **params}),
                     mode_required=False)


def _stored(fakes: Fakes, session: Any) -> Any:
    found = fakes.uow.checkout_sessions.get(fakes.caller.scope, session["id"])
    assert found is not None
    return found


def _confirm(fakes: Fakes, session: Any, number: str) -> Any:
    intent = fakes.uow.setup_intents.get(fakes.caller.scope, session["setup_intent"])
    assert intent is not None
    return fakes.run(setup_intents.confirm_setup_intent, intent["id"], SetupIntentConfirm.model_validate({
        "payment_method_data": card(number, name="Ada Lovelace"), "return_url": intent["return_url"]}))


def test_a_session_owns_an_open_setup_intent(fakes: Fakes, customer: Customer) -> None:
    session = _session(fakes, customer=customer.id)
    assert (session["status"], session["mode"], session["customer"]) == ("open", "setup", customer.id)
    assert session["expires_at"] == fakes.clock.now_ms() + LIFETIME_MS
    intent = fakes.uow.setup_intents.get(fakes.caller.scope, session["setup_intent"])
    assert intent is not None and intent["status"] == "requires_payment_method"
    assert intent["return_url"].startswith("https://pay.example.test/checkout/setup/")
    assert fakes.event_types(intent["id"]) == ["setup_intent.created"]


def test_the_session_completes_when_its_setup_intent_succeeds(fakes: Fakes, customer: Customer) -> None:
    session = _session(fakes, customer=customer.id)
    intent = _confirm(fakes, session, FRICTIONLESS)
    assert intent["status"] == "succeeded"
    after = _stored(fakes, session)
    assert (after["status"], after["completed_at"]) == ("complete", fakes.clock.now_ms())
    assert after["customer_details"]["name"] == "Ada Lovelace"  # from the card's billing details
    assert fakes.event_types()[-3:] == ["payment_method.attached", "setup_intent.succeeded",
                                        "checkout.session.completed"]
    completed = fakes.events(session["id"])[-1]
    assert completed["data"]["object"]["status"] == "complete"
    assert completed["data"]["object"]["setup_intent"] == intent["id"]


def test_a_session_completes_through_the_challenge_page(fakes: Fakes) -> None:
    session = _session(fakes, customer_email="grace@example.test")  # the customer is created
    intent = _confirm(fakes, session, CHALLENGE)
    assert intent["status"] == "requires_action" and _stored(fakes, session)["status"] == "open"
    attempts.answer_challenge(fakes.deps, challenge_token(intent), "complete")
    assert _stored(fakes, session)["status"] == "complete"
    types = fakes.event_types()
    assert types[0] == "customer.created" and types[-1] == "checkout.session.completed"
    assert types.index("setup_intent.succeeded") < types.index("checkout.session.completed")


def test_a_declined_card_leaves_the_session_open(fakes: Fakes, customer: Customer) -> None:
    session = _session(fakes, customer=customer.id)
    _confirm(fakes, session, DECLINED)
    assert _stored(fakes, session)["status"] == "open"
    assert "checkout.session.completed" not in fakes.event_types()


def test_the_hosted_page_confirms_and_redirects_to_success(fakes: Fakes, customer: Customer) -> None:
    session = _session(fakes, customer=customer.id)
    hosted_id = rules.hosted_id(session["id"], session["livemode"])
    key = checkout_sessions.url_key(fakes.deps, session["id"])
    form = {"number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": "2034", "cvc": "123",
            "name": "Ada Lovelace", "csrf_token": checkout_page.csrf_token(fakes.deps, session["id"])}
    page = checkout_page.submit_card(fakes.deps, hosted_id, key, form)
    assert page.kind == "redirect" and page.redirect_to is not None
    assert page.redirect_to.startswith("https://shop.example.test/saved?session=" + session["id"])
    assert _stored(fakes, session)["status"] == "complete"
    assert fakes.event_types()[-1] == "checkout.session.completed"


def test_expiring_cancels_the_setup_intent(fakes: Fakes, customer: Customer) -> None:
    session = _session(fakes, customer=customer.id)
    fakes.clock.advance(LIFETIME_MS)
    assert checkout_sessions.expire_due_sessions(fakes.deps) == 1
    assert _stored(fakes, session)["status"] == "expired"
    intent = fakes.uow.setup_intents.get(fakes.caller.scope, session["setup_intent"])
    assert intent is not None
    assert (intent["status"], intent["cancellation_reason"]) == ("canceled", "abandoned")
    assert fakes.event_types()[-2:] == ["setup_intent.canceled", "checkout.session.expired"]
    assert checkout_sessions.expire_due_sessions(fakes.deps) == 0  # once


def test_a_due_session_whose_card_was_saved_completes_instead(fakes: Fakes, customer: Customer) -> None:
    session = _session(fakes, customer=customer.id)
    _confirm(fakes, session, FRICTIONLESS)
    fakes.clock.advance(LIFETIME_MS)
    assert checkout_sessions.expire_due_sessions(fakes.deps) == 0
    assert _stored(fakes, session)["status"] == "complete"
    assert "checkout.session.expired" not in fakes.event_types()
