"""Stripe's test payment methods and tokens (`pm_card_visa`, `tok_visa`, …: API.md §9) and the paykeep test
card (API.md §4.1) that behaves as Stripe documents each one (https://docs.stripe.com/testing).

`pm_card_<name>` and `tok_<name>` stand for the same card. In test mode services/payment_methods.py makes a
fresh PaymentMethod of that card each time a caller gives one as a payment method id, through the same code as
a card sent in `payment_method_data`. A name is mapped only where the paykeep card really does what Stripe
documents for it; the Stripe names paykeep has no such card for are in UNMATCHED, answered with a 404 that
says why. docs/test-cards.md's section is `markdown_section()` (`python -m
paykeep.domain.test_payment_methods --markdown`)."""

from __future__ import annotations

from dataclasses import dataclass

from paykeep.domain.cards import brand_of
from paykeep.domain.errors import InvalidRequest, ResourceMissing

PREFIXES = ("pm_card_", "tok_")
EXP_MONTH = 12  # the cards expire in December, EXP_YEARS_AHEAD years after the current year
EXP_YEARS_AHEAD = 3


@dataclass(frozen=True)
class StripeTestCard:
    """The paykeep test card a Stripe test name stands for, and what Stripe documents for the name."""

    number: str
    stripe_says: str
    funding: str = "credit"

    @property
    def brand(self) -> str:
        return brand_of(self.number)

    @property
    def cvc(self) -> str:
        """A CVC that passes the form check (4 digits for American Express, 3 otherwise)."""
        return "1234" if self.brand == "amex" else "123"


def _card(number: str, stripe_says: str, funding: str = "credit") -> StripeTestCard:
    return StripeTestCard(number, stripe_says, funding)


_DECLINED = "declined `card_declined` / "
CARDS: dict[str, StripeTestCard] = {  # the name after `pm_card_` / `tok_`
    "visa": _card("4242424242424242", "Visa: succeeds"),
    "visa_debit": _card("4242424242424242", "Visa debit: succeeds", "debit"),
    "mastercard": _card("5555555555554444", "Mastercard: succeeds"),
    "mastercard_debit": _card("5555555555554444", "Mastercard debit: succeeds", "debit"),
    "mastercard_prepaid": _card("5555555555554444", "Mastercard prepaid: succeeds", "prepaid"),
    "amex": _card("378282246310005", "American Express: succeeds"),
    "discover": _card("6011111111111117", "Discover: succeeds"),
    "jcb": _card("3566002020360505", "JCB: succeeds"),
    "unionpay": _card("6200000000000005", "UnionPay: succeeds"),
    "threeDSecureOptional": _card("4242424242424242", "3-D Secure supported, not required: succeeds "
                                  "without a challenge unless one is asked for"),
    "authenticationRequired": _card("4000002760003184", "challenge on every setup and payment; "
                                    "off-session declined `authentication_required`"),
    "authenticationRequiredOnSetup": _card("4000002500003155", "challenge on setup and on-session "
                                           "payments; off-session payments with the saved card succeed"),
    "threeDSecure2Required": _card("4000000000003220", "3-D Secure 2 challenge, succeeds after it"),
    "threeDSecureRequired": _card("4000000000003220", "3-D Secure challenge, succeeds after it"),
    "chargeDeclined": _card("4000000000000002", _DECLINED + "`generic_decline`"),
    "visa_chargeDeclined": _card("4000000000000002", _DECLINED + "`generic_decline`"),
    "chargeDeclinedInsufficientFunds": _card("4000000000009995", _DECLINED + "`insufficient_funds`"),
    "chargeDeclinedLostCard": _card("4000000000009987", _DECLINED + "`lost_card`"),
    "visa_chargeDeclinedLostCard": _card("4000000000009987", _DECLINED + "`lost_card`"),
    "chargeDeclinedStolenCard": _card("4000000000009979", _DECLINED + "`stolen_card`"),
    "visa_chargeDeclinedStolenCard": _card("4000000000009979", _DECLINED + "`stolen_card`"),
    "chargeDeclinedExpiredCard": _card("4000000000000069", "declined `expired_card`"),
    "chargeDeclinedIncorrectCvc": _card("4000000000000127", "declined `incorrect_cvc`"),
    "chargeDeclinedProcessingError": _card("4000000000000119", "declined `processing_error`"),
    "chargeCustomerFail": _card("4000000000000341", "saving (attach, SetupIntent) succeeds; every "
                                "charge " + _DECLINED + "`generic_decline`"),
}

UNMATCHED: dict[str, str] = {  # Stripe names with no paykeep card that behaves the same: why
    "diners": "paykeep has no Diners Club test card",
    "chargeDeclinedFraudulent": "no paykeep test card is declined `fraudulent`",
    "radarBlock": "no paykeep test card is blocked as fraudulent",
    "cvcCheckFail": "no paykeep test card fails its CVC check",
}


def _name(payment_method_id: str) -> str | None:
    for prefix in PREFIXES:
        if payment_method_id.startswith(prefix):
            return payment_method_id[len(prefix):]
    return None


def card_for(payment_method_id: str) -> StripeTestCard | None:
    """The test card a Stripe test id (`pm_card_visa`, `tok_visa`) stands for; None for any other id."""
    name = _name(payment_method_id)
    return CARDS.get(name) if name is not None else None


def unmatched(payment_method_id: str) -> str | None:
    """Why paykeep has no card for this Stripe test id (`pm_card_diners`); None if it is not one of those."""
    name = _name(payment_method_id)
    return UNMATCHED.get(name) if name is not None else None


class NoMatchingTestCard(ResourceMissing):
    """404 resource_missing for a Stripe test id paykeep has no matching test card for, saying so."""

    def __init__(self, payment_method_id: str, reason: str, param: str | None) -> None:
        InvalidRequest.__init__(
            self, f"No such PaymentMethod: '{payment_method_id}' ({reason}; the Stripe test payment methods "
                  "paykeep accepts are listed in docs/test-cards.md).", param=param)


# -- docs/test-cards.md's section "Stripe's test payment methods" -------------------------------------------
def markdown_section() -> str:
    """The section of docs/test-cards.md on these names (tests/api/test_stripe_test_payment_methods.py checks
    that the document has it as rendered here)."""
    lines = [
        "",
        "## Stripe's test payment methods",
        "",
        "<!-- Generated with the rest of this page (paykeep.domain.test_payment_methods' table) -->",
        "",
        "Test mode only. Stripe's test PaymentMethod ids and card tokens are accepted wherever a",
        "payment method id is: `POST /v1/payment_methods/{id}/attach` (the path id) and `payment_method`",
        "on SetupIntent and PaymentIntent create, update and confirm. Each use makes a fresh PaymentMethod",
        "of the paykeep test card below (its number goes to the vault as a card sent in",
        "`payment_method_data` does), with a new `pm_` id in the account's id form: that id is what every",
        "response shows and what to use from then on, never the name. The card expires in month",
        f"{EXP_MONTH} of the current year + {EXP_YEARS_AHEAD}; its CVC check passes.",
        "",
        "| PaymentMethod | token | paykeep card | brand, funding | Stripe documents (and this card does) |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| `pm_card_{name}` | `tok_{name}` | `{card.number}` | {card.brand}, {card.funding} "
              f"| {card.stripe_says} |" for name, card in CARDS.items()]
    lines += [
        "",
        "Not mapped (paykeep has no test card that does what Stripe documents for them): a 404",
        "`resource_missing` that says why.",
        "",
    ]
    lines += [f"- `pm_card_{name}` / `tok_{name}`: {reason}." for name, reason in UNMATCHED.items()]
    lines += [
        "",
        "With a live key these names are ordinary unknown ids: 404 `resource_missing`, as on Stripe.",
        "`GET /v1/payment_methods/pm_card_visa` is a 404 too (a read makes nothing; Stripe would answer",
        "with a new PaymentMethod): give the name to an attach or an intent, or create a card with",
        "`POST /v1/payment_methods`. Payment method ids are at most 40 characters, so Stripe's longer names",
        "(`pm_card_visa_chargeDeclinedInsufficientFunds`,",
        "`pm_card_authenticationRequiredChargeDeclinedInsufficientFunds`) are not accepted; the shorter",
        "`pm_card_chargeDeclinedInsufficientFunds` is.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m paykeep.domain.test_payment_methods --markdown")
    sys.stdout.write(markdown_section())
