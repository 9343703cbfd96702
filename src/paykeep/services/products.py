"""Products: POST/GET /v1/products, GET/POST/DELETE /v1/products/{id} (Stripe's catalogue)."""

from __future__ import annotations

from typing import Any

from paykeep.domain.errors import InvalidRequest, ResourceMissing
from paykeep.domain.metadata import merge_metadata
from paykeep.domain.money import normalise_currency
from paykeep.domain.products import (
    PRODUCT_TYPES,
    TAX_BEHAVIORS,
    Price,
    Product,
    check_choice,
    check_images,
    check_lookup_key,
    check_product_name,
    unit_amount_of,
)
from paykeep.services.common import blank_to_none, load, model_or_none, page
from paykeep.services.events import previous_attributes
from paykeep.services.ports import Context
from paykeep.wire.params import created_filters
from paykeep.wire.prices import PriceCreate, render_price
from paykeep.wire.products import ProductCreate, ProductList, ProductUpdate, render_product

_TEXT_FIELDS = ("description", "statement_descriptor", "unit_label", "url")


def _changes(params: ProductCreate | ProductUpdate, current: Product | None) -> dict[str, Any]:
    given = params.given()
    values: dict[str, Any] = {}
    if "name" in given:
        values["name"] = check_product_name(params.name)
    for name in _TEXT_FIELDS:
        if name in given:
            values[name] = blank_to_none(getattr(params, name))
    for name in ("active", "shippable"):
        if name in given and getattr(params, name) is not None:
            values[name] = getattr(params, name)
    if "images" in given:
        values["images"] = check_images(params.images or None)
    if "marketing_features" in given:
        values["marketing_features"] = [f.model_dump() for f in params.marketing_features or []]
    if "package_dimensions" in given:
        values["package_dimensions"] = model_or_none(params.package_dimensions)
    if "metadata" in given:
        values["metadata"] = merge_metadata(current.metadata if current else None, params.metadata)
    return values


def create_product(ctx: Context, params: ProductCreate) -> Product:
    """POST /v1/products (`default_price_data`: its one-time default price, made with it)"""
    now = ctx.now_ms()
    kind = check_choice(params.type, PRODUCT_TYPES, "type") or "service"
    price_id = ctx.new_id("price") if params.default_price_data is not None else None
    fields = {"name": check_product_name(params.name), **_changes(params, None)}
    product = Product(id=ctx.new_id("prod"), account_id=ctx.caller.account_id, livemode=ctx.caller.livemode,
                      created=now, updated=now, type=kind, default_price=price_id, **fields)
    ctx.uow.products.add(product)
    ctx.emit("product.created", render_product(product), row=product)
    if params.default_price_data is not None and price_id is not None:
        data = params.default_price_data.model_dump(exclude_unset=True)
        add_price(ctx, PriceCreate.model_validate(data), product, price_id=price_id,
                         param_prefix="default_price_data")
    return product


def add_price(ctx: Context, params: PriceCreate, product: Product, *, price_id: str | None = None,
              param_prefix: str = "") -> Price:
    """A new one-time price of `product` (price.created); POST /v1/prices and `default_price_data`."""
    prefix = f"{param_prefix}[" if param_prefix else ""
    suffix = "]" if param_prefix else ""

    def name(param: str) -> str:
        return f"{prefix}{param}{suffix}"

    lookup_key = check_lookup_key(params.lookup_key)
    if lookup_key is not None:
        take_lookup_key(ctx, lookup_key, transfer=bool(params.transfer_lookup_key))
    price = Price(id=price_id or ctx.new_id("price"), account_id=ctx.caller.account_id,
                  livemode=ctx.caller.livemode, created=ctx.now_ms(), product=product.id,
                  currency=normalise_currency(params.currency, param=name("currency")),
                  unit_amount=_unit_amount(params, name),
                  metadata=merge_metadata(None, params.metadata),
                  active=params.active if params.active is not None else True,
                  nickname=blank_to_none(params.nickname), lookup_key=lookup_key,
                  tax_behavior=check_choice(blank_to_none(params.tax_behavior), TAX_BEHAVIORS,
                                            name("tax_behavior")))
    ctx.uow.prices.add(price)
    ctx.emit("price.created", render_price(price), row=price)
    return price


def _unit_amount(params: PriceCreate, name: Any) -> int:
    try:
        return unit_amount_of(params.unit_amount, params.unit_amount_decimal)
    except InvalidRequest as err:  # the parameter's name where it was given (default_price_data[...])
        err.param = name(err.param) if err.param else err.param
        raise


def take_lookup_key(ctx: Context, lookup_key: str, *, transfer: bool, keep: str | None = None) -> None:
    """`lookup_key` is free in the account (or, with `transfer_lookup_key`, taken from the price that has it:
    price.updated for that price); else a 400 naming the price that has it."""
    for holder in ctx.uow.prices.find(ctx.scope, lookup_key=lookup_key):
        if holder.id == keep:
            continue
        if not transfer:
            raise InvalidRequest(f"A price ({holder.id}) already uses the lookup key `{lookup_key}`. Pass "
                                 "transfer_lookup_key=true to move it to this price.", param="lookup_key")
        moved = holder.with_(lookup_key=None)
        ctx.uow.prices.save(moved)
        ctx.emit("price.updated", render_price(moved), {"lookup_key": lookup_key}, row=moved)


def retrieve_product(ctx: Context, product_id: str) -> Product:
    """GET /v1/products/{id} (a deleted product is gone: 404, as on Stripe)"""
    return live_product(ctx, product_id)


def live_product(ctx: Context, product_id: str, *, param: str = "id", for_update: bool = False) -> Product:
    product = load(ctx, ctx.uow.products, "product", product_id, param=param, for_update=for_update)
    if product.deleted:
        raise ResourceMissing("product", product_id, param=param)
    return product


def update_product(ctx: Context, product_id: str, params: ProductUpdate) -> Product:
    """POST /v1/products/{id}: product.updated with previous_attributes when anything changed."""
    product = live_product(ctx, product_id, for_update=True)
    changes = _changes(params, product)
    if params.default_price:
        changes["default_price"] = _own_active_price(ctx, product, params.default_price)
    changed = product.with_(**changes)
    before, after = render_product(product), render_product(changed)
    if before == after:
        return product
    changed = changed.with_(updated=max(ctx.now_ms(), product.updated))
    ctx.uow.products.save(changed)
    ctx.emit("product.updated", render_product(changed), previous_attributes(before, after), row=changed)
    return changed


def _own_active_price(ctx: Context, product: Product, price_id: str) -> str:
    price = load(ctx, ctx.uow.prices, "price", price_id, param="default_price")
    if price.product != product.id:
        raise InvalidRequest(f"The price {price_id} belongs to another product: a product's default_price "
                             "must be one of its own prices.", param="default_price")
    if not price.active:
        raise InvalidRequest(f"The price {price_id} is inactive: a product's default_price must be active.",
                             param="default_price")
    return price.id


def delete_product(ctx: Context, product_id: str) -> Product:
    """DELETE /v1/products/{id}: only a product without prices (archive one with prices: active=false)."""
    product = live_product(ctx, product_id, for_update=True)
    if ctx.uow.prices.count(ctx.scope, product=product.id):
        raise InvalidRequest("This product cannot be deleted because it has one or more user-created prices. "
                             "Archive it instead (active=false).", code="resource_in_use")
    snapshot = render_product(product)
    deleted = product.with_(deleted=True, updated=max(ctx.now_ms(), product.updated))
    ctx.uow.products.save(deleted)
    ctx.emit("product.deleted", snapshot, row=deleted)
    return deleted


def list_products(ctx: Context, params: ProductList) -> tuple[list[Product], bool]:
    """GET /v1/products (active, created, ids, shippable, type, url), newest first."""
    return page(ctx, ctx.uow.products, "product", params, deleted=False, active=params.active,
                shippable=params.shippable, type=blank_to_none(params.type), url=blank_to_none(params.url),
                id__in=params.ids or None, **created_filters(params.created))
