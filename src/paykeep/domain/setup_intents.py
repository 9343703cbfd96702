"""SetupIntent rules: statuses, the transition table (API.md §4, semantics §1.1) and the failure codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from paykeep.domain.entity import Entity
from paykeep.domain.intents import next_status_in, transition_table

USAGES = ("off_session", "on_session")
CANCELLATION_REASONS = ("abandoned", "requested_by_customer", "duplicate")
AUTHENTICATION_FAILURE = "setup_intent_authentication_failure"
AUTHENTICATION_FAILURE_MESSAGE = (
    "The latest attempt to set up the payment method has failed because authentication failed."
)


class SetupIntentStatus(StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


class SetupIntentAction(StrEnum):
    ATTACH_PAYMENT_METHOD = "attach_payment_method"  # create/update with a payment method, no confirm
    UPDATE = "update"  # customer or payment method options change (not metadata or description)
    CONFIRM = "confirm"  # a setup attempt starts
    SUCCEED = "succeed"  # the network approved
    REQUIRE_ACTION = "require_action"  # the cardholder must pass a challenge
    FAIL = "fail"  # the network declined (or the card failed its form checks)
    AUTHENTICATE = "authenticate"  # the cardholder passed the challenge: ask the network again
    FAIL_AUTHENTICATION = "fail_authentication"
    CANCEL = "cancel"


S = SetupIntentStatus
A = SetupIntentAction

# Every row of a SetupIntent's life is one it shares with PaymentIntents (domain/intents.py).
SETUP_INTENT_TRANSITIONS: dict[tuple[SetupIntentStatus, SetupIntentAction], SetupIntentStatus] = (
    transition_table(SetupIntentStatus, SetupIntentAction)
)

TERMINAL = frozenset({S.SUCCEEDED, S.CANCELED})

_VERBS = {
    A.ATTACH_PAYMENT_METHOD: "update the payment method of",
    A.UPDATE: "update",
    A.CONFIRM: "confirm",
    A.SUCCEED: "complete",
    A.REQUIRE_ACTION: "authenticate",
    A.FAIL: "fail",
    A.AUTHENTICATE: "authenticate",
    A.FAIL_AUTHENTICATION: "authenticate",
    A.CANCEL: "cancel",
}


def unexpected_state_message(status: str, action: str) -> str:
    if status == S.SUCCEEDED and action == A.CONFIRM:
        return ("You cannot confirm this SetupIntent because it has already succeeded after being previously "
                "confirmed.")
    if action == A.CANCEL:
        return (f"You cannot cancel this SetupIntent because it has a status of {status}. Only a SetupIntent "
                "with one of the following statuses may be canceled: requires_payment_method, "
                "requires_confirmation, requires_action.")
    verb = _VERBS.get(SetupIntentAction(action), str(action))
    return f"You cannot {verb} this SetupIntent because it has a status of {status}."


def next_status(status: str, action: SetupIntentAction) -> SetupIntentStatus:
    """The only way a SetupIntent's status changes; an illegal move is a 400 setup_intent_unexpected_state."""
    return next_status_in(SETUP_INTENT_TRANSITIONS, SetupIntentStatus, status, action,
                          code="setup_intent_unexpected_state", message=unexpected_state_message)


@dataclass(frozen=True, slots=True)
class SetupIntent(Entity):
    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    status: SetupIntentStatus
    client_secret: str = field(repr=False)  # kept out of reprs, tracebacks and logs
    usage: str = "off_session"
    metadata: dict[str, str] = field(default_factory=dict)
    customer: str | None = None
    payment_method: str | None = None
    description: str | None = None
    payment_method_types: list[str] = field(default_factory=lambda: ["card"])
    payment_method_options: dict[str, Any] = field(default_factory=dict)
    return_url: str | None = None
    automatic_payment_methods: dict[str, Any] | None = None  # {enabled, allow_redirects} as given (0013)
    next_action: dict[str, Any] | None = None
    last_setup_error: dict[str, Any] | None = None
    cancellation_reason: str | None = None

    def move(self, action: SetupIntentAction, **changes: Any) -> SetupIntent:
        """The intent after `action`: its status through the transition table (400
        setup_intent_unexpected_state when the table has no such move), and these other changes."""
        return self.with_(status=next_status(self.status, action), **changes)
