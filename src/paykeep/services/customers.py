"""Customers: POST/GET/DELETE /v1/customers[/{id}], GET /v1/customers."""

from __future__ import annotations

from typing import Any

from paykeep.domain.customers import Customer
from paykeep.domain.errors import InvalidRequest, ResourceMissing
from paykeep.domain.metadata import merge_metadata
from paykeep.domain.payment_methods import PaymentMethod
from paykeep.services import payment_methods
from paykeep.services.clock_time import live_test_clock
from paykeep.services.common import blank_to_none, load, model_or_none, page
from paykeep.services.events import previous_attributes
from paykeep.services.ports import Context
from paykeep.wire.customers import CustomerCreate, CustomerList, CustomerUpdate, render_customer
from paykeep.wire.params import created_filters

_TEXT_FIELDS = ("email", "name", "phone", "description")
_OBJECT_FIELDS = ("address", "shipping", "invoice_settings")


def _changes(params: CustomerUpdate, current: Customer | None) -> dict[str, Any]:
    given = params.given()
    values: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        if name in given:
            values[name] = blank_to_none(getattr(params, name))
    for name in _OBJECT_FIELDS:
        if name in given:
            values[name] = model_or_none(getattr(params, name))
    if "metadata" in given:
        values["metadata"] = merge_metadata(current.metadata if current else None, params.metadata)
    return values


def create_customer(ctx: Context, params: CustomerCreate) -> Customer:
    """POST /v1/customers (with `test_clock`: the customer lives on that clock, made at its frozen time)"""
    clock = live_test_clock(ctx, params.test_clock, param="test_clock") if params.test_clock else None
    customer = Customer(id=ctx.new_id("cus"), account_id=ctx.caller.account_id, livemode=ctx.caller.livemode,
                        created=clock.frozen_time if clock else ctx.now_ms(),
                        test_clock=clock.id if clock else None, **_changes(params, None))  # not a copy
    ctx.uow.customers.add(customer)
    ctx.emit("customer.created", render_customer(customer), row=customer)
    if params.payment_method:  # Stripe's customer[payment_method]: attached at creation (a test id too)
        pm = payment_methods.load_payment_method(ctx, params.payment_method, param="payment_method",
                                                 for_update=True)
        payment_methods.attach_payment_method(ctx, pm, customer.id)
    _check_default_payment_method(ctx, customer)
    return customer


def _check_default_payment_method(ctx: Context, customer: Customer) -> None:
    """`invoice_settings[default_payment_method]` must name one of the customer's own cards (Stripe's 400)."""
    pm_id = (customer.invoice_settings or {}).get("default_payment_method")
    if not pm_id:
        return
    param = "invoice_settings[default_payment_method]"
    pm = load(ctx, ctx.uow.payment_methods, "PaymentMethod", pm_id, param=param)
    if pm.customer != customer.id:
        raise InvalidRequest(f"The customer does not have a payment method with the ID {pm_id}. The payment "
                             "method must be attached to the customer.", param=param)


def retrieve_customer(ctx: Context, customer_id: str) -> Customer:
    """GET /v1/customers/{id} (a deleted customer renders as {id, object, deleted: true})."""
    return load(ctx, ctx.uow.customers, "customer", customer_id)


def live_customer(ctx: Context, customer_id: str, *, param: str = "customer",
                  for_update: bool = False) -> Customer:
    """A customer that exists and is not deleted (for attaching, charging, …); `for_update` locks the row
    (PostgreSQL) so concurrent read-modify-writes of it queue instead of losing an update."""
    customer = load(ctx, ctx.uow.customers, "customer", customer_id, param=param, for_update=for_update)
    if customer.deleted:
        raise ResourceMissing("customer", customer_id, param=param)
    return customer


def retrieve_customer_payment_method(ctx: Context, customer_id: str, pm_id: str) -> PaymentMethod:
    """GET /v1/customers/{id}/payment_methods/{pm}: one of the customer's cards; a card that is not
    attached to this customer is 404, as if it did not exist (Stripe's answer)."""
    load(ctx, ctx.uow.customers, "customer", customer_id)
    pm = load(ctx, ctx.uow.payment_methods, "PaymentMethod", pm_id)
    if pm.customer != customer_id:
        raise ResourceMissing("PaymentMethod", pm_id)
    return pm


def update_customer(ctx: Context, customer_id: str, params: CustomerUpdate) -> Customer:
    """POST /v1/customers/{id}"""
    customer = live_customer(ctx, customer_id, param="id", for_update=True)
    changed = customer.with_(**_changes(params, customer))
    if "invoice_settings" in params.given():
        _check_default_payment_method(ctx, changed)
    before, after = render_customer(customer), render_customer(changed)
    if before != after:
        ctx.uow.customers.save(changed)
        ctx.emit("customer.updated", after, previous_attributes(before, after), row=changed)
    return changed


def delete_customer(ctx: Context, customer_id: str) -> Customer:
    """DELETE /v1/customers/{id}: the customer's payment methods are detached too."""
    customer = live_customer(ctx, customer_id, param="id", for_update=True)
    snapshot = render_customer(customer)
    payment_methods.detach_all_for_customer(ctx, customer_id)
    deleted = customer.with_(deleted=True)
    ctx.uow.customers.save(deleted)
    ctx.emit("customer.deleted", snapshot, row=deleted)
    return deleted


def list_customers(ctx: Context, params: CustomerList) -> tuple[list[Customer], bool]:
    """GET /v1/customers (customers on a test clock only with `test_clock`, as Stripe lists them)"""
    clock = {"test_clock": params.test_clock} if params.test_clock else {"test_clock__isnull": True}
    return page(ctx, ctx.uow.customers, "customer", params, deleted=False, email=params.email,
                **clock, **created_filters(params.created))
