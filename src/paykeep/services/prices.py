"""Prices: POST/GET /v1/prices, GET/POST /v1/prices/{id} (one-time prices of a product)."""

from __future__ import annotations

from typing import Any

from paykeep.domain.errors import InvalidRequest, ParameterMissing
from paykeep.domain.metadata import merge_metadata
from paykeep.domain.money import normalise_currency
from paykeep.domain.products import TAX_BEHAVIORS, Price, check_choice, check_lookup_key
from paykeep.services import products
from paykeep.services.common import blank_to_none, load, page
from paykeep.services.events import previous_attributes
from paykeep.services.ports import Context
from paykeep.wire.params import created_filters
from paykeep.wire.prices import PriceCreate, PriceList, PriceUpdate, render_price
from paykeep.wire.products import ProductCreate


def create_price(ctx: Context, params: PriceCreate) -> Price:
    """POST /v1/prices: of `product`, or of a new product made from `product_data` (product.created first)."""
    if params.product and params.product_data is not None:
        raise InvalidRequest("You may only specify one of these parameters: product, product_data.",
                             param="product_data")
    if params.product:
        product = products.live_product(ctx, params.product, param="product")
    elif params.product_data is not None:
        data = params.product_data.model_dump(exclude_unset=True)
        product = products.create_product(ctx, ProductCreate.model_validate(data))
    else:
        raise ParameterMissing("product", "Missing required param: product (or product_data, to make the "
                                          "price's product with it).")
    return products.add_price(ctx, params, product)


def retrieve_price(ctx: Context, price_id: str) -> Price:
    """GET /v1/prices/{id}"""
    return load(ctx, ctx.uow.prices, "price", price_id)


def update_price(ctx: Context, price_id: str, params: PriceUpdate) -> Price:
    """POST /v1/prices/{id}: price.updated with previous_attributes when anything changed."""
    price = load(ctx, ctx.uow.prices, "price", price_id, for_update=True)
    changed = price.with_(**_changes(ctx, price, params))
    before, after = render_price(price), render_price(changed)
    if before == after:
        return price
    ctx.uow.prices.save(changed)
    ctx.emit("price.updated", after, previous_attributes(before, after), row=changed)
    return changed


def _changes(ctx: Context, price: Price, params: PriceUpdate) -> dict[str, Any]:
    given = params.given()
    values: dict[str, Any] = {}
    if "active" in given and params.active is not None:
        values["active"] = params.active
    if "nickname" in given:
        values["nickname"] = blank_to_none(params.nickname)
    if "metadata" in given:
        values["metadata"] = merge_metadata(price.metadata, params.metadata)
    if "tax_behavior" in given and params.tax_behavior:
        behavior = check_choice(params.tax_behavior, TAX_BEHAVIORS, "tax_behavior")
        if price.tax_behavior in ("inclusive", "exclusive") and behavior != price.tax_behavior:
            raise InvalidRequest("A price's tax_behavior cannot be changed once it is inclusive or "
                                 "exclusive.", param="tax_behavior")
        values["tax_behavior"] = behavior
    if "lookup_key" in given:
        lookup_key = check_lookup_key(params.lookup_key)
        if lookup_key is not None and lookup_key != price.lookup_key:
            products.take_lookup_key(ctx, lookup_key, transfer=bool(params.transfer_lookup_key),
                                     keep=price.id)
        values["lookup_key"] = lookup_key
    return values


def list_prices(ctx: Context, params: PriceList) -> tuple[list[Price], bool]:
    """GET /v1/prices (active, created, currency, lookup_keys, product, type), newest first."""
    if params.type == "recurring":  # paykeep has none
        return [], False
    currency = normalise_currency(params.currency) if params.currency else None
    return page(ctx, ctx.uow.prices, "price", params, active=params.active, currency=currency,
                product=blank_to_none(params.product), lookup_key__in=params.lookup_keys or None,
                **created_filters(params.created))
