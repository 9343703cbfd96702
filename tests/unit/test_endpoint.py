"""web/api/endpoint.py: a use case that lost a race runs again, a bounded number of times."""

from __future__ import annotations

import pytest

from paykeep.services.ports import TransactionConflict
from paykeep.web.api import endpoint


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(endpoint.time, "sleep", lambda _s: None)


def test_a_conflict_reruns_the_whole_use_case_until_it_commits():
    calls = []

    def use_case() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransactionConflict("deadlock detected")
        return "committed"

    assert endpoint.retry_on_conflict(use_case) == "committed"
    assert len(calls) == 3


def test_retries_are_bounded():
    calls = []

    def always_loses() -> None:
        calls.append(1)
        raise TransactionConflict("serialization failure")

    with pytest.raises(TransactionConflict):
        endpoint.retry_on_conflict(always_loses)
    assert len(calls) == endpoint.TRANSACTION_ATTEMPTS


def test_other_errors_are_not_retried():
    calls = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        endpoint.retry_on_conflict(broken)
    assert len(calls) == 1


def test_exhausted_retries_answer_429_lock_timeout():
    err = endpoint._lock_timeout()
    assert err.code == "lock_timeout" and err.extra["retry_after"] == 1
    from paykeep.web.api.errors import status_for

    assert status_for(err) == 429
