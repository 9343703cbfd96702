"""Refunds: POST /v1/refunds, GET /v1/refunds/{id}, POST /v1/refunds/{id} (metadata), GET /v1/refunds.

A refund is made against the succeeded payment's charge, full (default) or partial, never more than what is
left (amount captured minus refunded). The simulated network refunds at once (status "succeeded"). The
payment intent's row lock serialises concurrent refunds of one payment.
"""

from __future__ import annotations

from paykeep.domain.errors import InvalidRequest, ParameterMissing
from paykeep.domain.metadata import merge_metadata
from paykeep.domain.money import check_amount_cap, format_amount
from paykeep.domain.payment_intents import PaymentIntent, PaymentIntentStatus, Refund
from paykeep.services.clock_time import clock_now
from paykeep.services.common import blank_to_none, load, page
from paykeep.services.events import previous_attributes
from paykeep.services.ports import Context
from paykeep.wire.charges import render_charge
from paykeep.wire.params import created_filters
from paykeep.wire.refunds import RefundCreate, RefundList, RefundUpdate, render_refund


def create_refund(ctx: Context, params: RefundCreate) -> Refund:
    """POST /v1/refunds"""
    intent = _intent_to_refund(ctx, params)
    if intent.status != PaymentIntentStatus.SUCCEEDED or not intent.latest_charge:
        raise InvalidRequest(
            f"This PaymentIntent ({intent.id}) has a status of {intent.status}: only a succeeded "
            "payment can be refunded.",
            code="payment_intent_unexpected_state", param="payment_intent",
        )
    charge = load(ctx, ctx.uow.charges, "charge", intent.latest_charge, param="charge", for_update=True)
    currency = charge.currency
    left = charge.amount_captured - charge.amount_refunded
    if left <= 0:
        raise InvalidRequest(f"Charge {charge.id} has already been refunded.", code="charge_already_refunded")
    amount = left if params.amount is None else check_amount_cap(params.amount, currency, param="amount")
    if amount > left:
        raise InvalidRequest(
            f"Refund amount ({format_amount(amount, currency)}) is greater than unrefunded amount on charge "
            f"({format_amount(left, currency)}).",
            code="amount_too_large", param="amount",
        )
    refund = Refund(
        id=ctx.new_id("re"), account_id=ctx.caller.account_id, livemode=ctx.caller.livemode,
        created=clock_now(ctx, intent.test_clock),
        metadata=merge_metadata({}, params.metadata) if params.metadata is not None else {},
        payment_intent=intent.id, charge=charge.id, amount=amount, currency=currency, reason=params.reason,
        description=blank_to_none(params.description),
    )
    ctx.uow.refunds.add(refund)
    refunded = charge.with_(amount_refunded=charge.amount_refunded + amount)
    ctx.uow.charges.save(refunded)
    before, after = render_charge(charge), render_charge(refunded)
    ctx.emit("refund.created", render_refund(refund), row=refund)
    ctx.emit("charge.refunded", after, previous_attributes(before, after), row=refunded)
    return refund


def _intent_to_refund(ctx: Context, params: RefundCreate) -> PaymentIntent:
    if params.payment_intent:
        return load(ctx, ctx.uow.payment_intents, "payment_intent", params.payment_intent,
                    param="payment_intent", for_update=True)
    if params.charge:
        charge = load(ctx, ctx.uow.charges, "charge", params.charge, param="charge")
        return load(ctx, ctx.uow.payment_intents, "payment_intent", charge.payment_intent, param="charge",
                    for_update=True)
    raise ParameterMissing("payment_intent", "Missing required param: payment_intent (or charge).")


def retrieve_refund(ctx: Context, refund_id: str) -> Refund:
    """GET /v1/refunds/{id}"""
    return load(ctx, ctx.uow.refunds, "refund", refund_id)


def update_refund(ctx: Context, refund_id: str, params: RefundUpdate) -> Refund:
    """POST /v1/refunds/{id}: metadata only."""
    refund = load(ctx, ctx.uow.refunds, "refund", refund_id, for_update=True)
    if "metadata" in params.given():
        refund = refund.with_(metadata=merge_metadata(refund.metadata, params.metadata))
        ctx.uow.refunds.save(refund)
    return refund


def list_refunds(ctx: Context, params: RefundList) -> tuple[list[Refund], bool]:
    """GET /v1/refunds (payment_intent, charge, created)"""
    return page(ctx, ctx.uow.refunds, "refund", params, payment_intent=params.payment_intent,
                charge=params.charge,
                **created_filters(params.created))
