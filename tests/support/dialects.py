"""The dialect a test's server speaks (API.md §8), and what a test needs to assert values rendered in it.

tests/conftest.py runs every test under tests/api once per dialect named in PAYKEEP_TEST_DIALECTS (default
`wooshpay,stripe`; ids `test_x[wooshpay]`, `test_x[stripe]`): the `server` and `fresh_server` fixtures start
`paykeep init` / `paykeep serve` with PAYKEEP_DIALECT=<dialect>, so the account answers in it by default, and
the `dialect` fixture is a `Dialect` of the same name:

    def test_created_is_now(api, dialect):
        body = api.post("/v1/customers").json()
        assert re.fullmatch(dialect.id_re("cus"), body["id"])
        assert abs(body["created"] - dialect.now()) <= dialect.ts(60_000)
        assert body["currency"] == dialect.currency("usd")

Tests elsewhere (tests/integration, tests/browser, ...) run in the WooshPay dialect only, unless they ask:
`@pytest.mark.dialects("wooshpay", "stripe")` (any test, any folder; under tests/api it narrows the list),
or `@pytest.mark.parametrize("dialect_name", ["stripe"], indirect=True)`.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Any

WOOSHPAY = "wooshpay"
STRIPE = "stripe"
NAMES = (WOOSHPAY, STRIPE)
DEFAULT = WOOSHPAY
ENV = "PAYKEEP_TEST_DIALECTS"

# The objects of the API: a Stripe-dialect request mints their ids in Stripe's form (API.md §8 "new ids");
# requests (`req_`), challenges (`tds_`), deliveries (`wd_`), accounts and users keep 19 digits in both.
STRIPE_FORM_PREFIXES = frozenset(("cus", "pm", "seti", "pi", "re", "ch", "evt", "we", "cs", "prod", "price"))
STRIPE_API_VERSION = "2024-06-20"  # what an event or endpoint says without a Stripe-Version header


def selected() -> tuple[str, ...]:
    """The dialects this run tests, from PAYKEEP_TEST_DIALECTS (comma-separated; default both)."""
    raw = os.environ.get(ENV, "").strip() or ",".join(NAMES)
    names = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    unknown = [name for name in names if name not in NAMES]
    if unknown or not names:
        raise ValueError(f"{ENV}={raw!r}: each name must be one of {', '.join(NAMES)}")
    return names


def check(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Names given to @pytest.mark.dialects or a dialect_name parametrisation, checked."""
    unknown = [name for name in names if name not in NAMES]
    if unknown or not names:
        raise ValueError(f"dialects {list(names)!r}: each name must be one of {', '.join(NAMES)}")
    return tuple(names)


@dataclass(frozen=True)
class Dialect:
    """How a server in this dialect writes values out (what a test expects to read)."""

    name: str

    def __post_init__(self) -> None:
        check([self.name])

    @property
    def is_stripe(self) -> bool:
        return self.name == STRIPE

    # -- time ------------------------------------------------------------------------------------------
    @property
    def unit_ms(self) -> int:
        """Milliseconds in one unit of the dialect's timestamps: 1 (WooshPay, ms) or 1000 (Stripe, s)."""
        return 1000 if self.is_stripe else 1

    def ts(self, ms: int) -> int:
        """A time (or a duration) in Unix ms, in the dialect's unit; seconds are rounded down, as the
        server renders them."""
        return ms // self.unit_ms

    def now(self) -> int:
        """The current time in the dialect's unit."""
        return self.ts(time.time_ns() // 1_000_000)

    def to_ms(self, value: int) -> int:
        """A rendered time back in Unix ms (the start of that second, in Stripe's dialect)."""
        return value * self.unit_ms

    # -- values ----------------------------------------------------------------------------------------
    def currency(self, code: str) -> str:
        """`usd` -> `USD` (WooshPay) or `usd` (Stripe)."""
        return code.lower() if self.is_stripe else code.upper()

    def id_re(self, prefix: str) -> re.Pattern[str]:
        """The form of an id newly minted with `prefix` in this dialect (use with `re.fullmatch`): prefix +
        19 digits (WooshPay), prefix + the 19 digits + 5 letters or digits (Stripe, for the API's objects)."""
        suffix = "[0-9A-Za-z]{5}" if self.is_stripe and prefix in STRIPE_FORM_PREFIXES else ""
        return re.compile(rf"\A{re.escape(prefix)}_[0-9]{{19}}{suffix}\Z")

    @property
    def next_action_type(self) -> str:
        """`next_action.type` of an intent waiting for its 3-D Secure challenge (with a return_url)."""
        return "redirect_to_url" if self.is_stripe else "challenge_redirect"

    def challenge_url(self, intent: dict[str, Any]) -> str:
        """The challenge page's URL in an intent's `next_action`, whichever dialect wrote it."""
        next_action = intent["next_action"]
        assert next_action["type"] == self.next_action_type, next_action
        return str(next_action[self.next_action_type]["url"])

    @property
    def request_three_d_secure_default(self) -> str:
        """`payment_method_options.card.request_three_d_secure` when not asked for."""
        return "automatic" if self.is_stripe else "auto"

    @property
    def signature_header(self) -> str:
        """The header a webhook delivery is signed in (the `t=...,v1=...` value is the same in both)."""
        return "Stripe-Signature" if self.is_stripe else "Wooshpay-Signature"

    @property
    def header(self) -> dict[str, str]:
        """The request header asking for this dialect in one request, whatever the account's default."""
        return {"Paykeep-Dialect": self.name}

    def __str__(self) -> str:
        return self.name
