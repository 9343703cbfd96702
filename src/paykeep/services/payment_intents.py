"""PaymentIntents: create, retrieve, update, confirm, capture, cancel, list; expiring old authorizations.

Confirming (the card-network attempt and the challenge's answer) lives in payment_intents_confirm.py.
"""

from __future__ import annotations

import hmac
from typing import Any

from paykeep.domain.errors import InvalidRequest, ParameterInvalid, ParameterMissing
from paykeep.domain.ids import client_secret_for
from paykeep.domain.metadata import merge_metadata
from paykeep.domain.money import check_amount_cap, check_charge_amount, format_amount, normalise_currency
from paykeep.domain.payment_intents import (
    AUTOMATIC_CANCELLATION,
    PaymentIntentAction,
    PaymentIntentStatus,
    capture_amount,
    next_status,
)
from paykeep.services import attempts
from paykeep.services.common import blank_to_none, load, model_or_none, page
from paykeep.services.customers import live_customer
from paykeep.services.payment_intents_confirm import (
    confirm_loaded,
    emit,
    merge_card_options,
    move,
    store,
)
from paykeep.services.ports import Caller, Context, Declined, Deps
from paykeep.services.transactions import transaction
from paykeep.wire.params import created_filters
from paykeep.wire.payment_intents import (
    PaymentIntentCancel,
    PaymentIntentCapture,
    PaymentIntentConfirm,
    PaymentIntentCreate,
    PaymentIntentList,
    PaymentIntentUpdate,
)

__all__ = [
    "cancel_payment_intent", "capture_payment_intent", "confirm_payment_intent",
    "create_payment_intent", "expire_uncaptured", "list_payment_intents", "retrieve_payment_intent",
    "update_payment_intent",
]

A = PaymentIntentAction
S = PaymentIntentStatus
_TEXT_FIELDS = ("description", "merchant_order_id", "receipt_email", "statement_descriptor",
                "statement_descriptor_suffix")
# Fields that change what would be charged: only before the payment is authorized.
_PAYMENT_FIELDS = ("amount", "currency", "customer", "payment_method", "payment_method_data",
                   "payment_method_types", "payment_method_options", "capture_method", "setup_future_usage")


def _payment_method_types(given: list[str] | None) -> list[str]:
    types = given or ["card"]
    if any(t != "card" for t in types):
        raise ParameterInvalid("payment_method_types", "Only `card` payment methods are supported.")
    return ["card"]


def create_payment_intent(ctx: Context, params: PaymentIntentCreate) -> dict[str, Any] | Declined:
    """POST /v1/payment_intents (with confirm=true: create, then confirm in the same transaction)."""
    currency = normalise_currency(params.currency)
    amount = check_charge_amount(params.amount, currency)
    given = params.given()
    if not params.confirm and "off_session" in given:
        raise ParameterInvalid("off_session", "off_session can only be passed together with confirm=true.")
    customer = live_customer(ctx, params.customer).id if params.customer else None
    row: dict[str, Any] = {
        "id": ctx.new_id("pi"),
        "account_id": ctx.caller.account_id,
        "livemode": ctx.caller.livemode,
        "created": ctx.now_ms(),
        "metadata": merge_metadata({}, params.metadata) if params.metadata is not None else {},
        "amount": amount,
        "currency": currency,
        "status": S.REQUIRES_PAYMENT_METHOD.value,
        "amount_capturable": 0,
        "amount_received": 0,
        "capture_method": params.capture_method or "automatic",
        "confirmation_method": params.confirmation_method or "automatic",
        "customer": customer,
        "payment_method": None,
        "payment_method_types": _payment_method_types(params.payment_method_types),
        "payment_method_options": merge_card_options(None, params.payment_method_options),
        "setup_future_usage": params.setup_future_usage or None,
        "off_session": None,
        "return_url": params.return_url or None,
        "shipping": model_or_none(params.shipping),
        "next_action": None,
        "last_payment_error": None,
        "latest_charge": None,
        "cancellation_reason": None,
        "canceled_at": None,
        "capture_before": None,
        **{name: blank_to_none(getattr(params, name)) for name in _TEXT_FIELDS},
    }
    row["client_secret"] = client_secret_for(row["id"])
    if not params.confirm:
        _set_payment_method(ctx, row, params)
    ctx.uow.payment_intents.insert(row)
    emit(ctx, "created", row)
    if params.confirm:
        return confirm_loaded(ctx, row, params)
    return row


def _set_payment_method(ctx: Context, row: dict[str, Any],
                        params: PaymentIntentCreate | PaymentIntentUpdate) -> None:
    """A payment method given without confirming: the intent now requires_confirmation."""
    if params.payment_method_data is None and not params.payment_method:
        return
    pm_row, _cvc = attempts.payment_method_for(ctx, payment_method=params.payment_method or None,
                                               payment_method_data=params.payment_method_data,
                                               customer=row.get("customer"))
    move(row, A.ATTACH_PAYMENT_METHOD)
    row["payment_method"] = pm_row["id"]


def retrieve_payment_intent(ctx: Context, intent_id: str, client_secret: str | None = None) -> dict[str, Any]:
    """GET /v1/payment_intents/{id}; a publishable key must bring the intent's client_secret."""
    row = load(ctx, ctx.uow.payment_intents, "payment_intent", intent_id)
    if ctx.caller.publishable:
        if not client_secret:
            raise ParameterMissing("client_secret", "A publishable key may retrieve a PaymentIntent only "
                                                    "together with its client_secret.")
        if not hmac.compare_digest(client_secret.encode(), row["client_secret"].encode()):
            raise InvalidRequest(
                "The client_secret provided does not match the client_secret associated with the "
                "PaymentIntent.",
                code="payment_intent_invalid_parameter", param="client_secret",
            )
    return row


def update_payment_intent(ctx: Context, intent_id: str, params: PaymentIntentUpdate) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}: amounts and payment details only before authorization; text any time."""
    row = load(ctx, ctx.uow.payment_intents, "payment_intent", intent_id, for_update=True)
    given = params.given()
    if given & set(_PAYMENT_FIELDS):
        was = row["status"]
        if params.payment_method or params.payment_method_data is not None:
            _set_payment_method(ctx, row, params)  # -> requires_confirmation
        else:
            move(row, A.UPDATE)
        if was == S.REQUIRES_ACTION and row["status"] != S.REQUIRES_ACTION:
            row["next_action"] = None
        _apply_payment_fields(ctx, row, params, given)
    for name in _TEXT_FIELDS:
        if name in given:
            row[name] = blank_to_none(getattr(params, name))
    if "shipping" in given:
        row["shipping"] = model_or_none(params.shipping)
    if "metadata" in given:
        row["metadata"] = merge_metadata(row.get("metadata"), params.metadata)
    store(ctx, row)
    return row


def _apply_payment_fields(ctx: Context, row: dict[str, Any], params: PaymentIntentUpdate,
                          given: set[str]) -> None:
    currency = normalise_currency(params.currency) if params.currency is not None else row["currency"]
    amount = params.amount if params.amount is not None else row["amount"]
    if {"amount", "currency"} & given:
        row["amount"], row["currency"] = check_charge_amount(amount, currency), currency
    if "customer" in given:
        row["customer"] = live_customer(ctx, params.customer).id if params.customer else None
    if "payment_method_types" in given:
        row["payment_method_types"] = _payment_method_types(params.payment_method_types)
    if "payment_method_options" in given:
        row["payment_method_options"] = merge_card_options(row.get("payment_method_options"),
                                                           params.payment_method_options)
    if "capture_method" in given and params.capture_method:
        row["capture_method"] = params.capture_method
    if "setup_future_usage" in given:
        row["setup_future_usage"] = params.setup_future_usage or None


def confirm_payment_intent(ctx: Context, intent_id: str,
                           params: PaymentIntentConfirm) -> dict[str, Any] | Declined:
    """POST /v1/payment_intents/{id}/confirm"""
    row = load(ctx, ctx.uow.payment_intents, "payment_intent", intent_id, for_update=True)
    return confirm_loaded(ctx, row, params)


def capture_payment_intent(ctx: Context, intent_id: str, params: PaymentIntentCapture) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}/capture: all or part of the authorization; the rest is released."""
    row = load(ctx, ctx.uow.payment_intents, "payment_intent", intent_id, for_update=True)
    next_status(row["status"], A.CAPTURE)
    capturable = row["amount_capturable"]
    amount = capture_amount(params.amount_to_capture, capturable)
    check_amount_cap(amount, row["currency"], param="amount_to_capture")
    if amount > capturable:
        raise InvalidRequest(
            f"The amount to capture ({format_amount(amount, row['currency'])}) is greater than the amount "
            f"capturable ({format_amount(capturable, row['currency'])}).",
            code="amount_too_large", param="amount_to_capture",
        )
    move(row, A.CAPTURE)
    row["amount_received"] = amount
    row["amount_capturable"] = 0
    row["capture_before"] = None
    if params.metadata is not None:
        row["metadata"] = merge_metadata(row.get("metadata"), params.metadata)
    if row.get("latest_charge"):
        ctx.uow.charges.update(row["latest_charge"], {"amount_captured": amount, "captured": True})
    store(ctx, row)
    emit(ctx, "succeeded", row)
    return row


def cancel_payment_intent(ctx: Context, intent_id: str, params: PaymentIntentCancel) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}/cancel: from any status but succeeded and canceled."""
    row = load(ctx, ctx.uow.payment_intents, "payment_intent", intent_id, for_update=True)
    _cancel(ctx, row, A.CANCEL, params.cancellation_reason)
    return row


def _cancel(ctx: Context, row: dict[str, Any], action: PaymentIntentAction, reason: str | None) -> None:
    was = row["status"]
    move(row, action)
    row["cancellation_reason"] = reason
    row["canceled_at"] = ctx.now_ms()
    row["amount_capturable"] = 0
    row["capture_before"] = None
    row["next_action"] = None
    if was == S.REQUIRES_CAPTURE and row.get("latest_charge"):
        ctx.uow.charges.update(row["latest_charge"], {"released": True, "amount_refunded": row["amount"]})
    store(ctx, row)
    emit(ctx, "canceled", row)


def list_payment_intents(ctx: Context, params: PaymentIntentList) -> tuple[list[dict[str, Any]], bool]:
    """GET /v1/payment_intents (customer, created)"""
    return page(ctx, ctx.uow.payment_intents, "payment_intent", params, customer=params.customer,
                **created_filters(params.created))


def expire_uncaptured(deps: Deps, *, batch: int = 100, max_batches: int = 100) -> int:
    """Cancel (reason "automatic") every authorization left uncaptured past its 7 days; returns how many.

    Safe to run in several processes at once: each intent is re-read under its row lock and skipped unless it
    is still requires_capture and due."""
    now = deps.clock.now_ms()
    expired = 0
    for _ in range(max_batches):
        with deps.begin(write=False) as uow:
            due = uow.payment_intents.find(None, limit=batch, status=S.REQUIRES_CAPTURE.value,
                                           capture_before__lte=now)
        done_before = expired
        for candidate in due:
            caller = Caller(account_id=candidate["account_id"], livemode=candidate["livemode"])
            with transaction(deps, caller) as ctx:
                row = ctx.uow.payment_intents.get(caller.scope, candidate["id"], for_update=True)
                if row is None or row["status"] != S.REQUIRES_CAPTURE or (row["capture_before"] or 0) > now:
                    continue
                _cancel(ctx, row, A.EXPIRE, AUTOMATIC_CANCELLATION)
                expired += 1
        if len(due) < batch or expired == done_before:
            break
    return expired
