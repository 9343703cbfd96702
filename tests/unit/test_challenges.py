"""The 3-D Secure challenge's rules: answered once, before it expires; the redirect back to return_url."""

from __future__ import annotations

import itertools
from urllib.parse import parse_qs, urlsplit

import pytest

from paykeep.domain.challenges import (
    CHALLENGE_TRANSITIONS,
    ChallengeOutcome,
    ChallengeStatus,
    ChallengeUnavailable,
    answer,
)
from paykeep.services.challenges import return_url_with

PAIRS = list(itertools.product(ChallengeStatus, ChallengeOutcome))


@pytest.mark.parametrize(("status", "outcome"), PAIRS, ids=[f"{s}-{o}" for s, o in PAIRS])
def test_every_pair(status: ChallengeStatus, outcome: ChallengeOutcome) -> None:
    expected = CHALLENGE_TRANSITIONS.get((status, outcome))
    if expected is None:
        with pytest.raises(ChallengeUnavailable) as info:
            answer(status.value, outcome, expires_at=2_000, now_ms=1_000)
        assert info.value.reason == ("expired" if status is ChallengeStatus.EXPIRED else "answered")
    else:
        assert answer(status.value, outcome, expires_at=2_000, now_ms=1_000) is expected


def test_an_expired_challenge_cannot_be_answered() -> None:
    with pytest.raises(ChallengeUnavailable) as info:
        answer("pending", ChallengeOutcome.COMPLETE, expires_at=2_000, now_ms=2_000)
    assert info.value.reason == "expired"


INTENT = {"id": "seti_1", "client_secret": "seti_1_secret_abc", "status": "succeeded"}


@pytest.mark.parametrize(("url", "query"), [
    ("https://shop.example/done", {}),
    ("https://shop.example/done?order=7&x=", {"order": ["7"], "x": [""]}),
    ("https://shop.example/done?a=1#frag", {"a": ["1"]}),
])
def test_return_url_keeps_its_own_query(url: str, query: dict[str, list[str]]) -> None:
    parts = urlsplit(return_url_with(url, "setup_intent", INTENT))
    assert parts.path == "/done" and parts.fragment == urlsplit(url).fragment
    assert parse_qs(parts.query, keep_blank_values=True) == {
        **query, "setup_intent": ["seti_1"], "setup_intent_client_secret": ["seti_1_secret_abc"],
        "redirect_status": ["succeeded"]}


def test_redirect_status_for_payments() -> None:
    for status, expected in (("requires_capture", "succeeded"), ("succeeded", "succeeded"),
                             ("requires_payment_method", "failed")):
        intent = {**INTENT, "id": "pi_1", "status": status}
        url = return_url_with("https://s.example/p", "payment_intent", intent)
        assert parse_qs(urlsplit(url).query)["redirect_status"] == [expected]
        assert "payment_intent_client_secret" in parse_qs(urlsplit(url).query)
