"""Customers: POST/GET/DELETE /v1/customers[/{id}], GET /v1/customers."""

from __future__ import annotations

from typing import Any

from paykeep.domain.errors import ResourceMissing
from paykeep.domain.metadata import merge_metadata
from paykeep.services import payment_methods
from paykeep.services.common import blank_to_none, load, model_or_none, page
from paykeep.services.events import previous_attributes
from paykeep.services.ports import Context
from paykeep.wire.customers import CustomerCreate, CustomerList, CustomerUpdate, render_customer
from paykeep.wire.params import created_filters

_TEXT_FIELDS = ("email", "name", "phone", "description")
_OBJECT_FIELDS = ("address", "shipping", "invoice_settings")


def _changes(params: CustomerCreate, current: dict[str, Any] | None) -> dict[str, Any]:
    given = params.given()
    values: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        if name in given:
            values[name] = blank_to_none(getattr(params, name))
    for name in _OBJECT_FIELDS:
        if name in given:
            values[name] = model_or_none(getattr(params, name))
    if "metadata" in given:
        values["metadata"] = merge_metadata((current or {}).get("metadata"), params.metadata)
    return values


def create_customer(ctx: Context, params: CustomerCreate) -> dict[str, Any]:
    """POST /v1/customers"""
    row: dict[str, Any] = {
        "id": ctx.new_id("cus"),
        "account_id": ctx.caller.account_id,
        "livemode": ctx.caller.livemode,
        "created": ctx.now_ms(),
        "metadata": {},
        "deleted": False,
        **dict.fromkeys(_TEXT_FIELDS + _OBJECT_FIELDS),
    }
    row.update(_changes(params, None))
    ctx.uow.customers.insert(row)
    ctx.emit("customer.created", render_customer(row))
    return row


def retrieve_customer(ctx: Context, customer_id: str) -> dict[str, Any]:
    """GET /v1/customers/{id} (a deleted customer renders as {id, object, deleted: true})."""
    return load(ctx, "customers", "customer", customer_id)


def live_customer(ctx: Context, customer_id: str, *, param: str = "customer",
                  for_update: bool = False) -> dict[str, Any]:
    """A customer that exists and is not deleted (for attaching, charging, …); `for_update` locks the row
    (PostgreSQL) so concurrent read-modify-writes of it queue instead of losing an update."""
    row = load(ctx, "customers", "customer", customer_id, param=param, for_update=for_update)
    if row["deleted"]:
        raise ResourceMissing("customer", customer_id, param=param)
    return row


def update_customer(ctx: Context, customer_id: str, params: CustomerUpdate) -> dict[str, Any]:
    """POST /v1/customers/{id}"""
    row = live_customer(ctx, customer_id, param="id", for_update=True)
    values = _changes(params, row)
    before = render_customer(row)
    row.update(values)
    after = render_customer(row)
    if before != after:
        ctx.uow.customers.update(customer_id, values)
        ctx.emit("customer.updated", after, previous_attributes(before, after))
    return row


def delete_customer(ctx: Context, customer_id: str) -> dict[str, Any]:
    """DELETE /v1/customers/{id}: the customer's payment methods are detached too."""
    row = live_customer(ctx, customer_id, param="id", for_update=True)
    snapshot = render_customer(row)
    payment_methods.detach_all_for_customer(ctx, customer_id)
    ctx.uow.customers.update(customer_id, {"deleted": True})
    ctx.emit("customer.deleted", snapshot)
    row["deleted"] = True
    return row


def list_customers(ctx: Context, params: CustomerList) -> tuple[list[dict[str, Any]], bool]:
    """GET /v1/customers"""
    return page(ctx, "customers", "customer", params, deleted=False, email=params.email,
                **created_filters(params.created))
