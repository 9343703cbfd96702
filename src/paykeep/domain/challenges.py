"""The 3-D Secure challenge (API.md §4.2): single-use, expiring, answered `complete` or `fail`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from paykeep.domain.entity import Entity
from paykeep.domain.state_machine import InvalidTransition, Table, advance

LIFETIME_MS = 60 * 60 * 1000  # a challenge URL works for one hour
TOKEN_LENGTH = 32  # random alphanumerics in the URL: log2(62**32) ≈ 190 bits


class ChallengeStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"


class ChallengeOutcome(StrEnum):
    """The page's two buttons (`<button name="outcome" value=...>`), and superseding by a new attempt."""

    COMPLETE = "complete"
    FAIL = "fail"
    EXPIRE = "expire"


CHALLENGE_TRANSITIONS: dict[tuple[ChallengeStatus, ChallengeOutcome], ChallengeStatus] = {
    (ChallengeStatus.PENDING, ChallengeOutcome.COMPLETE): ChallengeStatus.COMPLETED,
    (ChallengeStatus.PENDING, ChallengeOutcome.FAIL): ChallengeStatus.FAILED,
    (ChallengeStatus.PENDING, ChallengeOutcome.EXPIRE): ChallengeStatus.EXPIRED,
}


class ChallengeUnavailable(Exception):
    """The challenge cannot be shown or answered; `reason` ∈ unknown | answered | expired | superseded."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def answer(status: str, outcome: ChallengeOutcome, *, expires_at: int, now_ms: int) -> ChallengeStatus:
    """The challenge's next status, or ChallengeUnavailable when it was answered already or has expired."""
    if status != ChallengeStatus.PENDING:
        raise ChallengeUnavailable("expired" if status == ChallengeStatus.EXPIRED else "answered")
    if now_ms >= expires_at:
        raise ChallengeUnavailable("expired")
    try:
        return ChallengeStatus(advance(cast(Table, CHALLENGE_TRANSITIONS), ChallengeStatus(status), outcome))
    except InvalidTransition:  # pragma: no cover - every outcome from pending is in the table
        raise ChallengeUnavailable("answered") from None


@dataclass(frozen=True, slots=True)
class Challenge(Entity):
    """One 3-D Secure challenge: the columns of challenges. Only a keyed hash of the URL's token is kept."""

    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    token_hash: str
    intent_type: str  # setup_intent | payment_intent
    intent_id: str
    payment_method_id: str
    return_url: str
    expires_at: int  # Unix ms
    amount: int | None = None
    currency: str | None = None
    status: ChallengeStatus = ChallengeStatus.PENDING
    answered_at: int | None = None  # Unix ms

    def answered(self, outcome: ChallengeOutcome, now_ms: int) -> Challenge:
        """The challenge with the cardholder's answer, or ChallengeUnavailable (answered already, expired)."""
        status = answer(self.status, outcome, expires_at=self.expires_at, now_ms=now_ms)
        return self.with_(status=status, answered_at=now_ms)

    def superseded(self) -> Challenge:
        """A pending challenge a newer attempt replaces: expired."""
        return self.with_(status=ChallengeStatus(advance(cast(Table, CHALLENGE_TRANSITIONS), self.status,
                                                         ChallengeOutcome.EXPIRE)))
