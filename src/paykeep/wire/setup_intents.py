"""SetupIntent: request parameters and the JSON object (API.md §3-§4, the seed's request and response)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from paykeep.domain.setup_intents import SetupIntent
from paykeep.wire.params import CreatedFilter, ExpandParams, ListParams, Metadata, Params
from paykeep.wire.payment_methods import BillingDetails, CardInput

ThreeDSecure = Literal["auto", "any", "automatic", "challenge"]  # WooshPay's, then Stripe's names
Usage = Literal["on_session", "off_session"]
_REFUSED_SCHEMES = ("javascript", "data", "vbscript", "file", "blob")


class PaymentMethodData(Params):
    type: Literal["card"]
    card: CardInput | None = None
    billing_details: BillingDetails | None = None
    metadata: Metadata | None = None


class CardOptions(Params):
    request_three_d_secure: ThreeDSecure | None = None


class PaymentMethodOptions(Params):
    card: CardOptions | None = None


def check_return_url(value: str | None) -> str | None:
    """An absolute URL (http(s), or an app's own scheme) the browser can be sent back to."""
    if value is None:
        return None
    scheme, sep, rest = value.partition(":")
    if (not sep or not scheme or not scheme[0].isalpha() or not rest.startswith("//") or len(rest) < 3
            or scheme.lower() in _REFUSED_SCHEMES or any(ch.isspace() for ch in value)):
        raise ValueError("must be an absolute URL, such as https://example.com/done")
    return value


class _Confirmable(ExpandParams):
    """What create (with confirm=true) and confirm share."""

    payment_method: str | None = Field(None, max_length=40)
    payment_method_data: PaymentMethodData | None = None
    payment_method_options: PaymentMethodOptions | None = None
    return_url: str | None = Field(None, max_length=2048)
    use_stripe_sdk: bool | None = None  # Stripe dialect: a challenge as next_action use_stripe_sdk
    usage: Usage | None = None

    @field_validator("return_url")
    @classmethod
    def _absolute_return_url(cls, value: str | None) -> str | None:
        return check_return_url(value)


class AutomaticPaymentMethods(Params):
    """Stripe's `automatic_payment_methods`: with paykeep (cards only) the methods are `card`."""

    enabled: bool
    allow_redirects: Literal["always", "never"] | None = None


def render_automatic_payment_methods(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    if stored is None:
        return None
    return {"allow_redirects": stored.get("allow_redirects"), "enabled": bool(stored.get("enabled"))}


class SetupIntentCreate(_Confirmable):
    automatic_payment_methods: AutomaticPaymentMethods | None = None
    confirm: bool = False
    customer: str | None = Field(None, max_length=40)
    description: str | None = Field(None, max_length=1000)
    metadata: Metadata | None = None
    payment_method_types: list[Literal["card"]] | None = None


class SetupIntentConfirm(_Confirmable):
    client_secret: str | None = Field(None, max_length=200)


class SetupIntentUpdate(ExpandParams):
    customer: str | None = Field(None, max_length=40)
    description: str | None = Field(None, max_length=1000)
    metadata: Metadata | None = None
    payment_method: str | None = Field(None, max_length=40)
    payment_method_data: PaymentMethodData | None = None
    payment_method_options: PaymentMethodOptions | None = None
    payment_method_types: list[Literal["card"]] | None = None


class SetupIntentCancel(ExpandParams):
    cancellation_reason: Literal["abandoned", "requested_by_customer", "duplicate"] | None = None


class SetupIntentRetrieve(ExpandParams):
    client_secret: str | None = Field(None, max_length=200)


class SetupIntentList(ListParams):
    customer: str | None = Field(None, max_length=40)
    payment_method: str | None = Field(None, max_length=40)
    created: CreatedFilter | int | None = None


def render_setup_intent(intent: SetupIntent) -> dict[str, Any]:
    options = intent.payment_method_options or {}
    card = options.get("card") or {}
    return {
        "id": intent.id,
        "object": "setup_intent",
        "application": None,
        "automatic_payment_methods": render_automatic_payment_methods(intent.automatic_payment_methods),
        "cancellation_reason": intent.cancellation_reason,
        "client_secret": intent.client_secret,
        "created": intent.created,
        "customer": intent.customer,
        "description": intent.description,
        "flow_directions": None,
        "last_setup_error": intent.last_setup_error,
        "latest_attempt": None,
        "livemode": intent.livemode,
        "mandate": None,
        "metadata": intent.metadata or {},
        "next_action": intent.next_action,
        "on_behalf_of": None,
        "payment_method": intent.payment_method,
        "payment_method_options": {
            "card": {
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": card.get("request_three_d_secure", "auto"),
                "setup_future_usage": intent.usage,
            }
        },
        "payment_method_types": intent.payment_method_types or ["card"],
        "return_url": intent.return_url,
        "single_use_mandate": None,
        "status": intent.status,
        "usage": intent.usage,
    }


# What a publishable key sees with the client_secret (Stripe's client-side view: no metadata, customer…).
PUBLIC_FIELDS = ("id", "object", "cancellation_reason", "client_secret", "created", "description",
                 "last_setup_error", "livemode", "next_action", "payment_method", "payment_method_types",
                 "status", "usage")


def render_setup_intent_public(intent: SetupIntent) -> dict[str, Any]:
    full = render_setup_intent(intent)
    return {name: full[name] for name in PUBLIC_FIELDS}
