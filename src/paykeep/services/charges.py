"""Charges (API.md §9): GET /v1/charges, GET/POST /v1/charges/{id}, POST /v1/charges/{id}/capture.

A charge is made by its PaymentIntent (one per successful authorization, services/payment_intents_confirm);
here it is read, listed, described (metadata, description, receipt e-mail, shipping, a customer while it
has none) and captured, which captures its PaymentIntent: the two stay one story, as in Stripe."""

from __future__ import annotations

from typing import Any

from paykeep.domain.errors import InvalidRequest
from paykeep.domain.metadata import merge_metadata
from paykeep.domain.payment_intents import Charge
from paykeep.services.common import blank_to_none, load, model_or_none, page
from paykeep.services.customers import live_customer
from paykeep.services.events import previous_attributes
from paykeep.services.payment_intents import capture_loaded
from paykeep.services.ports import Context
from paykeep.wire.charges import ChargeCapture, ChargeList, ChargeUpdate, render_charge
from paykeep.wire.params import created_filters


def retrieve_charge(ctx: Context, charge_id: str) -> Charge:
    """GET /v1/charges/{id}"""
    return load(ctx, ctx.uow.charges, "charge", charge_id)


def list_charges(ctx: Context, params: ChargeList) -> tuple[list[Charge], bool]:
    """GET /v1/charges (customer, payment_intent, created), newest first."""
    return page(ctx, ctx.uow.charges, "charge", params, customer=params.customer,
                payment_intent=params.payment_intent, **created_filters(params.created))


def update_charge(ctx: Context, charge_id: str, params: ChargeUpdate) -> Charge:
    """POST /v1/charges/{id}: charge.updated with previous_attributes when anything changed."""
    charge = load(ctx, ctx.uow.charges, "charge", charge_id, for_update=True)
    changes = _changes(ctx, charge, params)
    if not changes:
        return charge
    updated = charge.with_(**changes)
    ctx.uow.charges.save(updated)
    before, after = render_charge(charge), render_charge(updated)
    ctx.emit("charge.updated", after, previous_attributes(before, after), row=updated)
    return updated


def _changes(ctx: Context, charge: Charge, params: ChargeUpdate) -> dict[str, Any]:
    given = params.given()
    changes: dict[str, Any] = {}
    for name in ("description", "receipt_email"):
        if name in given:
            changes[name] = blank_to_none(getattr(params, name))
    if "shipping" in given:
        changes["shipping"] = model_or_none(params.shipping)
    if "metadata" in given:
        changes["metadata"] = merge_metadata(charge.metadata, params.metadata)
    if params.customer and params.customer != charge.customer:
        if charge.customer is not None:
            raise InvalidRequest(f"Charge {charge.id} already belongs to customer {charge.customer}: its "
                                 "customer can only be set while it has none.", param="customer")
        changes["customer"] = live_customer(ctx, params.customer).id
    return {k: v for k, v in changes.items() if getattr(charge, k) != v}


def capture_charge(ctx: Context, charge_id: str, params: ChargeCapture) -> Charge:
    """POST /v1/charges/{id}/capture: captures the charge's PaymentIntent (`amount`: all or part of it)."""
    charge = load(ctx, ctx.uow.charges, "charge", charge_id)
    intent = load(ctx, ctx.uow.payment_intents, "payment_intent", charge.payment_intent, param="charge",
                  for_update=True)
    if intent.latest_charge != charge.id or charge.captured:
        raise InvalidRequest(f"Charge {charge.id} has already been captured.", code="charge_already_captured")
    given = params.given()
    extra = {name: getattr(params, name) for name in
             ("receipt_email", "statement_descriptor", "statement_descriptor_suffix") if name in given}
    capture_loaded(ctx, intent, params.amount, param="amount", **extra)
    return load(ctx, ctx.uow.charges, "charge", charge_id)
