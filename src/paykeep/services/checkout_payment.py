"""Checkout Sessions in payment mode: the line items and their totals, the session's PaymentIntent, GET
/v1/checkout/sessions/{id}/line_items, and completion when the PaymentIntent is paid (or authorized).

The session owns its PaymentIntent from the start (payment_intent.created fires with the session), made with
`payment_intent_data` and the session's hosted page as its return_url, so that a 3-D Secure challenge comes
back to the page; the hosted page confirms it with the card (services/checkout_page.py)."""

from __future__ import annotations

from typing import Any

from paykeep.domain import checkout_sessions as rules
from paykeep.domain.checkout_sessions import CheckoutSession
from paykeep.domain.errors import InvalidRequest, ParameterInvalid, ParameterMissing, ResourceMissing
from paykeep.domain.metadata import merge_metadata
from paykeep.domain.money import check_charge_amount, normalise_currency
from paykeep.domain.products import Price, Product
from paykeep.services import payment_intents, products
from paykeep.services.common import load
from paykeep.services.ports import Context, Declined
from paykeep.wire.checkout_sessions import CheckoutSessionCreate, CheckoutSessionLineItems, LineItem
from paykeep.wire.payment_intents import PaymentIntentCreate
from paykeep.wire.prices import PriceCreate, render_price
from paykeep.wire.products import ProductCreate

MAX_LINE_ITEMS = 100
_PAID_STATUSES = {"succeeded": "paid", "requires_capture": "unpaid"}  # Stripe: an authorization is unpaid
_INTENT_FIELDS = ("capture_method", "setup_future_usage", "description", "receipt_email",
                  "statement_descriptor", "statement_descriptor_suffix")


def check_payment_params(params: CheckoutSessionCreate, mode: str) -> None:
    """Parameters that belong to one mode only (Stripe's 400s)."""
    if mode == "payment":
        if not params.line_items:
            raise ParameterMissing("line_items", "Missing required param: line_items (mode=payment sells the "
                                                 "items it lists, each a price and a quantity).")
        if params.submit_type is not None and params.submit_type not in rules.SUBMIT_TYPES:
            raise ParameterInvalid("submit_type", f"Invalid submit_type: must be one of "
                                                  f"{', '.join(rules.SUBMIT_TYPES)}.")
        return
    for name in ("line_items", "payment_intent_data", "submit_type"):
        if getattr(params, name) is not None:
            raise InvalidRequest(f"`{name}` can only be used in payment mode (mode=payment).", param=name)


def needs_customer(params: CheckoutSessionCreate) -> bool:
    """Payment mode makes a customer only when asked (customer_creation=always) or when the card is saved."""
    data = params.payment_intent_data
    return params.customer_creation == "always" or bool(data and data.setup_future_usage)


# -- line items -----------------------------------------------------------------------------------------
def build_line_items(ctx: Context, items: list[LineItem]) -> tuple[list[dict[str, Any]], str]:
    """Each line with its price as it is now, and the one currency they share (400s name the line)."""
    if len(items) > MAX_LINE_ITEMS:
        raise ParameterInvalid("line_items", f"Invalid line_items: at most {MAX_LINE_ITEMS} items.")
    lines: list[dict[str, Any]] = []
    currency: str | None = None
    for index, item in enumerate(items):
        at = f"line_items[{index}]"
        price, product = _price_of(ctx, item, at)
        quantity = rules.check_quantity(item.quantity, f"{at}[quantity]")
        if currency is not None and price.currency != currency:
            where = f"{at}[price]" if item.price else f"{at}[price_data][currency]"
            raise InvalidRequest(f"All line items must use the same currency: {at} is in {price.currency}, "
                                 f"the first item in {currency}.", param=where)
        currency = price.currency
        line = rules.line_item(ctx.new_id("li"), render_price(price), quantity, product.name)
        if item.metadata:
            line["metadata"] = merge_metadata(None, item.metadata)
        lines.append(line)
    assert currency is not None  # at least one line (check_payment_params)
    total = rules.total_of(lines)
    try:
        check_charge_amount(total, currency, param="line_items")
    except ParameterInvalid as err:
        raise ParameterInvalid("line_items", f"The line items total {total} ({currency}): {err.message}",
                               code=err.code) from None
    return lines, currency


def _price_of(ctx: Context, item: LineItem, at: str) -> tuple[Price, Product]:
    if item.price and item.price_data is not None:
        raise InvalidRequest(f"You may only specify one of these parameters: {at}[price], {at}[price_data].",
                             param=f"{at}[price_data]")
    if item.price:
        price = ctx.uow.prices.get(ctx.scope, item.price)
        if price is None:  # Stripe: a 400 naming the line, not a 404
            raise InvalidRequest(f"No such price: '{item.price}'", code="resource_missing",
                                 param=f"{at}[price]")
        if not price.active:
            raise InvalidRequest(f"The price {item.price} is not active: archived prices cannot be sold. "
                                 "Use an active price.", param=f"{at}[price]")
        product = ctx.uow.products.get(ctx.scope, price.product)
        if product is None or product.deleted or not product.active:
            raise InvalidRequest(f"The product of price {item.price} is not active.", param=f"{at}[price]")
        return price, product
    if item.price_data is None:
        raise ParameterMissing(f"{at}[price]", f"Missing required param: {at}[price] (or {at}[price_data]).")
    return _inline_price(ctx, item, f"{at}[price_data]")


def _inline_price(ctx: Context, item: LineItem, at: str) -> tuple[Price, Product]:
    data = item.price_data
    assert data is not None
    normalise_currency(data.currency, param=f"{at}[currency]")
    if data.product and data.product_data is not None:
        raise InvalidRequest(f"You may only specify one of these parameters: {at}[product], "
                             f"{at}[product_data].", param=f"{at}[product_data]")
    if data.product:
        try:
            product = products.live_product(ctx, data.product, param=f"{at}[product]")
        except ResourceMissing as err:
            raise InvalidRequest(err.message, code="resource_missing", param=f"{at}[product]") from None
    elif data.product_data is not None:
        product = products.create_product(ctx, ProductCreate.model_validate(
            data.product_data.model_dump(exclude_unset=True)))
    else:
        raise ParameterMissing(f"{at}[product]", f"Missing required param: {at}[product] (or "
                                                 f"{at}[product_data]).")
    fields = data.model_dump(exclude_unset=True, include={"currency", "unit_amount", "unit_amount_decimal",
                                                           "tax_behavior"})
    price = products.add_price(ctx, PriceCreate.model_validate({**fields, "active": False}), product,
                               param_prefix=at)
    return price, product


# -- the PaymentIntent ----------------------------------------------------------------------------------
def create_intent(ctx: Context, params: CheckoutSessionCreate, *, amount: int, currency: str,
                  customer: str | None, return_url: str, metadata: dict[str, str]) -> str:
    """The session's PaymentIntent (payment_intent.created), not confirmed: the hosted page confirms it."""
    data = params.payment_intent_data
    given = data.model_dump(exclude_unset=True, include=set(_INTENT_FIELDS) | {"shipping"}) if data else {}
    intent_metadata = (data.metadata if data and data.metadata is not None else metadata) or None
    intent = payment_intents.create_payment_intent(ctx, PaymentIntentCreate.model_validate({
        "amount": amount, "currency": currency, "customer": customer, "payment_method_types": ["card"],
        "return_url": return_url, "metadata": intent_metadata, **given}))
    assert not isinstance(intent, Declined)  # not confirmed: never Declined
    return str(intent["id"])


def list_line_items(ctx: Context, session_id: str,
                    params: CheckoutSessionLineItems) -> tuple[list[dict[str, Any]], bool]:
    """GET /v1/checkout/sessions/{id}/line_items (in the order given; a setup-mode session has none)."""
    session = load(ctx, ctx.uow.checkout_sessions, "checkout session", session_id)
    items = list(session.line_items or [])
    ids = [item["id"] for item in items]
    for cursor in ("starting_after", "ending_before"):
        value = getattr(params, cursor)
        if value is not None and value not in ids:
            raise ResourceMissing("line item", value, param=cursor)
    if params.starting_after is not None:
        items = items[ids.index(params.starting_after) + 1:]
    elif params.ending_before is not None:
        before = items[:ids.index(params.ending_before)]
        return before[-params.limit:], len(before) > params.limit
    return items[:params.limit], len(items) > params.limit


# -- completion -----------------------------------------------------------------------------------------
def payment_status_of(intent: Any) -> str | None:
    """`paid` for a succeeded PaymentIntent, `unpaid` for an authorization to capture, else None (open)."""
    return _PAID_STATUSES.get(str(intent.get("status")))


def intent_of(ctx: Context, session: CheckoutSession) -> Any:
    """The session's intent (SetupIntent in setup mode, PaymentIntent in payment mode), or None."""
    if session.mode == "payment":
        return (ctx.uow.payment_intents.get(ctx.scope, session.payment_intent)
                if session.payment_intent else None)
    return ctx.uow.setup_intents.get(ctx.scope, session.setup_intent) if session.setup_intent else None
