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
    Charge,
    PaymentIntent,
    PaymentIntentAction,
    PaymentIntentStatus,
    capture_amount,
    next_status,
)
from paykeep.services import attempts
from paykeep.services.clock_time import clock_now
from paykeep.services.common import automatic_payment_methods, blank_to_none, load, model_or_none, page
from paykeep.services.customers import live_customer
from paykeep.services.events import previous_attributes
from paykeep.services.payment_intents_confirm import confirm_loaded, emit, merge_card_options, store
from paykeep.services.ports import Caller, Context, Declined, Deps
from paykeep.services.transactions import transaction
from paykeep.wire.charges import render_charge
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
    "create_payment_intent", "expire_authorization", "expire_uncaptured", "list_payment_intents",
    "retrieve_payment_intent", "update_payment_intent",
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


def create_payment_intent(ctx: Context, params: PaymentIntentCreate) -> PaymentIntent | Declined:
    """POST /v1/payment_intents (with confirm=true: create, then confirm in the same transaction)."""
    currency = normalise_currency(params.currency)
    amount = check_charge_amount(params.amount, currency)
    given = params.given()
    for name in ("off_session", "error_on_requires_action"):
        if not params.confirm and name in given:
            raise ParameterInvalid(name, f"{name} can only be passed together with confirm=true.")
    owner = live_customer(ctx, params.customer) if params.customer else None
    customer, clock = (owner.id, owner.test_clock) if owner else (None, None)
    intent_id = ctx.new_id("pi")
    intent = PaymentIntent(
        id=intent_id, account_id=ctx.caller.account_id, livemode=ctx.caller.livemode,
        created=clock_now(ctx, clock), test_clock=clock,
        metadata=merge_metadata({}, params.metadata) if params.metadata is not None else {},
        amount=amount, currency=currency, status=S.REQUIRES_PAYMENT_METHOD,
        client_secret=client_secret_for(intent_id),
        capture_method=params.capture_method or "automatic",
        confirmation_method=params.confirmation_method or "automatic", customer=customer,
        payment_method_types=_payment_method_types(params.payment_method_types),
        payment_method_options=merge_card_options(None, params.payment_method_options),
        setup_future_usage=params.setup_future_usage or None, return_url=params.return_url or None,
        shipping=model_or_none(params.shipping), automatic_payment_methods=automatic_payment_methods(params),
        **{name: blank_to_none(getattr(params, name)) for name in _TEXT_FIELDS},
    )
    if not params.confirm:
        intent = _set_payment_method(ctx, intent, params)
    ctx.uow.payment_intents.add(intent)
    emit(ctx, "created", intent)
    if params.confirm:
        return confirm_loaded(ctx, intent, params)
    return intent


def _set_payment_method(ctx: Context, intent: PaymentIntent,
                        params: PaymentIntentCreate | PaymentIntentUpdate) -> PaymentIntent:
    """A payment method given without confirming: the intent now requires_confirmation."""
    if params.payment_method_data is None and not params.payment_method:
        return intent
    pm, _cvc = attempts.payment_method_for(ctx, payment_method=params.payment_method or None,
                                           payment_method_data=params.payment_method_data,
                                           customer=intent.customer)
    return intent.move(A.ATTACH_PAYMENT_METHOD, payment_method=pm.id)


def retrieve_payment_intent(ctx: Context, intent_id: str, client_secret: str | None = None) -> PaymentIntent:
    """GET /v1/payment_intents/{id}; a publishable key must bring the intent's client_secret."""
    intent = load(ctx, ctx.uow.payment_intents, "payment_intent", intent_id)
    if ctx.caller.publishable:
        _check_client_secret(intent, client_secret, "retrieve")
    return intent


def _check_client_secret(intent: PaymentIntent, client_secret: str | None, verb: str) -> None:
    """A publishable key's call on an intent: only with that intent's client_secret (constant time)."""
    if not client_secret:
        raise ParameterMissing("client_secret", f"A publishable key may {verb} a PaymentIntent only "
                                                "together with its client_secret.")
    if not hmac.compare_digest(client_secret.encode(), intent.client_secret.encode()):
        raise InvalidRequest(
            "The client_secret provided does not match the client_secret associated with the PaymentIntent.",
            code="payment_intent_invalid_parameter", param="client_secret",
        )


def update_payment_intent(ctx: Context, intent_id: str, params: PaymentIntentUpdate) -> PaymentIntent:
    """POST /v1/payment_intents/{id}: amounts and payment details only before authorization; text any time."""
    intent = load(ctx, ctx.uow.payment_intents, "payment_intent", intent_id, for_update=True)
    given = params.given()
    if given & set(_PAYMENT_FIELDS):
        was = intent.status
        if params.payment_method or params.payment_method_data is not None:
            intent = _set_payment_method(ctx, intent, params)  # -> requires_confirmation
        else:
            intent = intent.move(A.UPDATE)
        if was == S.REQUIRES_ACTION and intent.status != S.REQUIRES_ACTION:
            intent = intent.with_(next_action=None)
        intent = _apply_payment_fields(ctx, intent, params, given)
    values: dict[str, Any] = {name: blank_to_none(getattr(params, name)) for name in _TEXT_FIELDS
                              if name in given}
    if "shipping" in given:
        values["shipping"] = model_or_none(params.shipping)
    if "metadata" in given:
        values["metadata"] = merge_metadata(intent.metadata, params.metadata)
    return store(ctx, intent.with_(**values))


def _apply_payment_fields(ctx: Context, intent: PaymentIntent, params: PaymentIntentUpdate,
                          given: set[str]) -> PaymentIntent:
    currency = normalise_currency(params.currency) if params.currency is not None else intent.currency
    amount = params.amount if params.amount is not None else intent.amount
    values: dict[str, Any] = {}
    if {"amount", "currency"} & given:
        values.update(amount=check_charge_amount(amount, currency), currency=currency)
    if "customer" in given:
        owner = live_customer(ctx, params.customer) if params.customer else None
        values.update(customer=owner.id if owner else None, test_clock=owner.test_clock if owner else None)
    if "payment_method_types" in given:
        values["payment_method_types"] = _payment_method_types(params.payment_method_types)
    if "payment_method_options" in given:
        values["payment_method_options"] = merge_card_options(intent.payment_method_options,
                                                              params.payment_method_options)
    if "capture_method" in given and params.capture_method:
        values["capture_method"] = params.capture_method
    if "setup_future_usage" in given:
        values["setup_future_usage"] = params.setup_future_usage or None
    return intent.with_(**values)


def confirm_payment_intent(ctx: Context, intent_id: str,
                           params: PaymentIntentConfirm) -> PaymentIntent | Declined:
    """POST /v1/payment_intents/{id}/confirm (a publishable key: with the intent's client_secret)"""
    intent = load(ctx, ctx.uow.payment_intents, "payment_intent", intent_id, for_update=True)
    if ctx.caller.publishable:
        _check_client_secret(intent, params.client_secret, "confirm")
    return confirm_loaded(ctx, intent, params)


def capture_payment_intent(ctx: Context, intent_id: str, params: PaymentIntentCapture) -> PaymentIntent:
    """POST /v1/payment_intents/{id}/capture: all or part of the authorization; the rest is released."""
    intent = load(ctx, ctx.uow.payment_intents, "payment_intent", intent_id, for_update=True)
    return capture_loaded(ctx, intent, params.amount_to_capture, metadata=params.metadata)


def capture_loaded(ctx: Context, intent: PaymentIntent, amount_to_capture: int | None, *,
                   param: str = "amount_to_capture", metadata: Any = None,
                   **charge_changes: Any) -> PaymentIntent:
    """Capture an authorization loaded under its lock (from the intent, or from its charge: `param` is
    the amount's name in that call); `charge_changes` are set on the charge with it."""
    next_status(intent.status, A.CAPTURE)
    capturable = intent.amount_capturable
    amount = capture_amount(amount_to_capture, capturable)
    check_amount_cap(amount, intent.currency, param=param)
    if amount > capturable:
        raise InvalidRequest(
            f"The amount to capture ({format_amount(amount, intent.currency)}) is greater than the amount "
            f"capturable ({format_amount(capturable, intent.currency)}).",
            code="amount_too_large", param=param,
        )
    merged = intent.metadata if metadata is None else merge_metadata(intent.metadata, metadata)
    captured = intent.move(A.CAPTURE, amount_received=amount, amount_capturable=0, capture_before=None,
                           metadata=merged)
    before = ctx.uow.charges.get(ctx.scope, intent.latest_charge) if intent.latest_charge else None
    charge = _change_charge(ctx, intent, amount_captured=amount, captured=True, **charge_changes)
    store(ctx, captured)
    if before is not None and charge is not None:
        after = render_charge(charge)
        ctx.emit("charge.captured", after, previous_attributes(render_charge(before), after), row=charge)
    emit(ctx, "succeeded", captured)
    return captured


def cancel_payment_intent(ctx: Context, intent_id: str, params: PaymentIntentCancel) -> PaymentIntent:
    """POST /v1/payment_intents/{id}/cancel: from any status but succeeded and canceled."""
    intent = load(ctx, ctx.uow.payment_intents, "payment_intent", intent_id, for_update=True)
    return _cancel(ctx, intent, A.CANCEL, params.cancellation_reason)


def _cancel(ctx: Context, intent: PaymentIntent, action: PaymentIntentAction,
            reason: str | None) -> PaymentIntent:
    canceled = intent.move(action, cancellation_reason=reason, canceled_at=clock_now(ctx, intent.test_clock),
                           amount_capturable=0, capture_before=None, next_action=None)
    if intent.status == S.REQUIRES_CAPTURE:
        released = _change_charge(ctx, intent, released=True, amount_refunded=intent.amount)
        if released is not None and action == A.EXPIRE:  # its 7 days are up: Stripe's charge.expired
            ctx.emit("charge.expired", render_charge(released), row=released)
    store(ctx, canceled)
    emit(ctx, "canceled", canceled)
    return canceled


def _change_charge(ctx: Context, intent: PaymentIntent, **changes: Any) -> Charge | None:
    """The intent's charge (its one successful authorization), if it has one, with these changes."""
    if intent.latest_charge:
        charge = ctx.uow.charges.get(ctx.scope, intent.latest_charge)
        if charge is not None:
            changed = charge.with_(**changes)
            ctx.uow.charges.save(changed)
            return changed
    return None


def list_payment_intents(ctx: Context, params: PaymentIntentList) -> tuple[list[PaymentIntent], bool]:
    """GET /v1/payment_intents (customer, created)"""
    return page(ctx, ctx.uow.payment_intents, "payment_intent", params, customer=params.customer,
                **created_filters(params.created))


def expire_authorization(ctx: Context, intent: PaymentIntent) -> PaymentIntent:
    """An authorization (requires_capture, loaded under its lock) whose 7 days are up: released, the intent
    canceled with reason "automatic" (payment_intent.canceled, charge.expired)."""
    return _cancel(ctx, intent, A.EXPIRE, AUTOMATIC_CANCELLATION)


def expire_uncaptured(deps: Deps, *, batch: int = 100, max_batches: int = 100) -> int:
    """Cancel (reason "automatic") every authorization left uncaptured past its 7 days; returns how many.
    Intents on a test clock are not these: their 7 days are the clock's (services/test_clocks.py).

    Safe to run in several processes at once: each intent is re-read under its row lock and skipped unless it
    is still requires_capture and due."""
    now = deps.clock.now_ms()
    expired = 0
    for _ in range(max_batches):
        with deps.begin(write=False) as uow:
            due = uow.payment_intents.find(None, limit=batch, status=S.REQUIRES_CAPTURE.value,
                                           capture_before__lte=now, test_clock__isnull=True)
        done_before = expired
        for candidate in due:
            caller = Caller(account_id=candidate.account_id, livemode=candidate.livemode)
            with transaction(deps, caller) as ctx:
                intent = ctx.uow.payment_intents.get(caller.scope, candidate.id, for_update=True)
                if (intent is None or intent.status != S.REQUIRES_CAPTURE
                        or (intent.capture_before or 0) > now or intent.test_clock is not None):
                    continue
                expire_authorization(ctx, intent)
                expired += 1
        if len(due) < batch or expired == done_before:
            break
    return expired
