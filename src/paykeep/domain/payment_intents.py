"""PaymentIntent rules: statuses, the transition table, capture and expiry (API.md §4, semantics §1.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from paykeep.domain.entity import Entity
from paykeep.domain.intents import next_status_in, transition_table

# An uncaptured authorization is released after 7 days (Stripe's online card window) and the intent canceled.
CAPTURE_WINDOW_MS = 7 * 24 * 3600 * 1000

CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
AUTOMATIC_CANCELLATION = "automatic"
AUTHENTICATION_FAILURE = "payment_intent_authentication_failure"
AUTHENTICATION_FAILURE_MESSAGE = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new "
    "PaymentMethod to attempt to fulfill this PaymentIntent again."
)


class PaymentIntentStatus(StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


class PaymentIntentAction(StrEnum):
    ATTACH_PAYMENT_METHOD = "attach_payment_method"  # create/update with a payment method
    UPDATE = "update"  # amount, currency, options... change (not metadata or description)
    CONFIRM = "confirm"  # a payment attempt starts
    SUCCEED = "succeed"  # the network approved, capture_method=automatic
    AUTHORIZE = "authorize"  # the network approved, capture_method=manual
    REQUIRE_ACTION = "require_action"  # the cardholder must pass a challenge
    FAIL = "fail"  # the network declined
    AUTHENTICATE = "authenticate"  # the cardholder passed the challenge: attempt again
    AWAIT_CONFIRMATION = "await_confirmation"  # passed, but confirmation_method=manual: the server confirms
    FAIL_AUTHENTICATION = "fail_authentication"
    CAPTURE = "capture"
    CANCEL = "cancel"
    EXPIRE = "expire"  # the uncaptured authorization ran out


S = PaymentIntentStatus
A = PaymentIntentAction

# The rows shared with SetupIntents (domain/intents.py), plus authorization, capture and expiry.
PAYMENT_INTENT_TRANSITIONS: dict[tuple[PaymentIntentStatus, PaymentIntentAction], PaymentIntentStatus] = (
    transition_table(PaymentIntentStatus, PaymentIntentAction, (
        ("processing", "authorize", "requires_capture"),
        # confirmation_method=manual: a passed challenge waits for the server's confirm, which then goes on
        # as authenticated (Stripe's "finalize payments on the server")
        ("requires_action", "await_confirmation", "requires_confirmation"),
        ("requires_confirmation", "authenticate", "processing"),
        ("requires_capture", "capture", "succeeded"),
        ("processing", "cancel", "canceled"),
        ("requires_capture", "cancel", "canceled"),
        ("requires_capture", "expire", "canceled"),
    ))
)

TERMINAL = frozenset({S.SUCCEEDED, S.CANCELED})

_VERBS = {
    A.ATTACH_PAYMENT_METHOD: "update the payment method of",
    A.UPDATE: "update",
    A.CONFIRM: "confirm",
    A.AUTHENTICATE: "authenticate",
    A.FAIL_AUTHENTICATION: "authenticate",
    A.AWAIT_CONFIRMATION: "authenticate",
    A.CAPTURE: "capture",
    A.CANCEL: "cancel",
    A.EXPIRE: "expire",
}


def unexpected_state_message(status: str, action: str) -> str:
    verb = _VERBS.get(PaymentIntentAction(action), str(action))
    if status == S.SUCCEEDED and action == A.CONFIRM:
        return ("You cannot confirm this PaymentIntent because it has already succeeded after being "
                "previously confirmed.")
    if status == S.SUCCEEDED and action == A.CAPTURE:
        return ("This PaymentIntent could not be captured because it has already been captured "
                f"(status: {status}).")
    if action == A.CAPTURE:
        return (f"This PaymentIntent could not be captured because it has a status of {status}. Only a "
                "PaymentIntent with one of the following statuses may be captured: requires_capture.")
    if action == A.CANCEL:
        return (f"You cannot cancel this PaymentIntent because it has a status of {status}. Only a "
                "PaymentIntent with one of the following statuses may be canceled: requires_payment_method, "
                "requires_capture, requires_confirmation, requires_action, processing.")
    return f"You cannot {verb} this PaymentIntent because it has a status of {status}."


def next_status(status: str, action: PaymentIntentAction) -> PaymentIntentStatus:
    """The only way a PaymentIntent's status changes (illegal: 400 payment_intent_unexpected_state)."""
    return next_status_in(PAYMENT_INTENT_TRANSITIONS, PaymentIntentStatus, status, action,
                          code="payment_intent_unexpected_state", message=unexpected_state_message)


def capture_amount(requested: int | None, capturable: int) -> int:
    """`amount_to_capture` defaults to everything authorized; more than that is refused by the caller."""
    return capturable if requested is None else requested


def capture_deadline(authorized_at_ms: int) -> int:
    return authorized_at_ms + CAPTURE_WINDOW_MS


@dataclass(frozen=True, slots=True)
class PaymentIntent(Entity):
    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    amount: int
    currency: str
    status: PaymentIntentStatus
    client_secret: str = field(repr=False)  # kept out of reprs, tracebacks and logs
    metadata: dict[str, str] = field(default_factory=dict)
    amount_capturable: int = 0
    amount_received: int = 0
    capture_method: str = "automatic"
    confirmation_method: str = "automatic"
    customer: str | None = None
    payment_method: str | None = None
    payment_method_types: list[str] = field(default_factory=lambda: ["card"])
    payment_method_options: dict[str, Any] = field(default_factory=dict)
    setup_future_usage: str | None = None
    off_session: bool | None = None
    return_url: str | None = None
    automatic_payment_methods: dict[str, Any] | None = None  # {enabled, allow_redirects} as given (0013)
    description: str | None = None
    merchant_order_id: str | None = None
    receipt_email: str | None = None
    shipping: dict[str, Any] | None = None
    statement_descriptor: str | None = None
    statement_descriptor_suffix: str | None = None
    next_action: dict[str, Any] | None = None
    last_payment_error: dict[str, Any] | None = None
    latest_charge: str | None = None
    cancellation_reason: str | None = None
    canceled_at: int | None = None
    capture_before: int | None = None  # set while requires_capture
    test_clock: str | None = None  # its customer's test clock: its times are the clock's

    def move(self, action: PaymentIntentAction, **changes: Any) -> PaymentIntent:
        """The intent after `action`: its status through the transition table (400
        payment_intent_unexpected_state when the table has no such move), and these other changes."""
        return self.with_(status=next_status(self.status, action), **changes)

    @property
    def card_options(self) -> dict[str, Any]:
        return dict((self.payment_method_options or {}).get("card") or {})

    @property
    def manual_capture(self) -> bool:
        return self.capture_method == "manual" or self.card_options.get("capture_method") == "manual"

    @property
    def future_usage(self) -> str | None:
        return self.setup_future_usage or self.card_options.get("setup_future_usage") or None


@dataclass(frozen=True, slots=True)
class Charge(Entity):
    """One successful authorization of a PaymentIntent (at most one per intent)."""

    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    payment_intent: str
    amount: int
    currency: str
    payment_method_details: dict[str, Any]
    status: str = "succeeded"
    metadata: dict[str, str] = field(default_factory=dict)
    amount_captured: int = 0
    amount_refunded: int = 0
    captured: bool = False
    released: bool = False  # an uncaptured authorization let go
    customer: str | None = None
    payment_method: str | None = None
    description: str | None = None
    billing_details: dict[str, Any] | None = None  # the payment method's, when it was charged (0013)
    receipt_email: str | None = None
    shipping: dict[str, Any] | None = None
    statement_descriptor: str | None = None
    statement_descriptor_suffix: str | None = None


@dataclass(frozen=True, slots=True)
class Refund(Entity):
    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    payment_intent: str
    charge: str
    amount: int
    currency: str
    status: str = "succeeded"
    metadata: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    description: str | None = None
    failure_reason: str | None = None
