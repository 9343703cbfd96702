"""The simulated card network for test mode: one table from test card number to behaviour (API.md §4.1)."""

from __future__ import annotations

from dataclasses import dataclass

from paykeep.domain.card_network import (
    Approved,
    AuthorizeRequest,
    ChallengeRequired,
    Declined,
    Verdict,
    VerifyRequest,
)
from paykeep.domain.cards import CardNumber, Cvc
from paykeep.domain.errors import InvalidRequest
from paykeep.domain.test_payment_methods import markdown_section

_MESSAGES = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "stolen_card": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "authentication_required": "Your card was declined. This transaction requires authentication.",
}


def _decline(code: str, decline_code: str | None = None) -> Declined:
    return Declined(code=code, decline_code=decline_code or code, message=_MESSAGES[code])


@dataclass(frozen=True)
class Behaviour:
    """How a test card answers. `challenge` ∈ never | setup_and_on_session | always."""

    description: str
    challenge: str = "never"
    decline: Declined | None = None  # on every verify and authorize
    decline_after_challenge: Declined | None = None
    decline_charges: Declined | None = None  # saving succeeds; every charge is declined


FRICTIONLESS = Behaviour("succeeds frictionless")

TEST_CARDS: dict[str, Behaviour] = {
    **dict.fromkeys((
        "4111111111111111", "4242424242424242", "4761344136141390", "5555555555554444",
        "378282246310005", "6011111111111117", "3566002020360505", "6200000000000005"), FRICTIONLESS),
    "4462030000000000": Behaviour("challenge on setup and on-session payments; off-session with the saved "
                                  "card succeeds", challenge="setup_and_on_session"),
    "4000002500003155": Behaviour("challenge on setup and on-session payments; off-session with the saved "
                                  "card succeeds", challenge="setup_and_on_session"),
    "4000002760003184": Behaviour("challenge every time; off-session -> authentication_required",
                                  challenge="always"),
    "4000000000003220": Behaviour("3DS2 challenge, succeeds after authentication", challenge="always"),
    "4000008260003178": Behaviour("challenge, then declined insufficient_funds", challenge="always",
                                  decline_after_challenge=_decline("card_declined", "insufficient_funds")),
    "4000000000000002": Behaviour("card_declined / generic_decline",
                                  decline=_decline("card_declined", "generic_decline")),
    "4000000000009995": Behaviour("card_declined / insufficient_funds",
                                  decline=_decline("card_declined", "insufficient_funds")),
    "4000000000009987": Behaviour("card_declined / lost_card",
                                  decline=_decline("card_declined", "lost_card")),
    "4000000000009979": Behaviour("card_declined / stolen_card",
                                  decline=_decline("card_declined", "stolen_card")),
    "4000000000000069": Behaviour("expired_card", decline=_decline("expired_card")),
    "4000000000000127": Behaviour("incorrect_cvc", decline=_decline("incorrect_cvc")),
    "4000000000000119": Behaviour("processing_error", decline=_decline("processing_error")),
    "4000000000000341": Behaviour("saving succeeds; every later charge -> card_declined",
                                  decline_charges=_decline("card_declined", "generic_decline")),
}


def behaviour_of(number: CardNumber) -> Behaviour:
    return TEST_CARDS.get(number.reveal(), FRICTIONLESS)


class LiveModeUnavailable(InvalidRequest):
    def __init__(self) -> None:
        super().__init__(
            "No live card processor is configured on this paykeep server: live-mode confirms and charges are "
            "refused. Use test mode keys, or configure a processor connector.",
            code="live_mode_unavailable",
        )


class SimulatedNetwork:
    """Answers test-mode requests from TEST_CARDS; live mode has no processor and is refused."""

    def test_cards_markdown(self) -> str:
        """docs/test-cards.md's tables: what GET /test-cards shows (the page asks the network it runs on)."""
        return render_test_cards_markdown()

    def verify(self, number: CardNumber, cvc: Cvc | None, request: VerifyRequest) -> Verdict:
        if request.livemode:
            raise LiveModeUnavailable()
        card = behaviour_of(number)
        if card.decline is not None:
            return card.decline
        if not request.authenticated and (card.challenge != "never" or request.three_d_secure == "any"):
            return ChallengeRequired()
        if request.authenticated and card.decline_after_challenge is not None:
            return card.decline_after_challenge
        return Approved()

    def authorize(self, number: CardNumber, cvc: Cvc | None, request: AuthorizeRequest) -> Verdict:
        if request.livemode:
            raise LiveModeUnavailable()
        card = behaviour_of(number)
        if card.decline is not None:
            return card.decline
        if card.decline_charges is not None:
            return card.decline_charges
        if not request.authenticated and self._needs_challenge(card, request):
            if request.off_session:
                return _decline("authentication_required")
            return ChallengeRequired()
        if request.authenticated and card.decline_after_challenge is not None:
            return card.decline_after_challenge
        return Approved()

    @staticmethod
    def _needs_challenge(card: Behaviour, request: AuthorizeRequest) -> bool:
        if card.challenge == "always":
            return True
        if card.challenge == "setup_and_on_session":
            return not (request.off_session and request.mandate)
        return request.three_d_secure == "any" and not request.off_session


# -- docs/test-cards.md is generated from the table above ---------------------------------------------------
def _outcome(answer: Verdict, after_challenge: Verdict | None) -> str:
    if isinstance(answer, Declined):
        return f"declined `{answer.code}` / `{answer.decline_code}`"
    if isinstance(answer, ChallengeRequired):
        assert after_challenge is not None
        return "challenge, then " + _outcome(after_challenge, None)
    return "succeeds"


def render_test_cards_markdown() -> str:
    """The test-card table as Markdown: what saving and charging each card do, asked of the simulator."""
    network = SimulatedNetwork()
    lines = [
        "# Test cards",
        "",
        "<!-- Generated from paykeep.adapters.acquirer.simulated.TEST_CARDS (do not edit) by",
        "     `python -m paykeep.adapters.acquirer.simulated --markdown > docs/test-cards.md` -->",
        "",
        "Test mode only (test keys). Any future expiry date, any 3-digit CVC (4 for American Express).",
        "Live mode has no card processor: live confirms and charges are refused with a 400",
        "`live_mode_unavailable` until a processor connector is configured.",
        "",
        "| number | brand | save (SetupIntent) | on-session payment | off-session payment, saved card |",
        "|---|---|---|---|---|",
    ]
    for digits in TEST_CARDS:
        number = CardNumber(digits)

        def verify(authenticated: bool, number: CardNumber = number) -> Verdict:
            return network.verify(number, None, VerifyRequest(livemode=False, authenticated=authenticated))

        def charge(off_session: bool, authenticated: bool, number: CardNumber = number) -> Verdict:
            request = AuthorizeRequest(amount=2500, currency="USD", livemode=False, off_session=off_session,
                                       authenticated=authenticated, mandate=True)
            return network.authorize(number, None, request)

        lines.append(
            f"| `{digits}` | {number.brand} | {_outcome(verify(False), verify(True))} "
            f"| {_outcome(charge(False, False), charge(False, True))} "
            f"| {_outcome(charge(True, False), charge(True, True))} |"
        )
    lines += [
        "| any other number passing the Luhn check | (from its IIN) | succeeds | succeeds | succeeds |",
        "",
        "`payment_method_options[card][request_three_d_secure]=any` asks for a challenge on every setup and",
        "on-session payment, whatever the card.",
        "",
        "## Card form errors",
        "",
        "Checked when card data arrives (`POST /v1/payment_methods`, `payment_method_data`), before the",
        "network is asked: a 402 `card_error` whose `param` names the field.",
        "",
        "| input | `code` | `param` |",
        "|---|---|---|",
        "| a number failing the Luhn check, or of the wrong length for its brand | `incorrect_number` "
        "| `number` |",
        "| month outside 1-12, or earlier this year | `invalid_expiry_month` | `exp_month` |",
        "| year in the past (2-digit years are 20xx) | `invalid_expiry_year` | `exp_year` |",
        "| CVC not 3 digits (4 for American Express) | `invalid_cvc` | `cvc` |",
        "",
    ]
    return "\n".join(lines) + markdown_section()  # Stripe's pm_card_* / tok_* names, from their table


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m paykeep.adapters.acquirer.simulated --markdown")
    sys.stdout.write(render_test_cards_markdown())
