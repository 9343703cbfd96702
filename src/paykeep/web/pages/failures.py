"""What a cardholder reads when saving or paying with a card fails on a hosted page.

The API's messages are written for the merchant's developer ("The latest attempt to set up the payment method
has failed because authentication failed."); a hosted page says what happened and what to do next, in the
cardholder's words, from the error's `code` and `decline_code` (docs/test-cards.md lists what each test card
answers). Lost and stolen cards read as an ordinary decline, as card networks ask.
"""

from __future__ import annotations

DECLINED = "Your card was declined. Try another card, or contact your bank to find out why."
AUTHENTICATION_FAILED = ("Your bank could not confirm that it was you, so your card was not saved. "
                         "Try again, or use another card.")
GENERIC = "We could not save this card. Check your card details, or try another card."

# decline_code (the more precise) first, then code
_BY_CODE = {
    "insufficient_funds": "Your card was declined because of insufficient funds. Try another card.",
    "expired_card": "Your card has expired. Check the expiry date, or use another card.",
    "incorrect_cvc": ("The security code is incorrect. Check the 3 digits on the back of your card "
                      "(4 on the front for American Express) and try again."),
    "processing_error": ("Something went wrong while checking your card, and nothing was saved. "
                         "Please try again in a moment."),
    "authentication_required": ("Your bank needs you to confirm this card. Try again and complete the "
                                "verification step."),
    "setup_intent_authentication_failure": AUTHENTICATION_FAILED,
    "payment_intent_authentication_failure": AUTHENTICATION_FAILED,
    "live_mode_unavailable": "This merchant cannot accept cards right now. Nothing was saved.",
    "incorrect_number": "Your card number is incorrect. Check it and try again.",
    "invalid_number": "Your card number is incorrect. Check it and try again.",
    "invalid_expiry_month": "The expiry month is not valid. Check it and try again.",
    "invalid_expiry_year": "The expiry year is not valid. Check it and try again.",
    "invalid_cvc": "The security code is not valid. Check it and try again.",
    "card_declined": DECLINED,
    "generic_decline": DECLINED,
    "lost_card": DECLINED,
    "stolen_card": DECLINED,
    "do_not_honor": DECLINED,
    "fraudulent": DECLINED,
}


def cardholder_message(code: str | None, decline_code: str | None = None) -> str:
    """The page's message for an error of this code (and decline code); a general one for any other."""
    for key in (decline_code, code):
        if key and key in _BY_CODE:
            return _BY_CODE[key]
    return GENERIC
