"""Helpers for the save-card tests: the test-card table of API.md §4.1, the seed's request, form encoding."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

RETURN_URL = "https://shop.example/saved?from=test"
# A CVC or a group of card digits counts as shown where it stands as a value of its own: JSON, form, query,
# HTML or log text around it. (Delimiters keep digits from "matching" inside ids, timestamps, tokens, binary.)
_BEFORE = "\"':=\\s\\[{,(>"
_AFTER = "\"'&,}\\]\\s)<;"


def standalone(digits: str) -> re.Pattern[str]:
    """`digits` as a value of its own (see _BEFORE/_AFTER), not as part of a longer word or number."""
    return re.compile(f"(?:^|(?<=[{_BEFORE}])){re.escape(digits)}(?=[{_AFTER}]|$)")


def shows_card_digits(text: str, number: str) -> bool:
    """Whether `text` shows `number`: whole, in fours, or its first or last four digits standing alone."""
    spaced = " ".join(number[i:i + 4] for i in range(0, len(number), 4))
    ends = (number[:4], number[-4:])
    return number in text or spaced in text or any(standalone(part).search(text) for part in ends)


# The seed's step-2 request, character for character (save-payment-method-direct-api.md).
SEED_REQUEST = """{
  "confirm": true,
  "customer": "cus_1838767497487056896",
  "payment_method_types": ["card"],
  "payment_method_data": {
    "type": "card",
    "card": {
      "exp_month": "04",
      "exp_year": "2027",
      "number": "4761344136141390",
      "cvc": "022",
      "name": "XX XXX"
    }
  },
  "usage": "on_session",
  "return_url": "https://yourwebsite.com"
}"""


def seed_request(customer_id: str, number: str) -> str:
    """The seed's JSON text with only the customer id and the card number swapped. (Once its 04/2027 expiry is
    in the past the year moves on too, or the request could only ever fail the expiry check.)"""
    text = SEED_REQUEST.replace("cus_1838767497487056896", customer_id).replace("4761344136141390", number)
    now = datetime.now(UTC)
    if (now.year, now.month) > (2027, 4):
        text = text.replace('"2027"', f'"{now.year + 1}"')
    return text


def form_pairs(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's bracket notation: {"a": {"b": [1]}} -> [("a[b][0]", "1")]."""
    if isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        for key, item in value.items():
            pairs += form_pairs(item, f"{prefix}[{key}]" if prefix else str(key))
        return pairs
    if isinstance(value, list):
        return [pair for i, item in enumerate(value) for pair in form_pairs(item, f"{prefix}[{i}]")]
    if isinstance(value, bool):
        return [(prefix, "true" if value else "false")]
    return [(prefix, str(value))]


def post(api: httpx.Client, path: str, body: dict[str, Any], encoding: str = "json",
         headers: dict[str, str] | None = None) -> httpx.Response:
    """POST the same parameters as a JSON body or as a form body."""
    if encoding == "json":
        return api.post(path, content=json.dumps(body),
                        headers={"Content-Type": "application/json", **(headers or {})})
    return api.post(path, content=urlencode(form_pairs(body)),
                    headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})


def card(number: str, **overrides: Any) -> dict[str, Any]:
    values = {"number": number, "exp_month": "04", "exp_year": str(datetime.now(UTC).year + 3),
              "cvc": "1234" if number.startswith(("34", "37")) else "022", "name": "Test Holder"}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def luhn_complete(prefix: str) -> str:
    """`prefix` + the check digit that makes it pass the Luhn check."""
    for check in "0123456789":
        digits = prefix + check
        total = sum(int(d) if i % 2 == 0 else (int(d) * 2 - 9 if int(d) > 4 else int(d) * 2)
                    for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def random_visa(rng: random.Random | None = None) -> str:
    """A Luhn-valid 16-digit Visa number that is not in the test-card table (frictionless)."""
    rng = rng or random.Random()
    return luhn_complete("4" + "".join(rng.choice("0123456789") for _ in range(14)))


@dataclass(frozen=True)
class Row:
    """One row of API.md §4.1: the card (or a form mistake) and what confirming a SetupIntent gives."""

    label: str
    card: dict[str, Any]
    http: int
    status: str | None  # the intent's status (on the 402, the embedded intent's)
    code: str | None = None
    decline_code: str | None = None
    param: str | None = None

    @property
    def challenge(self) -> bool:
        return self.status == "requires_action"


FRICTIONLESS = ("4111111111111111", "4242424242424242", "4761344136141390", "5555555555554444",
                "378282246310005", "6011111111111117", "3566002020360505", "6200000000000005")
CHALLENGE = ("4462030000000000", "4000002500003155", "4000002760003184", "4000000000003220",
             "4000008260003178")
DECLINES = {
    "4000000000000002": ("card_declined", "generic_decline"),
    "4000000000009995": ("card_declined", "insufficient_funds"),
    "4000000000009987": ("card_declined", "lost_card"),
    "4000000000009979": ("card_declined", "stolen_card"),
    "4000000000000069": ("expired_card", "expired_card"),
    "4000000000000127": ("incorrect_cvc", "incorrect_cvc"),
    "4000000000000119": ("processing_error", "processing_error"),
}

TABLE: list[Row] = [
    *(Row(n, card(n), 200, "succeeded") for n in FRICTIONLESS),
    *(Row(n, card(n), 200, "requires_action") for n in CHALLENGE),
    *(Row(n, card(n), 402, "requires_payment_method", code, decline)
      for n, (code, decline) in DECLINES.items()),
    Row("4000000000000341", card("4000000000000341"), 200, "succeeded"),
    Row("luhn-failure", card("4242424242424241"), 402, "requires_payment_method", "incorrect_number",
        param="number"),
    Row("month-13", card("4242424242424242", exp_month="13"), 402, "requires_payment_method",
        "invalid_expiry_month", param="exp_month"),
    Row("past-year", card("4242424242424242", exp_year="2020"), 402, "requires_payment_method",
        "invalid_expiry_year", param="exp_year"),
    Row("2-digit-cvc", card("4242424242424242", cvc="12"), 402, "requires_payment_method", "invalid_cvc",
        param="cvc"),
    Row("other-luhn-valid", card(random_visa(random.Random(4242))), 200, "succeeded"),
]
