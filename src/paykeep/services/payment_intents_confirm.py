"""Confirming a PaymentIntent: at most one card-network attempt per confirm, under the intent's row lock.

The caller loads the intent with `for_update=True` (PostgreSQL: `SELECT … FOR UPDATE`; SQLite: the write
transaction is `BEGIN IMMEDIATE`), so two confirms racing on one intent are serialised: the second sees the
status the first left and is refused by the transition table (400 payment_intent_unexpected_state). The
`charges.payment_intent` unique constraint is the last line: a second successful authorization cannot be
stored.
"""

from __future__ import annotations

from typing import Any

from paykeep.domain.card_network import Approved, AuthorizeRequest, ChallengeRequired, ThreeDS
from paykeep.domain.card_network import Declined as NetworkDecline
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
from paykeep.services import challenges, payment_methods
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
    ctx.emit(f"payment_intent.{event}", render_payment_intent(row))


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
    return attempt(ctx, row, cvc=cvc, action=A.CONFIRM)


def _apply_confirm_params(ctx: Context, row: dict[str, Any],
                          params: PaymentIntentConfirm | PaymentIntentCreate) -> Cvc | None:
    """Copy the confirm-time parameters onto the row; returns the CVC of a card sent in this request."""
    given = params.given()
    cvc: Cvc | None = None
    if params.payment_method_data is not None:
        data = params.payment_method_data
        pm_row, details = payment_methods.create_payment_method_from_card(
            ctx, data.card.model_dump() if data.card else {},
            data.billing_details.model_dump(exclude_unset=True) if data.billing_details else None,
            metadata=data.metadata)
        row["payment_method"] = pm_row["id"]
        cvc = details.cvc
    elif params.payment_method:
        pm_row = payment_methods.usable_payment_method(ctx, params.payment_method,
                                                       customer_id=row.get("customer"))
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


def attempt(ctx: Context, row: dict[str, Any], *, cvc: Cvc | None, action: PaymentIntentAction,
            authenticated: bool = False) -> dict[str, Any] | Declined:
    """One authorization against the card network, and the status it leads to."""
    pm_row = payment_methods.usable_payment_method(ctx, row["payment_method"],
                                                   customer_id=row.get("customer"))
    asked = card_options(row).get("request_three_d_secure")
    three_ds: ThreeDS = "any" if asked in ("any", "challenge") else "auto"
    request = AuthorizeRequest(
        amount=row["amount"], currency=row["currency"], livemode=row["livemode"],
        off_session=bool(row.get("off_session")) and not authenticated, three_d_secure=three_ds,
        authenticated=authenticated, mandate=bool(pm_row.get("mandate")),
    )
    verdict = ctx.deps.card_network.authorize(payment_methods.reveal_number(ctx, pm_row), cvc, request)
    move(row, action)  # -> processing
    row["next_action"] = None
    row["last_payment_error"] = None
    if isinstance(verdict, Approved):
        _approved(ctx, row, pm_row, authenticated=authenticated)
        return row
    if isinstance(verdict, ChallengeRequired) and not authenticated:
        return_url = row.get("return_url")
        if not return_url:  # rolls the whole request back: nothing was charged
            raise ParameterMissing("return_url", "This card requires 3-D Secure authentication: pass "
                                   "return_url (where the cardholder is sent back after the challenge) "
                                   "with confirm.")
        move(row, A.REQUIRE_ACTION)
        url = challenges.start_challenge(
            ctx, intent_type="payment_intent", intent_id=row["id"], payment_method_id=pm_row["id"],
            return_url=return_url, amount=row["amount"], currency=row["currency"],
        )
        row["next_action"] = {"type": "challenge_redirect",
                              "challenge_redirect": {"url": url, "return_url": return_url}}
        store(ctx, row)
        emit(ctx, "requires_action", row)
        return row
    if isinstance(verdict, NetworkDecline):
        error = CardError(verdict.message, code=verdict.code, decline_code=verdict.decline_code)
    else:  # a challenge asked for again right after one was passed: treat it as a failed authentication
        error = CardError(AUTHENTICATION_FAILURE_MESSAGE, code=AUTHENTICATION_FAILURE)
    return _failed(ctx, row, pm_row, error)


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


# -- the challenge's answer ----------------------------------------------------------------------------
def complete_authentication(ctx: Context, intent_id: str, succeeded: bool) -> dict[str, Any]:
    """Called by the challenge page when the cardholder answers: authorize again, or fail the attempt."""
    row = ctx.uow.payment_intents.get(ctx.scope, intent_id, for_update=True)
    if row is None:
        raise ResourceMissing("payment_intent", intent_id)
    if not succeeded:
        move(row, A.FAIL_AUTHENTICATION)
        pm_id = row.get("payment_method")
        pm_row = ctx.uow.payment_methods.get(ctx.scope, pm_id) if pm_id else None
        error = {"type": "invalid_request_error", "code": AUTHENTICATION_FAILURE,
                 "message": AUTHENTICATION_FAILURE_MESSAGE}
        row["next_action"] = None
        row["last_payment_error"] = payment_error(ctx, error, pm_row) if pm_row else error
        row["payment_method"] = None
        store(ctx, row)
        emit(ctx, "payment_failed", row)
        return row
    next_status(row["status"], A.AUTHENTICATE)
    result = attempt(ctx, row, cvc=None, action=A.AUTHENTICATE, authenticated=True)
    return result.row if isinstance(result, Declined) else result
