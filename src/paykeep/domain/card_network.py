"""What a card network answers, and the port a processor connector implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from paykeep.domain.cards import CardNumber, Cvc

ThreeDS = Literal["auto", "any"]


@dataclass(frozen=True)
class Approved:
    pass


@dataclass(frozen=True)
class ChallengeRequired:
    """The cardholder must pass a 3-D Secure challenge before the network answers again."""


@dataclass(frozen=True)
class Declined:
    code: str
    decline_code: str | None
    message: str


Verdict = Approved | ChallengeRequired | Declined


@dataclass(frozen=True)
class VerifyRequest:
    """Saving a card (SetupIntent confirm)."""

    livemode: bool
    three_d_secure: ThreeDS = "auto"
    authenticated: bool = False  # the cardholder just passed a challenge


@dataclass(frozen=True)
class AuthorizeRequest:
    """Charging a card (PaymentIntent confirm)."""

    amount: int
    currency: str
    livemode: bool
    off_session: bool = False
    three_d_secure: ThreeDS = "auto"
    authenticated: bool = False  # the cardholder just passed a challenge for this payment
    mandate: bool = False  # the card was saved for off-session use through an authenticated setup


class CardNetwork(Protocol):
    """Implemented by the simulated network (test mode) and, later, live processor connectors."""

    def verify(self, number: CardNumber, cvc: Cvc | None, request: VerifyRequest) -> Verdict: ...

    def authorize(self, number: CardNumber, cvc: Cvc | None, request: AuthorizeRequest) -> Verdict: ...
