"""Confirming a PaymentIntent: its steps of the attempt pipeline (services/attempts.py), at most one
card-network attempt per confirm, under the intent's row lock.

The caller loads the intent with `for_update=True` (PostgreSQL: `SELECT … FOR UPDATE`; SQLite: the write
transaction is `BEGIN IMMEDIATE`), so two confirms racing on one intent are serialised: the second sees the
status the first left and is refused by the transition table (400 payment_intent_unexpected_state). The
`charges.payment_intent` unique constraint is the last line: a second successful authorization cannot be
stored.
"""

from __future__ import annotations

from typing import Any

from paykeep.domain.card_network import AuthorizeRequest, ThreeDS, Verdict
from paykeep.domain.cards import Cvc
from paykeep.domain.challenges import ChallengeStatus
from paykeep.domain.errors import CardError, ParameterMissing, ResourceMissing
from paykeep.domain.payment_intents import (
    AUTHENTICATION_FAILURE,
    AUTHENTICATION_FAILURE_MESSAGE,
    Charge,
    PaymentIntent,
    PaymentIntentAction,
    PaymentIntentStatus,
    capture_deadline,
    next_status,
)
from paykeep.domain.payment_methods import PaymentMethod
from paykeep.services import attempts, payment_methods
from paykeep.services.clock_time import clock_now
from paykeep.services.common import model_or_none
from paykeep.services.ports import Context, Declined
from paykeep.wire.charges import render_charge
from paykeep.wire.payment_intents import PaymentIntentConfirm, PaymentIntentCreate, render_payment_intent
from paykeep.wire.payment_methods import card_checks, card_summary, render_payment_method

A = PaymentIntentAction
S = PaymentIntentStatus


# -- small helpers shared with services/payment_intents.py -----------------------------------------------
def store(ctx: Context, intent: PaymentIntent) -> PaymentIntent:
    ctx.uow.payment_intents.save(intent)
    return intent


def emit(ctx: Context, event: str, intent: PaymentIntent) -> None:
    ctx.emit(f"payment_intent.{event}", render_payment_intent(intent), row=intent)


def merge_card_options(current: dict[str, Any] | None, given: Any) -> dict[str, Any]:
    """payment_method_options with the card's request_three_d_secure defaulting to "auto" (WooshPay's)."""
    card = dict((current or {}).get("card") or {"request_three_d_secure": "auto"})
    update = model_or_none(getattr(given, "card", None)) if given is not None else None
    for key, value in (update or {}).items():
        if value == "":
            card.pop(key, None)
        elif value is not None:
            card[key] = value
    card.setdefault("request_three_d_secure", "auto")
    return {"card": card}


# -- confirm ---------------------------------------------------------------------------------------------
def confirm_loaded(ctx: Context, intent: PaymentIntent, params: PaymentIntentConfirm | PaymentIntentCreate
                   ) -> PaymentIntent | Declined:
    """Confirm an intent already loaded under its row lock (create with confirm=true, or POST …/confirm)."""
    next_status(intent.status, A.CONFIRM)  # refuse early, before any payment method is created
    intent, cvc = _apply_confirm_params(ctx, intent, params)
    if not intent.payment_method:
        raise ParameterMissing(
            "payment_method",
            "You cannot confirm this PaymentIntent because it's missing a payment method. Pass "
            "`payment_method` or `payment_method_data`.",
        )
    pm = payment_methods.usable_payment_method(ctx, intent.payment_method, customer_id=intent.customer)
    return attempts.run(ctx, FLOW, attempts.Attempt(
        intent, pm, cvc, authenticated=_passed_challenge(ctx, intent, pm),
        use_stripe_sdk=bool(params.use_stripe_sdk),
        error_on_requires_action=bool(params.error_on_requires_action)))


def _passed_challenge(ctx: Context, intent: PaymentIntent, pm: PaymentMethod) -> bool:
    """A manual-confirmation intent waiting after its cardholder passed the challenge with this card: the
    server's confirm goes on as authenticated (no second challenge)."""
    if intent.confirmation_method != "manual" or intent.status != S.REQUIRES_CONFIRMATION:
        return False
    passed = ctx.uow.challenges.find(None, intent_id=intent.id, status=ChallengeStatus.COMPLETED.value,
                                     payment_method_id=pm.id)
    return bool(passed)


def _apply_confirm_params(
    ctx: Context, intent: PaymentIntent, params: PaymentIntentConfirm | PaymentIntentCreate,
) -> tuple[PaymentIntent, Cvc | None]:
    """The intent with the confirm-time parameters, and the CVC of a card sent in this request."""
    given = params.given()
    cvc: Cvc | None = None
    # off_session describes this attempt only: a later confirm without it is on-session.
    values: dict[str, Any] = {"off_session": params.off_session not in (None, False)}
    if params.payment_method_data is not None or params.payment_method:
        pm, cvc = attempts.payment_method_for(ctx, payment_method=params.payment_method or None,
                                              payment_method_data=params.payment_method_data,
                                              customer=intent.customer)
        values["payment_method"] = pm.id
    if "return_url" in given:
        values["return_url"] = params.return_url or None
    if "setup_future_usage" in given:
        values["setup_future_usage"] = params.setup_future_usage or None
    elif getattr(params, "save_payment_method", None) and intent.customer and not intent.future_usage:
        values["setup_future_usage"] = "on_session"  # Stripe.js's save_payment_method: saved as on_session
    if "capture_method" in given and params.capture_method:
        values["capture_method"] = params.capture_method
    if "payment_method_options" in given:
        values["payment_method_options"] = merge_card_options(intent.payment_method_options,
                                                              params.payment_method_options)
    if "receipt_email" in given:
        values["receipt_email"] = params.receipt_email or None
    if "shipping" in given:
        values["shipping"] = model_or_none(params.shipping)
    return intent.with_(**values), cvc


class PaymentIntentFlow:
    """A PaymentIntent's steps of an attempt: authorize the amount; on approval a charge, captured at once or
    held for a manual capture, and the card saved when setup_future_usage asks for it."""

    intent_type = "payment_intent"
    authentication_failure = AUTHENTICATION_FAILURE
    authentication_failure_message = AUTHENTICATION_FAILURE_MESSAGE
    return_url_missing = ("This card requires 3-D Secure authentication: pass return_url (where the "
                          "cardholder is sent back after the challenge) with confirm.")

    def load(self, ctx: Context, intent_id: str) -> PaymentIntent:
        intent = ctx.uow.payment_intents.get(ctx.scope, intent_id, for_update=True)
        if intent is None:
            raise ResourceMissing("payment_intent", intent_id)
        return intent

    def begin(self, intent: PaymentIntent, *, authenticated: bool) -> PaymentIntent:
        return intent.move(A.AUTHENTICATE if authenticated else A.CONFIRM, next_action=None,
                           last_payment_error=None)  # -> processing

    def ask(self, ctx: Context, attempt: attempts.Attempt[PaymentIntent]) -> Verdict:
        intent, pm = attempt.intent, attempt.payment_method
        asked = intent.card_options.get("request_three_d_secure")
        three_ds: ThreeDS = "any" if asked in ("any", "challenge") else "auto"
        request = AuthorizeRequest(
            amount=intent.amount, currency=intent.currency, livemode=intent.livemode,
            off_session=bool(intent.off_session) and not attempt.authenticated, three_d_secure=three_ds,
            authenticated=attempt.authenticated, mandate=pm.mandate,
        )
        verdict: Verdict = ctx.deps.card_network.authorize(payment_methods.reveal_number(ctx, pm),
                                                           attempt.cvc, request)
        return verdict

    def challenge_amount(self, intent: PaymentIntent) -> tuple[int | None, str | None]:
        return intent.amount, intent.currency

    def approve(self, ctx: Context, attempt: attempts.Attempt[PaymentIntent]) -> PaymentIntent:
        return _approved(ctx, attempt.intent, attempt.payment_method, authenticated=attempt.authenticated)

    def require_action(self, ctx: Context, attempt: attempts.Attempt[PaymentIntent],
                       next_action: dict[str, Any]) -> PaymentIntent:
        waiting = store(ctx, attempt.intent.move(A.REQUIRE_ACTION, next_action=next_action))
        emit(ctx, "requires_action", waiting)
        return waiting

    def decline(self, ctx: Context, attempt: attempts.Attempt[PaymentIntent], error: CardError) -> Declined:
        return _failed(ctx, attempt.intent, attempt.payment_method, error)

    def await_confirmation(self, ctx: Context, intent: PaymentIntent) -> PaymentIntent | None:
        if intent.confirmation_method != "manual":
            return None
        return store(ctx, intent.move(A.AWAIT_CONFIRMATION, next_action=None))

    def fail_authentication(self, ctx: Context, intent: PaymentIntent,
                            payment_method: PaymentMethod | None) -> PaymentIntent:
        error = {"type": "invalid_request_error", "code": AUTHENTICATION_FAILURE,
                 "message": AUTHENTICATION_FAILURE_MESSAGE}
        failed = store(ctx, intent.move(
            A.FAIL_AUTHENTICATION, next_action=None, payment_method=None,
            last_payment_error=payment_error(error, payment_method) if payment_method else error))
        emit(ctx, "payment_failed", failed)
        return failed


FLOW = PaymentIntentFlow()


def _failed(ctx: Context, intent: PaymentIntent, pm: PaymentMethod, error: CardError) -> Declined:
    """The attempt was declined: requires_payment_method with last_payment_error (which names the payment
    method; the intent's own `payment_method` is cleared, as Stripe does); 402 with the intent."""
    last_error = payment_error(error.to_dict(), pm)
    failed = store(ctx, intent.move(A.FAIL, last_payment_error=last_error, payment_method=None))
    emit(ctx, "payment_failed", failed)
    error.extra["payment_method"] = last_error["payment_method"]
    return Declined(failed, error, "payment_intent")


def payment_error(error: dict[str, Any], pm: PaymentMethod) -> dict[str, Any]:
    return {
        "charge": None,
        "code": error.get("code"),
        "decline_code": error.get("decline_code"),
        "doc_url": None,
        "message": error.get("message"),
        "param": error.get("param"),
        "payment_method": render_payment_method(pm),
        "payment_method_type": "card",
        "type": error.get("type", "card_error"),
    }


def _approved(ctx: Context, intent: PaymentIntent, pm: PaymentMethod, *,
              authenticated: bool) -> PaymentIntent:
    now = clock_now(ctx, intent.test_clock)  # a test clock's customer: authorized at the clock's time
    manual = intent.manual_capture
    charge = Charge(
        id=ctx.new_id("ch"), account_id=intent.account_id, livemode=intent.livemode, created=now,
        payment_intent=intent.id, amount=intent.amount, amount_captured=0 if manual else intent.amount,
        currency=intent.currency, captured=not manual, customer=intent.customer, payment_method=pm.id,
        payment_method_details=_card_details(pm, authenticated, capture_deadline(now) if manual else None),
        description=intent.description, billing_details=pm.billing_details or None,
        receipt_email=intent.receipt_email, shipping=intent.shipping,
        statement_descriptor=intent.statement_descriptor,
        statement_descriptor_suffix=intent.statement_descriptor_suffix,
    )
    ctx.uow.charges.add(charge)
    ctx.emit("charge.succeeded", render_charge(charge), row=charge)  # Stripe's: also for a hold
    if intent.future_usage is not None:
        _save_card(ctx, intent, pm)
    if manual:
        held = store(ctx, intent.move(A.AUTHORIZE, latest_charge=charge.id, amount_capturable=intent.amount,
                                      capture_before=capture_deadline(now)))
        emit(ctx, "amount_capturable_updated", held)
        return held
    paid = store(ctx, intent.move(A.SUCCEED, latest_charge=charge.id, amount_received=intent.amount))
    emit(ctx, "succeeded", paid)
    return paid


def _save_card(ctx: Context, intent: PaymentIntent, pm: PaymentMethod) -> None:
    """setup_future_usage: attach to the customer and mark the mandate, now that the payment went through."""
    if intent.customer and pm.customer != intent.customer:
        pm = payment_methods.attach_payment_method(ctx, pm, intent.customer)
    payment_methods.mark_mandate(ctx, pm)


def _card_details(pm: PaymentMethod, authenticated: bool, capture_before: int | None) -> dict[str, Any]:
    card: dict[str, Any] = {
        **card_summary(pm), "checks": card_checks(pm), "installments": None, "mandate": None,
        "network": pm.card_brand, "three_d_secure": {
            "authentication_flow": "challenge", "result": "authenticated", "result_reason": None,
            "version": "2.2.0"} if authenticated else None,
        "wallet": None,
    }
    if capture_before is not None:
        card["capture_before"] = capture_before
    return {"type": "card", "card": card}
