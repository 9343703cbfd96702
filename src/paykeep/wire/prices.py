"""Price: request parameters and the JSON object (Stripe's `price`, one-time prices only)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from paykeep.domain.products import MAX_LOOKUP_KEY, Price
from paykeep.wire.params import CreatedFilter, ExpandParams, ListParams, Metadata, Params, refuse_chosen_id


class ProductData(Params):
    """`product_data`: a new product for the price (as POST /v1/products, its common fields)."""

    id: str | None = None  # refused: paykeep makes the ids
    _no_chosen_id = field_validator("id")(refuse_chosen_id)

    name: str = Field(max_length=5000)
    active: bool | None = None
    metadata: Metadata | None = None
    statement_descriptor: str | None = Field(None, max_length=22)
    unit_label: str | None = Field(None, max_length=12)


class _PriceFields(ExpandParams):
    active: bool | None = None
    lookup_key: str | None = Field(None, max_length=MAX_LOOKUP_KEY)
    metadata: Metadata | None = None
    nickname: str | None = Field(None, max_length=5000)
    tax_behavior: str | None = None
    transfer_lookup_key: bool | None = None


class PriceCreate(_PriceFields):
    """POST /v1/prices"""

    currency: str = Field(max_length=10)
    billing_scheme: Literal["per_unit"] | None = None  # `tiered` is refused with a clear 400
    product: str | None = Field(None, max_length=40)
    product_data: ProductData | None = None
    unit_amount: int | None = None
    unit_amount_decimal: str | None = Field(None, max_length=40)


class PriceUpdate(_PriceFields):
    """POST /v1/prices/{id}"""


class PriceList(ListParams):
    active: bool | None = None
    created: CreatedFilter | int | None = None
    currency: str | None = Field(None, max_length=10)
    lookup_keys: list[str] | None = None
    product: str | None = Field(None, max_length=40)
    type: Literal["one_time", "recurring"] | None = None


class PriceRetrieve(ExpandParams):
    pass


def render_price(price: Price) -> dict[str, Any]:
    return {
        "id": price.id,
        "object": "price",
        "active": price.active,
        "billing_scheme": "per_unit",
        "created": price.created,
        "currency": price.currency,
        "custom_unit_amount": None,
        "livemode": price.livemode,
        "lookup_key": price.lookup_key,
        "metadata": price.metadata or {},
        "nickname": price.nickname,
        "product": price.product,
        "recurring": None,
        "tax_behavior": price.tax_behavior or "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time",
        "unit_amount": price.unit_amount,
        "unit_amount_decimal": str(price.unit_amount),
    }
