"""Products and Prices (Stripe's catalogue, one-time prices only): the aggregates and their rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from paykeep.domain.entity import Entity
from paykeep.domain.errors import InvalidRequest, ParameterInvalid, ParameterMissing
from paykeep.domain.money import MAX_AMOUNT

MAX_LOOKUP_KEY = 200  # Stripe's limit
MAX_IMAGES = 8  # Stripe's limit
MAX_NAME = 5000
PRODUCT_TYPES = ("good", "service")
TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")


@dataclass(frozen=True, slots=True)
class Product(Entity):
    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    name: str
    updated: int  # Unix ms
    metadata: dict[str, str] = field(default_factory=dict)
    active: bool = True
    description: str | None = None
    images: list[str] = field(default_factory=list)
    url: str | None = None
    shippable: bool | None = None
    statement_descriptor: str | None = None
    unit_label: str | None = None
    type: str = "service"
    package_dimensions: dict[str, Any] | None = None
    marketing_features: list[dict[str, Any]] = field(default_factory=list)
    default_price: str | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Price(Entity):
    """A one-time, per-unit price of a product in one currency (stored upper-case)."""

    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    product: str
    currency: str
    unit_amount: int
    metadata: dict[str, str] = field(default_factory=dict)
    active: bool = True
    nickname: str | None = None
    lookup_key: str | None = None
    tax_behavior: str | None = None


def check_product_name(name: str | None, *, param: str = "name") -> str:
    text = (name or "").strip()
    if not text:
        raise ParameterInvalid(param, "A product needs a name: customers see it on the Checkout page.",
                               code="parameter_invalid_empty")
    return name or ""


def check_images(images: list[str] | None) -> list[str]:
    values = list(images or [])
    if len(values) > MAX_IMAGES:
        raise ParameterInvalid("images", f"Invalid images: at most {MAX_IMAGES} URLs.")
    return values


def unit_amount_of(unit_amount: int | None, unit_amount_decimal: str | None, *,
                   prefix: str = "") -> int:
    """The price per unit in minor units, from `unit_amount` or a whole `unit_amount_decimal` (paykeep charges
    whole minor units only); exactly one of the two is needed."""
    if unit_amount is not None and unit_amount_decimal is not None:
        raise InvalidRequest("You may only specify one of these parameters: unit_amount, "
                             "unit_amount_decimal.", param=f"{prefix}unit_amount_decimal")
    if unit_amount is None and unit_amount_decimal is None:
        raise ParameterMissing(f"{prefix}unit_amount", f"Missing required param: {prefix}unit_amount (a "
                               "one-time price's amount per unit, in the currency's smallest unit; 0: free).")
    if unit_amount is None:
        param = f"{prefix}unit_amount_decimal"
        try:
            value = Decimal(str(unit_amount_decimal))
        except InvalidOperation:
            raise ParameterInvalid(param, f"Invalid {param}: must be a decimal number.") from None
        if not value.is_finite() or value != value.to_integral_value():
            raise ParameterInvalid(param, f"Invalid {param}: paykeep charges whole minor units only "
                                   "(use a whole number of cents).")
        unit_amount = int(value)
    param = f"{prefix}unit_amount"
    if unit_amount < 0:
        raise ParameterInvalid(param, f"Invalid {param}: must be 0 or more.",
                               code="parameter_invalid_integer")
    if unit_amount > MAX_AMOUNT:
        raise ParameterInvalid(param, f"Invalid {param}: must be at most {MAX_AMOUNT}.",
                               code="amount_too_large")
    return unit_amount


def check_lookup_key(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > MAX_LOOKUP_KEY:
        raise ParameterInvalid("lookup_key", f"Invalid lookup_key: at most {MAX_LOOKUP_KEY} characters.")
    return value


def check_choice(value: str | None, choices: tuple[str, ...], param: str) -> str | None:
    if value is None:
        return None
    if value not in choices:
        raise ParameterInvalid(param, f"Invalid {param}: must be one of {', '.join(choices)}.")
    return value
