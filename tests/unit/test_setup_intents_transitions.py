"""The SetupIntent transition table: every (status, action) pair is either the table's move or a 400."""

from __future__ import annotations

import itertools

import pytest

from paykeep.domain.errors import UnexpectedState
from paykeep.domain.setup_intents import (
    SETUP_INTENT_TRANSITIONS,
    TERMINAL,
    SetupIntentAction,
    SetupIntentStatus,
    next_status,
)

S = SetupIntentStatus
A = SetupIntentAction
ALL_PAIRS = list(itertools.product(SetupIntentStatus, SetupIntentAction))


def test_stripes_six_statuses() -> None:
    assert {s.value for s in SetupIntentStatus} == {
        "requires_payment_method", "requires_confirmation", "requires_action", "processing", "succeeded",
        "canceled",
    }


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=[f"{s}-{a}" for s, a in ALL_PAIRS])
def test_every_pair(status: SetupIntentStatus, action: SetupIntentAction) -> None:
    expected = SETUP_INTENT_TRANSITIONS.get((status, action))
    if expected is None:
        with pytest.raises(UnexpectedState) as info:
            next_status(status.value, action)
        assert info.value.code == "setup_intent_unexpected_state"
        assert status.value in info.value.message
    else:
        assert next_status(status.value, action) is expected


def test_terminal_statuses_have_no_way_out() -> None:
    for status in TERMINAL:
        assert not [a for (s, a) in SETUP_INTENT_TRANSITIONS if s == status]


def test_a_confirm_ends_in_one_of_three_outcomes() -> None:
    processing = next_status(S.REQUIRES_PAYMENT_METHOD, A.CONFIRM)
    assert processing is S.PROCESSING
    assert {next_status(processing, a) for a in (A.SUCCEED, A.REQUIRE_ACTION, A.FAIL)} == {
        S.SUCCEEDED, S.REQUIRES_ACTION, S.REQUIRES_PAYMENT_METHOD}


def test_cancel_only_before_processing() -> None:
    cancelable = {s for (s, a) in SETUP_INTENT_TRANSITIONS if a is A.CANCEL}
    assert cancelable == {S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_CONFIRMATION, S.REQUIRES_ACTION}


def test_confirming_a_succeeded_intent_says_so() -> None:
    with pytest.raises(UnexpectedState, match="already succeeded"):
        next_status("succeeded", A.CONFIRM)
