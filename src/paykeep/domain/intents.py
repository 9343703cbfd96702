"""What SetupIntents and PaymentIntents share: the rows of an attempt's life in their transition tables.

Both intents take a payment method, start an attempt on confirm, end it approved, challenged or declined,
come back from a challenge, and may be canceled before they end. Those rows are written once here; each
intent's own module adds the rows only it has (a PaymentIntent's capture, authorization and expiry) and
builds its table with `transition_table`, so its status still changes in exactly one place."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import TypeVar, cast

from paykeep.domain.errors import UnexpectedState
from paykeep.domain.state_machine import InvalidTransition, Table, advance

St = TypeVar("St", bound=StrEnum)
Ac = TypeVar("Ac", bound=StrEnum)

Row = tuple[str, str, str]  # (status, action, next status)

# Before the attempt: a payment method given (or other payment details changed) without confirming.
_BEFORE: tuple[Row, ...] = tuple(
    (status, action, "requires_payment_method" if (status, action) == ("requires_payment_method", "update")
     else "requires_confirmation")
    for action in ("attach_payment_method", "update")
    for status in ("requires_payment_method", "requires_confirmation", "requires_action")
)
# The attempt: confirm -> processing -> succeeded | requires_action | requires_payment_method, and back
# from the challenge.
_ATTEMPT: tuple[Row, ...] = (
    *((status, "confirm", "processing")
      for status in ("requires_payment_method", "requires_confirmation", "requires_action")),
    ("processing", "succeed", "succeeded"),
    ("processing", "require_action", "requires_action"),
    ("processing", "fail", "requires_payment_method"),
    ("requires_action", "authenticate", "processing"),
    ("requires_action", "fail_authentication", "requires_payment_method"),
)
# Canceling an intent that has not ended yet.
_CANCEL: tuple[Row, ...] = tuple(
    (status, "cancel", "canceled")
    for status in ("requires_payment_method", "requires_confirmation", "requires_action")
)
SHARED_ROWS: tuple[Row, ...] = (*_BEFORE, *_ATTEMPT, *_CANCEL)


def transition_table(statuses: type[St], actions: type[Ac], own_rows: Iterable[Row] = ()
                     ) -> dict[tuple[St, Ac], St]:
    """The shared rows plus an intent's own, typed with that intent's status and action enums."""
    table: dict[tuple[St, Ac], St] = {}
    for status, action, target in (*SHARED_ROWS, *own_rows):
        key = (statuses(status), actions(action))
        if key in table:
            raise ValueError(f"duplicate transition row {status} --{action}-->")
        table[key] = statuses(target)
    return table


def next_status_in(table: Mapping[tuple[St, Ac], St], statuses: type[St], status: str, action: Ac, *,
                   code: str, message: Callable[[str, str], str]) -> St:
    """The status `action` leads to from `status` in an intent's table; an illegal move is a 400 with the
    intent's own code (setup_intent_unexpected_state, payment_intent_unexpected_state) and message."""
    try:
        return statuses(advance(cast(Table, table), statuses(status), action))
    except InvalidTransition:
        raise UnexpectedState(message(status, action), code=code) from None
