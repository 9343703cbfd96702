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
from paykeep.domain.errors import CardError, ParameterMissing, ResourceMissing
from paykeep.domain.payment_intents import (
    AUTHENTICATION_FAILURE,
    AUTHENTICATION_FAILURE_MESSAGE,
    PaymentIntentAction,
    PaymentIntentStatus,
    capture_deadline,
    next_status,
)
from paykeep.services import attempts, payment_methods
from paykeep.services.common import model_or_none
from paykeep.services.ports import Context, Declined
from paykeep.wire.payment_intents import PaymentIntentConfirm, PaymentIntentCreate, render_payment_intent

A = PaymentIntentAction
S = PaymentIntentStatus
_FIXED_COLUMNS = ("id", "account_id", "livemode", "created")


# -- small helpers shared with services/payment_intents.py -----------------------------------------------
def move(row: dict[str, Any], action: PaymentIntentAction) -> None:
    """Change the row's status through the transition table (400 payment_intent_unexpected_state)."""
    row["status"] = next_status(row["status"], action).value


def store(ctx: Context, row: dict[str, Any]) -> None:
    ctx.uow.payment_intents.update(row["id"], {k: v for k, v in row.items() if k not in _FIXED_COLUMNS})


def emit(ctx: Context, event: str, row: dict[str, Any]) -> None:
    ctx.emit(f"payment_intent.{event}", render_payment_intent(row), row=row)


def card_options(row: dict[str, Any]) -> dict[str, Any]:
    return dict((row.get("payment_method_options") or {}).get("card") or {})


def is_manual_capture(row: dict[str, Any]) -> bool:
    return row["capture_method"] == "manual" or card_options(row).get("capture_method") == "manual"


def future_usage(row: dict[str, Any]) -> str | None:
    return row.get("setup_future_usage") or card_options(row).get("setup_future_usage") or None


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
def confirm_loaded(ctx: Context, row: dict[str, Any], params: PaymentIntentConfirm | PaymentIntentCreate
                   ) -> dict[str, Any] | Declined:
    """Confirm an intent already loaded under its row lock (create with confirm=true, or POST …/confirm)."""
    next_status(row["status"], A.CONFIRM)  # refuse early, before any payment method is created
    cvc = _apply_confirm_params(ctx, row, params)
    if not row.get("payment_method"):
        raise ParameterMissing(
            "payment_method",
            "You cannot confirm this PaymentIntent because it's missing a payment method. Pass "
            "`payment_method` or `payment_method_data`.",
        )
    pm_row = payment_methods.usable_payment_method(ctx, row["payment_method"],
                                                   customer_id=row.get("customer"))
    return attempts.run(ctx, FLOW, attempts.Attempt(row, pm_row, cvc))


def _apply_confirm_params(ctx: Context, row: dict[str, Any],
                          params: PaymentIntentConfirm | PaymentIntentCreate) -> Cvc | None:
    """Copy the confirm-time parameters onto the row; returns the CVC of a card sent in this request."""
    given = params.given()
    cvc: Cvc | None = None
    if params.payment_method_data is not None or params.payment_method:
        pm_row, cvc = attempts.payment_method_for(ctx, payment_method=params.payment_method or None,
                                                  payment_method_data=params.payment_method_data,
                                                  customer=row.get("customer"))
        row["payment_method"] = pm_row["id"]
    # off_session describes this attempt only: a later confirm without it is on-session.
    row["off_session"] = params.off_session not in (None, False)
    if "return_url" in given:
        row["return_url"] = params.return_url or None
    if "setup_future_usage" in given:
        row["setup_future_usage"] = params.setup_future_usage or None
    if "capture_method" in given and params.capture_method:
        row["capture_method"] = params.capture_method
    if "payment_method_options" in given:
        row["payment_method_options"] = merge_card_options(row.get("payment_method_options"),
                                                           params.payment_method_options)
    if "receipt_email" in given:
        row["receipt_email"] = params.receipt_email or None
    if "shipping" in given:
        row["shipping"] = model_or_none(params.shipping)
    return cvc


class PaymentIntentFlow:
    """A PaymentIntent's steps of an attempt: authorize the amount; on approval a charge, captured at once or
    held for a manual capture, and the card saved when setup_future_usage asks for it."""

    intent_type = "payment_intent"
    authentication_failure = AUTHENTICATION_FAILURE
    authentication_failure_message = AUTHENTICATION_FAILURE_MESSAGE
    return_url_missing = ("This card requires 3-D Secure authentication: pass return_url (where the "
                          "cardholder is sent back after the challenge) with confirm.")

    def load(self, ctx: Context, intent_id: str) -> dict[str, Any]:
        row: dict[str, Any] | None = ctx.uow.payment_intents.get(ctx.scope, intent_id, for_update=True)
        if row is None:
            raise ResourceMissing("payment_intent", intent_id)
        return row

    def begin(self, intent: dict[str, Any], *, authenticated: bool) -> None:
        move(intent, A.AUTHENTICATE if authenticated else A.CONFIRM)  # -> processing
        intent["next_action"] = None
        intent["last_payment_error"] = None

    def ask(self, ctx: Context, attempt: attempts.Attempt) -> Verdict:
        row, pm_row = attempt.intent, attempt.payment_method
        asked = card_options(row).get("request_three_d_secure")
        three_ds: ThreeDS = "any" if asked in ("any", "challenge") else "auto"
        request = AuthorizeRequest(
            amount=row["amount"], currency=row["currency"], livemode=row["livemode"],
            off_session=bool(row.get("off_session")) and not attempt.authenticated, three_d_secure=three_ds,
            authenticated=attempt.authenticated, mandate=bool(pm_row.get("mandate")),
        )
        verdict: Verdict = ctx.deps.card_network.authorize(payment_methods.reveal_number(ctx, pm_row),
                                                           attempt.cvc, request)
        return verdict

    def challenge_amount(self, intent: dict[str, Any]) -> tuple[int | None, str | None]:
        return intent["amount"], intent["currency"]

    def approve(self, ctx: Context, attempt: attempts.Attempt) -> dict[str, Any]:
        _approved(ctx, attempt.intent, attempt.payment_method, authenticated=attempt.authenticated)
        return attempt.intent

    def require_action(self, ctx: Context, attempt: attempts.Attempt,
                       next_action: dict[str, Any]) -> dict[str, Any]:
        row = attempt.intent
        move(row, A.REQUIRE_ACTION)
        row["next_action"] = next_action
        store(ctx, row)
        emit(ctx, "requires_action", row)
        return row

    def decline(self, ctx: Context, attempt: attempts.Attempt, error: CardError) -> Declined:
        return _failed(ctx, attempt.intent, attempt.payment_method, error)

    def fail_authentication(self, ctx: Context, intent: dict[str, Any],
                            payment_method: dict[str, Any] | None) -> dict[str, Any]:
        move(intent, A.FAIL_AUTHENTICATION)
        error = {"type": "invalid_request_error", "code": AUTHENTICATION_FAILURE,
                 "message": AUTHENTICATION_FAILURE_MESSAGE}
        intent["next_action"] = None
        intent["last_payment_error"] = payment_error(ctx, error, payment_method) if payment_method else error
        intent["payment_method"] = None
        store(ctx, intent)
        emit(ctx, "payment_failed", intent)
        return intent


FLOW = PaymentIntentFlow()


def _failed(ctx: Context, row: dict[str, Any], pm_row: dict[str, Any], error: CardError) -> Declined:
    """The attempt was declined: requires_payment_method with last_payment_error (which names the payment
    method; the intent's own `payment_method` is cleared, as Stripe does); 402 with the intent."""
    move(row, A.FAIL)
    row["last_payment_error"] = payment_error(ctx, error.to_dict(), pm_row)
    row["payment_method"] = None
    store(ctx, row)
    emit(ctx, "payment_failed", row)
    error.extra["payment_method"] = row["last_payment_error"]["payment_method"]
    return Declined(row, error, "payment_intent")


def payment_error(ctx: Context, error: dict[str, Any], pm_row: dict[str, Any]) -> dict[str, Any]:
    from paykeep.wire.payment_methods import render_payment_method

    return {
        "charge": None,
        "code": error.get("code"),
        "decline_code": error.get("decline_code"),
        "doc_url": None,
        "message": error.get("message"),
        "param": error.get("param"),
        "payment_method": render_payment_method(pm_row),
        "payment_method_type": "card",
        "type": error.get("type", "card_error"),
    }


def _approved(ctx: Context, row: dict[str, Any], pm_row: dict[str, Any], *, authenticated: bool) -> None:
    now = ctx.now_ms()
    manual = is_manual_capture(row)
    charge = {
        "id": ctx.new_id("ch"),
        "account_id": row["account_id"],
        "livemode": row["livemode"],
        "created": now,
        "metadata": {},
        "payment_intent": row["id"],
        "amount": row["amount"],
        "amount_captured": 0 if manual else row["amount"],
        "amount_refunded": 0,
        "currency": row["currency"],
        "captured": not manual,
        "released": False,
        "customer": row.get("customer"),
        "payment_method": pm_row["id"],
        "payment_method_details": _card_details(pm_row, authenticated,
                                                capture_deadline(now) if manual else None),
        "description": row.get("description"),
        "status": "succeeded",
    }
    ctx.uow.charges.insert(charge)
    row["latest_charge"] = charge["id"]
    usage = future_usage(row)
    if usage is not None:
        _save_card(ctx, row, pm_row)
    if manual:
        move(row, A.AUTHORIZE)
        row["amount_capturable"] = row["amount"]
        row["capture_before"] = capture_deadline(now)
        store(ctx, row)
        emit(ctx, "amount_capturable_updated", row)
    else:
        move(row, A.SUCCEED)
        row["amount_received"] = row["amount"]
        store(ctx, row)
        emit(ctx, "succeeded", row)


def _save_card(ctx: Context, row: dict[str, Any], pm_row: dict[str, Any]) -> None:
    """setup_future_usage: attach to the customer and mark the mandate, now that the payment went through."""
    customer_id = row.get("customer")
    if customer_id and pm_row.get("customer") != customer_id:
        pm_row = payment_methods.attach_payment_method(ctx, pm_row, customer_id)
    payment_methods.mark_mandate(ctx, pm_row)


def _card_details(pm_row: dict[str, Any], authenticated: bool, capture_before: int | None) -> dict[str, Any]:
    card: dict[str, Any] = {
        "brand": pm_row.get("card_brand"),
        "country": pm_row.get("card_country"),
        "exp_month": pm_row.get("card_exp_month"),
        "exp_year": pm_row.get("card_exp_year"),
        "fingerprint": pm_row.get("card_fingerprint"),
        "funding": pm_row.get("card_funding"),
        "last4": pm_row.get("card_last4"),
        "three_d_secure": {"result": "authenticated"} if authenticated else None,
    }
    if capture_before is not None:
        card["capture_before"] = capture_before
    return {"type": "card", "card": card}
