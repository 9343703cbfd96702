"""Checkout Session rules (setup and payment mode): statuses, transition table, lifetime, hosted-URL ids, URL
checks, line items and their totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from paykeep.domain.entity import Entity
from paykeep.domain.errors import ParameterInvalid, ParameterMissing, UnexpectedState
from paykeep.domain.ids import looks_like
from paykeep.domain.state_machine import InvalidTransition, Table, advance

LIFETIME_MS = 24 * 3600 * 1000  # WooshPay and Stripe: a session expires 24 hours after it was created
SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"
MAX_URL_LENGTH = 5000  # Stripe's limit for success_url / cancel_url
MAX_CLIENT_REFERENCE_ID = 200


class CheckoutSessionStatus(StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    EXPIRED = "expired"


class CheckoutSessionAction(StrEnum):
    COMPLETE = "complete"  # the session's SetupIntent succeeded (payment mode: its PaymentIntent)
    EXPIRE = "expire"  # POST .../expire, or 24 h passed


S = CheckoutSessionStatus
A = CheckoutSessionAction

CHECKOUT_SESSION_TRANSITIONS: Table = {
    (S.OPEN, A.COMPLETE): S.COMPLETE,
    (S.OPEN, A.EXPIRE): S.EXPIRED,
}


def next_status(status: str, action: CheckoutSessionAction) -> CheckoutSessionStatus:
    """The only way a session's status changes; anything else is a 400 checkout_session_unexpected_state."""
    try:
        return CheckoutSessionStatus(advance(CHECKOUT_SESSION_TRANSITIONS, S(status), action))
    except InvalidTransition:
        if action == A.EXPIRE:
            message = ("Only Checkout Sessions with a status of `open` can be expired. "
                       f"This session's status is `{status}`.")
        else:
            message = f"This Checkout Session cannot be completed because its status is `{status}`."
        raise UnexpectedState(message, code="checkout_session_unexpected_state") from None


@dataclass(frozen=True, slots=True)
class CheckoutSession(Entity):
    """A hosted Checkout Session: the columns of checkout_sessions. Its hosted `url` is not stored: the
    services compute it (a keyed hash of the id) and hand it to the renderer. Setup mode owns a SetupIntent;
    payment mode owns a PaymentIntent and its line items (each with the price as it was when added)."""

    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    customer: str | None
    setup_intent: str | None
    success_url: str
    expires_at: int  # Unix ms
    metadata: dict[str, str] = field(default_factory=dict)
    mode: str = "setup"
    status: CheckoutSessionStatus = CheckoutSessionStatus.OPEN
    customer_creation: str | None = None  # "always" when the session created the customer
    customer_email: str | None = None
    customer_details: dict[str, Any] | None = None
    cancel_url: str | None = None
    client_reference_id: str | None = None
    payment_method_types: list[str] = field(default_factory=lambda: ["card"])
    completed_at: int | None = None  # Unix ms
    test_clock: str | None = None  # its customer's test clock: its times are the clock's
    payment_intent: str | None = None  # payment mode
    line_items: list[dict[str, Any]] | None = None  # payment mode: `line_item()` records
    currency: str | None = None
    amount_subtotal: int | None = None
    amount_total: int | None = None
    submit_type: str | None = None
    payment_status: str | None = None  # payment mode: unpaid | paid (setup mode: no_payment_required)

    def expired(self) -> CheckoutSession:
        """open -> expired (else 400 checkout_session_unexpected_state)."""
        return self.with_(status=next_status(self.status, A.EXPIRE))

    def completed(self, at_ms: int, customer_details: dict[str, Any] | None,
                  payment_status: str | None = None) -> CheckoutSession:
        """open -> complete, when its SetupIntent succeeded or its PaymentIntent was paid or authorized (else
        400 checkout_session_unexpected_state)."""
        return self.with_(status=next_status(self.status, A.COMPLETE), completed_at=at_ms,
                          customer_details=customer_details,
                          payment_status=payment_status or self.payment_status)


def expires_at(created_ms: int) -> int:
    return created_ms + LIFETIME_MS


def hosted_id(session_id: str, livemode: bool) -> str:
    """The id in the hosted page's path, as WooshPay's (`cs_test_<digits>` / `cs_live_<digits>`)."""
    return session_id.replace("cs_", "cs_live_" if livemode else "cs_test_", 1)


def parse_hosted_id(value: str) -> tuple[str, bool] | None:
    """`cs_test_<digits>` -> (`cs_<digits>`, False) (the digits with a Stripe-dialect id's 5 base-62
    characters after them, too); None when it is not a hosted id."""
    for prefix, livemode in (("cs_test_", False), ("cs_live_", True)):
        if value.startswith(prefix) and looks_like("cs_" + value[len(prefix):], "cs"):
            return "cs_" + value[len(prefix):], livemode
    return None


def check_redirect_url(param: str, value: str) -> str:
    """An absolute http(s) URL (the only kind a browser can be sent to safely), else 400 naming `param`."""
    if not value:
        raise ParameterInvalid(param, f"Invalid {param}: must be an absolute http or https URL.",
                               code="parameter_invalid_empty")
    if len(value) > MAX_URL_LENGTH:
        raise ParameterInvalid(param, f"Invalid {param}: must be at most {MAX_URL_LENGTH} characters.")
    bad = any(ord(ch) <= 32 or ord(ch) == 127 for ch in value)
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    web = parts is not None and parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    if bad or not port_ok or not web:
        raise ParameterInvalid(param, f"Invalid {param}: {value[:200]!r} is not a valid URL. "
                               "Use an absolute http or https URL, e.g. https://example.com/checkout/success.")
    return value


def success_redirect(success_url: str, session_id: str) -> str:
    """`success_url` with Stripe's `{CHECKOUT_SESSION_ID}` template variable replaced."""
    return success_url.replace(SESSION_ID_PLACEHOLDER, session_id)


MAX_QUANTITY = 999_999  # Stripe's limit for a line item's quantity
SUBMIT_TYPES = ("auto", "book", "donate", "pay", "subscribe")
SUBMIT_LABELS = {"book": "Book", "donate": "Donate"}  # the pay button's word; any other type says "Pay"


def check_quantity(quantity: int | None, param: str) -> int:
    if quantity is None:
        raise ParameterMissing(param)
    if quantity < 1 or quantity > MAX_QUANTITY:
        raise ParameterInvalid(param, f"Invalid {param}: must be between 1 and {MAX_QUANTITY}.")
    return quantity


def line_item(item_id: str, price: dict[str, Any], quantity: int, description: str) -> dict[str, Any]:
    """One line as stored: the price as rendered when it was added (so later price changes do not change
    what this customer pays), the quantity and its amounts (no discounts or taxes in paykeep)."""
    amount = int(price["unit_amount"]) * quantity
    return {"id": item_id, "price": price, "quantity": quantity, "description": description,
            "currency": price["currency"], "amount_subtotal": amount, "amount_total": amount}


def total_of(items: list[dict[str, Any]]) -> int:
    return sum(int(item["amount_total"]) for item in items)
