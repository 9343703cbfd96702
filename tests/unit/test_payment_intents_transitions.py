"""The PaymentIntent transition table: every (status, action) pair is either the table's move or a 400."""

from __future__ import annotations

import itertools

import pytest

from paykeep.domain.errors import UnexpectedState
from paykeep.domain.payment_intents import (
    PAYMENT_INTENT_TRANSITIONS,
    TERMINAL,
    PaymentIntentAction,
    PaymentIntentStatus,
    capture_amount,
    capture_deadline,
    next_status,
)

S = PaymentIntentStatus
A = PaymentIntentAction

ALL_PAIRS = list(itertools.product(PaymentIntentStatus, PaymentIntentAction))


def test_stripes_seven_statuses() -> None:
    assert {s.value for s in PaymentIntentStatus} == {
        "requires_payment_method", "requires_confirmation", "requires_action", "processing",
        "requires_capture", "succeeded", "canceled",
    }


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=[f"{s}-{a}" for s, a in ALL_PAIRS])
def test_every_pair(status: PaymentIntentStatus, action: PaymentIntentAction) -> None:
    expected = PAYMENT_INTENT_TRANSITIONS.get((status, action))
    if expected is None:
        with pytest.raises(UnexpectedState) as info:
            next_status(status, action)
        assert info.value.code == "payment_intent_unexpected_state"
        assert status.value in info.value.message
    else:
        assert next_status(status.value, action) is expected


def test_terminal_statuses_have_no_way_out() -> None:
    for status in TERMINAL:
        assert not [a for (s, a) in PAYMENT_INTENT_TRANSITIONS if s == status]


def test_cancel_from_every_non_terminal_status() -> None:
    for status in set(PaymentIntentStatus) - TERMINAL:
        assert next_status(status, A.CANCEL) is S.CANCELED


def test_confirm_after_success_has_stripes_message() -> None:
    with pytest.raises(UnexpectedState, match="already succeeded"):
        next_status("succeeded", A.CONFIRM)


def test_capture_twice_is_refused() -> None:
    assert next_status("requires_capture", A.CAPTURE) is S.SUCCEEDED
    with pytest.raises(UnexpectedState, match="already been captured"):
        next_status("succeeded", A.CAPTURE)


def test_only_requires_capture_expires() -> None:
    legal = [s for s in PaymentIntentStatus if (s, A.EXPIRE) in PAYMENT_INTENT_TRANSITIONS]
    assert legal == [S.REQUIRES_CAPTURE]


def test_capture_rules() -> None:
    assert capture_amount(None, 5000) == 5000
    assert capture_amount(1200, 5000) == 1200
    assert capture_deadline(1000) == 1000 + 7 * 24 * 3600 * 1000
