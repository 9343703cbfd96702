"""Product: request parameters and the JSON object (Stripe's `product`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from paykeep.domain.products import Product
from paykeep.wire.params import (
    CreatedFilter,
    ExpandParams,
    ListParams,
    Metadata,
    Params,
    Unset,
    refuse_chosen_id,
)


class PackageDimensions(Params):
    height: float
    length: float
    weight: float
    width: float


class MarketingFeature(Params):
    name: str = Field(max_length=80)


class DefaultPriceData(Params):
    """`default_price_data`: a one-time price made with the product (its `default_price`)."""

    currency: str = Field(max_length=10)
    unit_amount: int | None = None
    unit_amount_decimal: str | None = Field(None, max_length=40)
    metadata: Metadata | None = None
    tax_behavior: str | None = None


class _ProductFields(ExpandParams):
    active: bool | None = None
    description: str | None = Field(None, max_length=40000)
    metadata: Metadata | None = None
    shippable: bool | None = None
    statement_descriptor: str | None = Field(None, max_length=22)
    unit_label: str | None = Field(None, max_length=12)


class ProductCreate(_ProductFields):
    """POST /v1/products"""

    id: str | None = None  # refused: paykeep makes the ids
    _no_chosen_id = field_validator("id")(refuse_chosen_id)

    name: str = Field(max_length=5000)
    default_price_data: DefaultPriceData | None = None
    images: list[str] | None = None
    marketing_features: list[MarketingFeature] | None = None
    package_dimensions: PackageDimensions | None = None
    type: str | None = None
    url: str | None = Field(None, max_length=5000)


class ProductUpdate(_ProductFields):
    """POST /v1/products/{id} (`""` unsets images, marketing_features, package_dimensions, url, …)"""

    name: str | None = Field(None, max_length=5000)
    default_price: str | None = Field(None, max_length=40)
    images: list[str] | Unset | None = None
    marketing_features: list[MarketingFeature] | Unset | None = None
    package_dimensions: PackageDimensions | Unset | None = None
    url: str | None = Field(None, max_length=5000)


class ProductList(ListParams):
    active: bool | None = None
    created: CreatedFilter | int | None = None
    ids: list[str] | None = None
    shippable: bool | None = None
    type: str | None = None
    url: str | None = None


class ProductRetrieve(ExpandParams):
    pass


class ProductDelete(Params):
    pass


def render_product(product: Product) -> dict[str, Any]:
    if product.deleted:
        return {"id": product.id, "object": "product", "deleted": True}
    return {
        "id": product.id,
        "object": "product",
        "active": product.active,
        "created": product.created,
        "default_price": product.default_price,
        "description": product.description,
        "images": list(product.images or []),
        "livemode": product.livemode,
        "marketing_features": [dict(f) for f in product.marketing_features or []],
        "metadata": product.metadata or {},
        "name": product.name,
        "package_dimensions": product.package_dimensions,
        "shippable": product.shippable,
        "statement_descriptor": product.statement_descriptor,
        "tax_code": None,
        "type": product.type,
        "unit_label": product.unit_label,
        "updated": product.updated,
        "url": product.url,
    }

