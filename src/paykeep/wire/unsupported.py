"""The parameters of Stripe's API that paykeep refuses on purpose (API.md §9), and why: ONE table.

A request that carries one is answered 400 `invalid_request_error`, code `parameter_unsupported`, `param` the
outermost refused name (`transfer_data[destination]` -> `transfer_data`) and the message
"Received unsupported parameter: <param>. <reason>" (`domain.errors.ParameterUnsupported`).

The table is consulted only on the error path: `web/api/params.py` asks `refused()` when pydantic has already
refused a key with `extra_forbidden` (a key that is not a field of the model at that place), so a parameter
paykeep accepts is never refused by it, and a request without unknown keys costs nothing more.

To refuse another parameter: add a row to REFUSED_NAMES (a key name, `prefix*` or `*part*`, matched at any
depth) with its reason; a payment method type's hash is refused by PAYMENT_METHOD_TYPES, wherever the hash
beside it takes `card` or its parent is one of BY_PAYMENT_METHOD_TYPE. Then re-run
`python tools/stripe_oracle.py`: docs/compatibility.md shows the row as `refused: parameter_unsupported`."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

CONNECT = "Connect is not offered: paykeep is one merchant's own processor, with no connected accounts"
RADAR = "Radar is not offered: paykeep has no fraud-screening rules"
TERMINAL = "Terminal (card-present) is not offered: paykeep takes card-not-present payments only"
NON_CARD = "paykeep takes cards only: no other payment method type"
SUBSCRIPTIONS = "paykeep has no subscriptions or billing: prices are one-time, per unit, in one currency"
TAX = "Stripe Tax is not offered: paykeep computes no taxes"

# A key name (exact), a `prefix*` or a `*part*`, at any depth -> why it is refused. First match wins.
REFUSED_NAMES: tuple[tuple[str, str], ...] = (
    # Connect
    ("on_behalf_of", CONNECT),
    ("transfer_data", CONNECT),
    ("transfer_group", CONNECT),
    ("application_fee_amount", CONNECT),
    ("application_fee", CONNECT),
    ("refund_application_fee", CONNECT),
    ("reverse_transfer", CONNECT),
    ("connected_account*", CONNECT),
    ("customer_account", CONNECT + " (Accounts v2: use `customer`)"),
    # Radar
    ("radar_options", RADAR),
    ("fraud_details*", RADAR),
    # Billing: recurring, tiered, metered, multi-currency and customer-chosen prices
    ("recurring", SUBSCRIPTIONS),
    ("tiers", SUBSCRIPTIONS),
    ("tiers_mode", SUBSCRIPTIONS),
    ("transform_quantity", SUBSCRIPTIONS),
    ("custom_unit_amount", SUBSCRIPTIONS),
    ("currency_options", SUBSCRIPTIONS),
    # Stripe Tax
    ("tax_code", TAX),
    ("tax_details", TAX),
    ("tax_rates", TAX),
    # Checkout
    ("adjustable_quantity", "paykeep's hosted Checkout page sells the quantities the session lists: the "
                            "customer cannot change them"),
    # Terminal (before the payment method types: `payment_method_options[card_present]` is Terminal's)
    ("*card_present*", TERMINAL),
    ("*interac_present*", TERMINAL),
)

# Every payment method type stripe 16.1.0 names (its params' `type` / `payment_method_types` enums and
# `PaymentMethod.type`, with `card_present` and `interac_present`), pasted from a one-off run of
# tools/stripe_oracle.py's `pm_types` (the server never imports `stripe`). Only `card` is taken.
PAYMENT_METHOD_TYPES: frozenset[str] = frozenset({
    "acss_debit", "affirm", "afterpay_clearpay", "alipay", "alma", "amazon_pay", "au_becs_debit",
    "bacs_debit", "bancontact", "billie", "bizum", "blik", "boku_promptpay", "boleto", "capchase_pay",
    "card", "card_present", "cashapp", "check_scan", "click_to_pay", "crypto", "custom",
    "customer_balance", "demo_pay", "duitnow", "dummy_auth_push", "dummy_passthrough_card", "edenred",
    "eps", "fpx", "gcash", "getbalance", "gift_card", "giropay", "gopay", "grabpay", "id_bank_transfer",
    "ideal", "interac_present", "kakao_pay", "klarna", "knet", "konbini", "kr_card", "kr_market",
    "kriya", "link", "mb_way", "mobilepay", "momo", "mondu", "multibanco", "naver_pay", "netbanking",
    "ng_bank", "ng_bank_transfer", "ng_card", "ng_market", "ng_ussd", "ng_wallet", "nz_bank_account",
    "octopus", "oxxo", "p24", "paper_check", "pay_by_bank", "payco", "paynow", "paypal", "paypay",
    "payto", "pix", "promptpay", "qris", "rechnung", "revolut_pay", "samsung_pay", "satispay",
    "scalapay", "sepa_debit", "sequra", "shop_pay", "shopeepay", "sofort", "south_korea_market",
    "stripe_balance", "sunbit", "swish", "tamara", "test_pay", "touch_n_go", "truemoney", "twint",
    "upi", "us_bank_account", "us_cash_voucher", "vipps", "wechat_pay", "wero", "zip",
})
ACCEPTED_PAYMENT_METHOD_TYPE = "card"
# Stripe's hashes with one key per payment method type (also where paykeep has no model for the hash).
BY_PAYMENT_METHOD_TYPE = frozenset({
    "payment_method_options", "payment_method_data", "payment_method_details"})
FREE_FORM = frozenset({"metadata"})  # keys the merchant chooses: never read as parameter names
MAX_DEPTH = 10  # web/api/forms.py refuses deeper nesting anyway

Path = tuple[str | int, ...]  # keys from the outermost; an int is an array position


def _matcher(pattern: str) -> typing.Callable[[str], bool]:
    core = pattern.strip("*")
    if pattern.startswith("*") and pattern.endswith("*"):
        return lambda name: core in name
    if pattern.endswith("*"):
        return lambda name: name.startswith(core)
    return lambda name: name == pattern


_MATCHERS = tuple((_matcher(pattern), reason) for pattern, reason in REFUSED_NAMES)


def reason_for(path: Sequence[str | int], *, beside_card: bool = False) -> str | None:
    """Why paykeep refuses the parameter at `path`, or None. `beside_card`: the hash holding it takes `card`
    (so its other keys named after a payment method type are that type's hash)."""
    name = path[-1] if path else None
    if not isinstance(name, str):
        return None
    for matches, reason in _MATCHERS:
        if matches(name):
            return reason
    if name in PAYMENT_METHOD_TYPES and name != ACCEPTED_PAYMENT_METHOD_TYPE:
        parent = next((p for p in reversed(path[:-1]) if isinstance(p, str)), None)
        if beside_card or parent in BY_PAYMENT_METHOD_TYPE:
            return NON_CARD
    return None


def refused(model: type[BaseModel], path: Path, value: Any) -> tuple[Path, str] | None:
    """For a key pydantic refused as unknown (`extra_forbidden` at `path` of `model`, holding `value`): the
    outermost parameter at or inside it that paykeep refuses on purpose, with the reason; None when the key
    is simply unknown. A name the model takes at that place is never refused."""
    holder = _model_at(model, path[:-1])
    if holder is not None and path and path[-1] in holder.model_fields:
        return None
    beside_card = holder is not None and ACCEPTED_PAYMENT_METHOD_TYPE in holder.model_fields
    return _first_refused(path, value, beside_card, 0)


def _first_refused(path: Path, value: Any, beside_card: bool, depth: int) -> tuple[Path, str] | None:
    reason = reason_for(path, beside_card=beside_card)
    if reason is not None:
        return path, reason
    if depth >= MAX_DEPTH or (path and path[-1] in FREE_FORM):
        return None
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        found = _first_refused((*path, key), item, False, depth + 1)
        if found is not None:
            return found
    return None


def _model_at(model: type[BaseModel], path: Path) -> type[BaseModel] | None:
    """The model that validates the hash at `path` (None when no model does: an unknown hash, a dict)."""
    current: type[BaseModel] | None = model
    for key in path:
        if isinstance(key, int):
            continue  # an array's item: its model came with the array's field
        field = current.model_fields.get(key) if current is not None else None
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    pending = [annotation]
    while pending:
        tp = pending.pop(0)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
        pending.extend(typing.get_args(tp))
    return None
