"""One page each for the objects that have no list of their own: PaymentMethods (pm_), charges (ch_),
refunds (re_), Checkout Sessions (cs_), products (prod_) and prices (price_), at /dashboard/objects/{id}.
The facts the API renders, links to related objects, the object's event timeline and the object as the API
returns it. Each is read through
its slice's own retrieve (or load) and render functions, so it shows exactly what the API would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Response

from paykeep.domain.events import Event
from paykeep.services import dashboard_overview
from paykeep.services.common import load
from paykeep.services.ports import Context
from paykeep.web.pages.dashboard.base import DashboardRoute, Page, PageMissing

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)

# A fact: (label, how to show it, field). How: id (a link), money (with the object's currency), when, card,
# status, text.
Fact = tuple[str, str, str]


@dataclass(frozen=True)
class ObjectKind:
    label: str
    read: Callable[[Context, str], dict[str, Any]]  # the API's view of the object
    facts: tuple[Fact, ...]


def _payment_method(ctx: Context, object_id: str) -> dict[str, Any]:
    from paykeep.services.payment_methods import retrieve_payment_method
    from paykeep.wire.payment_methods import render_payment_method

    return render_payment_method(retrieve_payment_method(ctx, object_id))


def _charge(ctx: Context, object_id: str) -> dict[str, Any]:
    from paykeep.wire.charges import render_charge

    return render_charge(load(ctx, ctx.uow.charges, "charge", object_id))


def _refund(ctx: Context, object_id: str) -> dict[str, Any]:
    from paykeep.services.refunds import retrieve_refund
    from paykeep.wire.refunds import render_refund

    return render_refund(retrieve_refund(ctx, object_id))


def _checkout_session(ctx: Context, object_id: str) -> dict[str, Any]:
    from paykeep.services.checkout_sessions import render, retrieve_checkout_session

    return render(ctx.deps, retrieve_checkout_session(ctx, object_id))


def _product(ctx: Context, object_id: str) -> dict[str, Any]:
    from paykeep.services.products import retrieve_product
    from paykeep.wire.products import render_product

    return render_product(retrieve_product(ctx, object_id))


def _price(ctx: Context, object_id: str) -> dict[str, Any]:
    from paykeep.services.prices import retrieve_price
    from paykeep.wire.prices import render_price

    return render_price(retrieve_price(ctx, object_id))


KINDS: dict[str, ObjectKind] = {
    "pm": ObjectKind("PaymentMethod", _payment_method, (
        ("Card", "card", "card"), ("Customer", "id", "customer"), ("Type", "text", "type"),
        ("Created", "when", "created"))),
    "ch": ObjectKind("Charge", _charge, (
        ("Amount", "money", "amount"), ("Captured", "money", "amount_captured"),
        ("Refunded", "money", "amount_refunded"), ("Status", "status", "status"),
        ("PaymentIntent", "id", "payment_intent"), ("Payment method", "id", "payment_method"),
        ("Customer", "id", "customer"), ("Created", "when", "created"))),
    "re": ObjectKind("Refund", _refund, (
        ("Amount", "money", "amount"), ("Status", "status", "status"), ("Reason", "text", "reason"),
        ("Charge", "id", "charge"), ("PaymentIntent", "id", "payment_intent"),
        ("Created", "when", "created"))),
    "cs": ObjectKind("Checkout Session", _checkout_session, (
        ("Mode", "text", "mode"), ("Status", "status", "status"), ("Customer", "id", "customer"),
        ("SetupIntent", "id", "setup_intent"), ("PaymentIntent", "id", "payment_intent"),
        ("Success URL", "text", "success_url"), ("Expires", "when", "expires_at"),
        ("Amount", "money", "amount_total"), ("Payment", "status", "payment_status"),
        ("Created", "when", "created"))),
    "prod": ObjectKind("Product", _product, (
        ("Name", "text", "name"), ("Active", "text", "active"), ("Default price", "id", "default_price"),
        ("Updated", "when", "updated"), ("Created", "when", "created"))),
    "price": ObjectKind("Price", _price, (
        ("Unit amount", "money", "unit_amount"), ("Product", "id", "product"), ("Active", "text", "active"),
        ("Lookup key", "text", "lookup_key"), ("Created", "when", "created"))),
}


@router.get("/objects/{object_id}")
def object_detail(object_id: str, dash: Page) -> Response:
    kind = KINDS.get(object_id.split("_", 1)[0]) if "_" in object_id else None
    if kind is None:
        raise PageMissing(object_id)

    def read(ctx: Context) -> tuple[dict[str, Any], list[Event]]:
        return kind.read(ctx, object_id), dashboard_overview.object_timeline(ctx, object_id)

    obj, timeline = dash.read(read)
    return dash.page("object.html", kind=kind, obj=obj, timeline=timeline)
