"""The two dialects paykeep speaks (API.md §8): WooshPay's (the default) and Stripe's.

A dialect decides how objects are written out, never what is stored: records keep Unix milliseconds,
upper-case currencies and WooshPay's names, and `wire/dialects.py` writes them out in the caller's dialect.
Three things are decided when an object is made and kept: the form of a new id (`ids.IdFactory`), the
dialect of a webhook endpoint (its deliveries' bodies and signature header), and an event's `api_version`.
"""

from __future__ import annotations

import enum

from paykeep.domain.errors import ParameterInvalid

HEADER = "Paykeep-Dialect"
STRIPE_API_VERSION = "2024-06-20"  # what a Stripe-dialect account answers without a Stripe-Version header
MAX_VERSION_LENGTH = 20  # the api_version columns


class Dialect(enum.Enum):
    WOOSHPAY = "wooshpay"
    STRIPE = "stripe"

    @property
    def time_unit_ms(self) -> int:
        """Milliseconds in one unit of the dialect's timestamps (WooshPay: ms; Stripe: seconds)."""
        return 1000 if self is Dialect.STRIPE else 1

    @property
    def signature_header(self) -> str:
        return "Stripe-Signature" if self is Dialect.STRIPE else "Wooshpay-Signature"


DEFAULT = Dialect.WOOSHPAY
NAMES = tuple(d.value for d in Dialect)


def parse_dialect(value: str | None, *, param: str = HEADER) -> Dialect:
    """`wooshpay` / `stripe` (any case, surrounding spaces ignored); anything else is a 400 naming `param`."""
    text = (value or "").strip().lower()
    for dialect in Dialect:
        if dialect.value == text:
            return dialect
    raise ParameterInvalid(param, f"Invalid {param}: must be one of {', '.join(NAMES)}.")


def stripe_version(requested: str | None) -> str:
    """The Stripe API version a request names (`Stripe-Version`), else the account's. Any version is
    accepted, as unknown versions are not an error here; an over-long one is cut to the column's size."""
    text = (requested or "").strip()
    return text[:MAX_VERSION_LENGTH] if text else STRIPE_API_VERSION
