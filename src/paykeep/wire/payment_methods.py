"""PaymentMethod: request parameters and the JSON object (the card shows brand and last4, not the number)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from paykeep.domain.payment_methods import PaymentMethod
from paykeep.wire.params import Address, ExpandParams, ListParams, Metadata, Params, Unset


class CardInput(Params):
    """Raw card details (PCI scope): checked when they arrive, the number kept only as vault ciphertext, the
    CVC only in memory. Numbers may arrive as strings (`"exp_month": "04"`), as in WooshPay's examples."""

    number: str | int
    exp_month: str | int
    exp_year: str | int
    cvc: str | int | None = None
    name: str | None = Field(None, max_length=256)  # WooshPay puts the cardholder name here


class BillingDetails(Params):
    address: Address | Unset | None = None
    email: str | None = Field(None, max_length=512)
    name: str | None = Field(None, max_length=256)
    phone: str | None = Field(None, max_length=64)


class PaymentMethodCreate(ExpandParams):
    type: Literal["card"]
    card: CardInput | None = None
    billing_details: BillingDetails | None = None
    metadata: Metadata | None = None


class CardUpdate(Params):
    exp_month: str | int | None = None
    exp_year: str | int | None = None


class PaymentMethodUpdate(ExpandParams):
    billing_details: BillingDetails | None = None
    card: CardUpdate | None = None
    metadata: Metadata | None = None


class PaymentMethodAttach(ExpandParams):
    customer: str = Field(max_length=40)


class PaymentMethodDetach(ExpandParams):
    pass


class PaymentMethodRetrieve(ExpandParams):
    pass


class PaymentMethodList(ListParams):
    customer: str | None = Field(None, max_length=40)
    type: str | None = Field(None, max_length=30)


class CustomerPaymentMethodList(ListParams):
    type: str | None = Field(None, max_length=30)


_EMPTY_ADDRESS = dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))


def render_billing_details(details: dict[str, Any] | None) -> dict[str, Any]:
    details = details or {}
    address = details.get("address")
    return {
        "address": {**_EMPTY_ADDRESS, **address} if isinstance(address, dict) else dict(_EMPTY_ADDRESS),
        "email": details.get("email"),
        "name": details.get("name"),
        "phone": details.get("phone"),
    }


def card_summary(pm: PaymentMethod) -> dict[str, Any]:
    """What may be shown of a card, wherever it is shown (a PaymentMethod, a charge's payment method
    details): never the number."""
    return {
        "brand": pm.card_brand,
        "country": pm.card_country,
        "exp_month": pm.card_exp_month,
        "exp_year": pm.card_exp_year,
        "fingerprint": pm.card_fingerprint,
        "funding": pm.card_funding,
        "last4": pm.card_last4,
    }


def card_checks(pm: PaymentMethod) -> dict[str, Any]:
    """The card's checks, on the PaymentMethod and on a charge's payment_method_details."""
    return {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": pm.card_cvc_check}


def render_payment_method(pm: PaymentMethod) -> dict[str, Any]:
    return {
        "id": pm.id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": render_billing_details(pm.billing_details),
        "card": dict(sorted({**card_summary(pm), "checks": card_checks(pm)}.items())),  # Stripe's key order
        "created": pm.created,
        "customer": pm.customer,
        "livemode": pm.livemode,
        "metadata": pm.metadata or {},
        "type": pm.type,
    }
