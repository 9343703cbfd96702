"""Customers: search by email, and a customer's page with its saved cards and events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from paykeep.domain.customers import Customer
from paykeep.domain.events import Event
from paykeep.services import customers, dashboard_overview
from paykeep.services.ports import Context
from paykeep.web.pages.dashboard.base import PAGE_SIZE, DashboardRoute, Page
from paykeep.wire.customers import render_customer

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)


@router.get("/customers")
def customer_list(dash: Page) -> Response:
    email = dash.query("email").strip()
    if email.startswith("cus_") and "@" not in email:
        return dash.redirect("/dashboard/customers/" + email)
    rows, has_more = dash.read(lambda ctx: dashboard_overview.search_customers(
        ctx, email, limit=PAGE_SIZE, starting_after=dash.query("starting_after") or None,
        ending_before=dash.query("ending_before") or None))
    return dash.page("customers.html", section="customers", email=email,
                     customers=[render_customer(r) for r in rows],
                     pages=dash.page_links(rows, has_more, email=email))


def saved_cards(ctx: Context, customer_id: str) -> list[dict[str, Any]] | None:
    """The customer's card PaymentMethods as the API renders them (None without the save-card slice)."""
    try:
        from paykeep.services import payment_methods
        from paykeep.wire import payment_methods as wire_pm
    except ImportError:
        return None
    lister = getattr(payment_methods, "list_customer_payment_methods", None)
    params_model = getattr(wire_pm, "CustomerPaymentMethodList", None)
    render = getattr(wire_pm, "render_payment_method", None)
    if lister is None or params_model is None or render is None:
        return None
    rows, _ = lister(ctx, customer_id, params_model(type="card", limit=100))
    return [render(r) for r in rows]


@router.get("/customers/{customer_id}")
def customer_detail(customer_id: str, dash: Page) -> Response:
    def load(ctx: Context) -> tuple[Customer, list[dict[str, Any]] | None, list[Event]]:
        row = customers.retrieve_customer(ctx, customer_id)
        cards = None if row.deleted else saved_cards(ctx, customer_id)
        card_ids = [c["id"] for c in cards or []]
        return row, cards, dashboard_overview.object_timeline(ctx, customer_id, *card_ids)

    row, cards, timeline = dash.read(load)
    return dash.page("customer.html", section="customers", customer=render_customer(row),
                     deleted=row.deleted, cards=cards, timeline=timeline)
