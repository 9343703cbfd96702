#!/usr/bin/env python3
"""The Stripe oracle (API.md Part II and §9, issue 14): what the pinned `stripe` Python package says Stripe's
API is, set against what paykeep does today.

    python tools/stripe_oracle.py            write docs/compatibility.md and tests/contract/oracle.json
    python tools/stripe_oracle.py --check    exit 1 (saying which) when either committed file is stale
    python tools/stripe_oracle.py --out DIR  write both under DIR instead (DIR/docs/…, DIR/tests/…)

The oracle side comes from `stripe` 16.1.0 (pinned in pyproject.toml's test extra): the typed request
parameters `stripe.params.<Resource><Method>Params` (TypedDicts, walked through NotRequired, Literal, List,
Dict, Union and nested TypedDicts) and the resource annotations (`stripe.SetupIntent.__annotations__` and
its nested StripeObject classes).

The paykeep side is computed, never written by hand:
- the endpoints are the app's own /v1 routes (`paykeep.web.app.create_app`, no server, no database), each
  mapped to its Stripe method by ROUTES below (a route that is in neither ROUTES nor PAYKEEP_ONLY stops
  the script: say what it is);
- each route's request model is the pydantic model its handler validates (`api.params(Model)`, …, read from
  the handler's source), and a parameter's treatment is what that model does with a well-typed value of it,
  alone, read the way the server reads it (`paykeep.web.api.params.validate`): a 400 `parameter_unknown` at
  the parameter (or at a hash above it) is a parameter paykeep does not know; a 400 `parameter_unsupported`
  (wire/unsupported.py's table, a validator's `PydanticCustomError("parameter_unsupported", …)`, or any
  exception with `code == "parameter_unsupported"`) is a deliberate refusal whose reason is shown; anything
  else means the model accepts the parameter (a check of the value or a missing required parameter beside
  it is not a refusal of the parameter);
- the response fields are the keys of the objects a short in-process flow produces (an app on a temporary
  SQLite file, driven through httpx's ASGI transport: customers, cards, setup and payment intents, a
  decline, a 3-D Secure challenge, capture, refund, Checkout, a webhook endpoint, the events), in each
  dialect (`Paykeep-Dialect` header).

PLANNED holds what is decided but not built yet: parameters to refuse with `parameter_unsupported` (and
why) and parameters API.md §9 says to honour. It only fills the "plan" column; the treatment column is
always measured.

The output is sorted and carries no timestamps, so it only changes when paykeep or the mapping changes.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import importlib
import inspect
import json
import re
import sys
import tempfile
import textwrap
import types
import typing
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = Path("docs/compatibility.md")
DATA = Path("tests/contract/oracle.json")
STRIPE_VERSION = "16.1.0"
MAX_DEPTH = 4  # a[b][c][d]: deeper hashes are one row ("… nested parameters not listed")
MAX_ENUM = 8  # longer enums are shortened: "enum: a, b, … (57 values)"
DIALECTS = ("wooshpay", "stripe")

# -- the mapping: paykeep's routes → Stripe's methods (path parameters written {id}) -------------------------
# (method, path) → (params class under stripe.params, the SDK call)
ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/v1/customers"): ("CustomerCreateParams", "stripe.Customer.create"),
    ("GET", "/v1/customers"): ("CustomerListParams", "stripe.Customer.list"),
    ("GET", "/v1/customers/{id}"): ("CustomerRetrieveParams", "stripe.Customer.retrieve"),
    ("POST", "/v1/customers/{id}"): ("CustomerModifyParams", "stripe.Customer.modify"),
    ("DELETE", "/v1/customers/{id}"): ("CustomerDeleteParams", "stripe.Customer.delete"),
    ("GET", "/v1/customers/{id}/payment_methods"):
        ("CustomerListPaymentMethodsParams", "stripe.Customer.list_payment_methods"),
    ("GET", "/v1/customers/{id}/payment_methods/{id}"):
        ("CustomerRetrievePaymentMethodParams", "stripe.Customer.retrieve_payment_method"),
    ("GET", "/v1/customers/search"): ("CustomerSearchParams", "stripe.Customer.search"),
    ("POST", "/v1/payment_methods"): ("PaymentMethodCreateParams", "stripe.PaymentMethod.create"),
    ("GET", "/v1/payment_methods"): ("PaymentMethodListParams", "stripe.PaymentMethod.list"),
    ("GET", "/v1/payment_methods/{id}"): ("PaymentMethodRetrieveParams", "stripe.PaymentMethod.retrieve"),
    ("POST", "/v1/payment_methods/{id}"): ("PaymentMethodModifyParams", "stripe.PaymentMethod.modify"),
    ("POST", "/v1/payment_methods/{id}/attach"): ("PaymentMethodAttachParams", "stripe.PaymentMethod.attach"),
    ("POST", "/v1/payment_methods/{id}/detach"): ("PaymentMethodDetachParams", "stripe.PaymentMethod.detach"),
    ("POST", "/v1/setup_intents"): ("SetupIntentCreateParams", "stripe.SetupIntent.create"),
    ("GET", "/v1/setup_intents"): ("SetupIntentListParams", "stripe.SetupIntent.list"),
    ("GET", "/v1/setup_intents/{id}"): ("SetupIntentRetrieveParams", "stripe.SetupIntent.retrieve"),
    ("POST", "/v1/setup_intents/{id}"): ("SetupIntentModifyParams", "stripe.SetupIntent.modify"),
    ("POST", "/v1/setup_intents/{id}/confirm"): ("SetupIntentConfirmParams", "stripe.SetupIntent.confirm"),
    ("POST", "/v1/setup_intents/{id}/cancel"): ("SetupIntentCancelParams", "stripe.SetupIntent.cancel"),
    ("GET", "/v1/setup_attempts"): ("SetupAttemptListParams", "stripe.SetupAttempt.list"),
    ("POST", "/v1/payment_intents"): ("PaymentIntentCreateParams", "stripe.PaymentIntent.create"),
    ("GET", "/v1/payment_intents"): ("PaymentIntentListParams", "stripe.PaymentIntent.list"),
    ("GET", "/v1/payment_intents/search"): ("PaymentIntentSearchParams", "stripe.PaymentIntent.search"),
    ("GET", "/v1/payment_intents/{id}"): ("PaymentIntentRetrieveParams", "stripe.PaymentIntent.retrieve"),
    ("POST", "/v1/payment_intents/{id}"): ("PaymentIntentModifyParams", "stripe.PaymentIntent.modify"),
    ("POST", "/v1/payment_intents/{id}/confirm"):
        ("PaymentIntentConfirmParams", "stripe.PaymentIntent.confirm"),
    ("POST", "/v1/payment_intents/{id}/capture"):
        ("PaymentIntentCaptureParams", "stripe.PaymentIntent.capture"),
    ("POST", "/v1/payment_intents/{id}/cancel"): ("PaymentIntentCancelParams", "stripe.PaymentIntent.cancel"),
    ("POST", "/v1/payment_intents/{id}/increment_authorization"):
        ("PaymentIntentIncrementAuthorizationParams", "stripe.PaymentIntent.increment_authorization"),
    ("GET", "/v1/charges"): ("ChargeListParams", "stripe.Charge.list"),
    ("GET", "/v1/charges/search"): ("ChargeSearchParams", "stripe.Charge.search"),
    ("GET", "/v1/charges/{id}"): ("ChargeRetrieveParams", "stripe.Charge.retrieve"),
    ("POST", "/v1/charges/{id}"): ("ChargeModifyParams", "stripe.Charge.modify"),
    ("POST", "/v1/charges/{id}/capture"): ("ChargeCaptureParams", "stripe.Charge.capture"),
    ("POST", "/v1/refunds"): ("RefundCreateParams", "stripe.Refund.create"),
    ("GET", "/v1/refunds"): ("RefundListParams", "stripe.Refund.list"),
    ("GET", "/v1/refunds/{id}"): ("RefundRetrieveParams", "stripe.Refund.retrieve"),
    ("POST", "/v1/refunds/{id}"): ("RefundModifyParams", "stripe.Refund.modify"),
    ("POST", "/v1/refunds/{id}/cancel"): ("RefundCancelParams", "stripe.Refund.cancel"),
    ("GET", "/v1/mandates/{id}"): ("MandateRetrieveParams", "stripe.Mandate.retrieve"),
    ("POST", "/v1/checkout/sessions"): ("checkout.SessionCreateParams", "stripe.checkout.Session.create"),
    ("GET", "/v1/checkout/sessions"): ("checkout.SessionListParams", "stripe.checkout.Session.list"),
    ("GET", "/v1/checkout/sessions/{id}"):
        ("checkout.SessionRetrieveParams", "stripe.checkout.Session.retrieve"),
    ("POST", "/v1/checkout/sessions/{id}"):
        ("checkout.SessionModifyParams", "stripe.checkout.Session.modify"),
    ("POST", "/v1/checkout/sessions/{id}/expire"):
        ("checkout.SessionExpireParams", "stripe.checkout.Session.expire"),
    ("GET", "/v1/checkout/sessions/{id}/line_items"):
        ("checkout.SessionListLineItemsParams", "stripe.checkout.Session.list_line_items"),
    ("POST", "/v1/products"): ("ProductCreateParams", "stripe.Product.create"),
    ("GET", "/v1/products"): ("ProductListParams", "stripe.Product.list"),
    ("GET", "/v1/products/search"): ("ProductSearchParams", "stripe.Product.search"),
    ("GET", "/v1/products/{id}"): ("ProductRetrieveParams", "stripe.Product.retrieve"),
    ("POST", "/v1/products/{id}"): ("ProductModifyParams", "stripe.Product.modify"),
    ("DELETE", "/v1/products/{id}"): ("ProductDeleteParams", "stripe.Product.delete"),
    ("POST", "/v1/prices"): ("PriceCreateParams", "stripe.Price.create"),
    ("GET", "/v1/prices"): ("PriceListParams", "stripe.Price.list"),
    ("GET", "/v1/prices/search"): ("PriceSearchParams", "stripe.Price.search"),
    ("GET", "/v1/prices/{id}"): ("PriceRetrieveParams", "stripe.Price.retrieve"),
    ("POST", "/v1/prices/{id}"): ("PriceModifyParams", "stripe.Price.modify"),
    ("POST", "/v1/webhook_endpoints"): ("WebhookEndpointCreateParams", "stripe.WebhookEndpoint.create"),
    ("GET", "/v1/webhook_endpoints"): ("WebhookEndpointListParams", "stripe.WebhookEndpoint.list"),
    ("GET", "/v1/webhook_endpoints/{id}"):
        ("WebhookEndpointRetrieveParams", "stripe.WebhookEndpoint.retrieve"),
    ("POST", "/v1/webhook_endpoints/{id}"): ("WebhookEndpointModifyParams", "stripe.WebhookEndpoint.modify"),
    ("DELETE", "/v1/webhook_endpoints/{id}"):
        ("WebhookEndpointDeleteParams", "stripe.WebhookEndpoint.delete"),
    ("GET", "/v1/events"): ("EventListParams", "stripe.Event.list"),
    ("GET", "/v1/events/{id}"): ("EventRetrieveParams", "stripe.Event.retrieve"),
    ("POST", "/v1/test_helpers/test_clocks"):
        ("test_helpers.TestClockCreateParams", "stripe.test_helpers.TestClock.create"),
    ("GET", "/v1/test_helpers/test_clocks"):
        ("test_helpers.TestClockListParams", "stripe.test_helpers.TestClock.list"),
    ("GET", "/v1/test_helpers/test_clocks/{id}"):
        ("test_helpers.TestClockRetrieveParams", "stripe.test_helpers.TestClock.retrieve"),
    ("DELETE", "/v1/test_helpers/test_clocks/{id}"):
        ("test_helpers.TestClockDeleteParams", "stripe.test_helpers.TestClock.delete"),
    ("POST", "/v1/test_helpers/test_clocks/{id}/advance"):
        ("test_helpers.TestClockAdvanceParams", "stripe.test_helpers.TestClock.advance"),
}

# /v1 routes with no Stripe method: listed in the doc, not measured against the oracle.
PAYKEEP_ONLY: dict[tuple[str, str], str] = {
    ("POST", "/v1/checkout/sessions/setup"): "WooshPay's setup-mode path (the seed's); `mode` may be omitted",
    ("GET", "/v1/webhook_endpoints/{id}/attempts"): "paykeep's delivery attempts of one endpoint",
    ("GET", "/v1/test_helpers/events/stream"):
        "the account's events as server-sent events, for `paykeep listen` (docs/testing-your-integration.md)",
}

# Objects whose fields the oracle lists: `object` value → the stripe class.
RESOURCES: dict[str, str] = {
    "charge": "Charge",
    "checkout.session": "checkout.Session",
    "customer": "Customer",
    "event": "Event",
    "mandate": "Mandate",
    "payment_intent": "PaymentIntent",
    "payment_method": "PaymentMethod",
    "price": "Price",
    "product": "Product",
    "refund": "Refund",
    "setup_attempt": "SetupAttempt",
    "setup_intent": "SetupIntent",
    "webhook_endpoint": "WebhookEndpoint",
}

# -- decided, not built yet: (endpoint glob, parameter glob, plan, why). First match wins. -------------------
# The endpoint is "METHOD /v1/path" as in ROUTES; parameters in bracket notation, arrays as `[]`.
_CONNECT = "Connect is not offered: paykeep is one merchant's own processor, with no connected accounts"
_RADAR = "Radar is not offered: paykeep has no fraud-screening rules"
_TERMINAL = "Terminal (card-present) is not offered: paykeep takes card-not-present payments only"
_NON_CARD = "paykeep takes cards only: no other payment method type"
_SECTION_9 = "honour (API.md §9)"
UNSUPPORTED, HONOUR = "parameter_unsupported", "honour"
PLANNED: list[tuple[str, str, str, str]] = [
    # Connect
    ("*", "on_behalf_of", UNSUPPORTED, _CONNECT),
    ("*", "*[on_behalf_of]", UNSUPPORTED, _CONNECT),
    ("*", "transfer_data", UNSUPPORTED, _CONNECT),
    ("*", "transfer_data[*", UNSUPPORTED, _CONNECT),
    ("*", "*[transfer_data]*", UNSUPPORTED, _CONNECT),
    ("*", "transfer_group", UNSUPPORTED, _CONNECT),
    ("*", "*[transfer_group]", UNSUPPORTED, _CONNECT),
    ("*", "application_fee_amount", UNSUPPORTED, _CONNECT),
    ("*", "*[application_fee_amount]", UNSUPPORTED, _CONNECT),
    ("*", "application_fee", UNSUPPORTED, _CONNECT),
    ("*", "refund_application_fee", UNSUPPORTED, _CONNECT),
    ("*", "reverse_transfer", UNSUPPORTED, _CONNECT),
    ("*", "connected_account*", UNSUPPORTED, _CONNECT),
    ("*", "customer_account", UNSUPPORTED, _CONNECT + " (Accounts v2: use `customer`)"),
    # Radar
    ("*", "radar_options", UNSUPPORTED, _RADAR),
    ("*", "radar_options[*", UNSUPPORTED, _RADAR),
    ("*", "*[radar_options]*", UNSUPPORTED, _RADAR),
    ("*", "fraud_details*", UNSUPPORTED, _RADAR),
    # Terminal (the card_present / interac_present rows are also other payment method types)
    ("*", "*card_present*", UNSUPPORTED, _TERMINAL),
    ("*", "*interac_present*", UNSUPPORTED, _TERMINAL),
    # API.md §9's list of parameters to honour with Stripe's behaviour
    ("*", "allowed_payment_method_types", HONOUR,
     "honour: stripe 16's name for `payment_method_types` (which paykeep takes): `card` only"),
    ("*", "automatic_payment_methods*", HONOUR, _SECTION_9 + ": cards only"),
    ("*", "allow_redisplay", HONOUR, _SECTION_9),
    ("*", "*[allow_redisplay]", HONOUR, _SECTION_9),
    ("*", "error_on_requires_action", HONOUR, _SECTION_9),
    ("*", "mandate_data*", HONOUR, _SECTION_9 + ": makes a `mandate` object"),
    ("*", "single_use*", HONOUR, _SECTION_9),
    ("*", "attach_to_self", HONOUR, _SECTION_9),
    ("*", "use_stripe_sdk", HONOUR, _SECTION_9),
    ("*", "confirmation_method", HONOUR, _SECTION_9),
    ("POST /v1/customers", "payment_method", HONOUR, _SECTION_9),
    ("*", "invoice_settings[default_payment_method]", HONOUR, _SECTION_9),
    ("*", "payment_method_options[card][network]", HONOUR, _SECTION_9),
    ("*", "payment_method_options[card][request_incremental_authorization]", HONOUR, _SECTION_9),
    ("*", "payment_method_options[card][request_extended_authorization]", HONOUR, _SECTION_9),
    ("*", "payment_method_options[card][moto]", HONOUR, _SECTION_9),
    ("*", "final_capture", HONOUR, _SECTION_9),
    ("*", "statement_descriptor*", HONOUR, _SECTION_9),
    ("*", "preferred_locales", HONOUR, _SECTION_9),
    ("POST /v1/refunds", "instructions_email", HONOUR, _SECTION_9),
    ("POST /v1/checkout/sessions", "currency", HONOUR, _SECTION_9 + ": setup mode"),
    ("POST /v1/checkout/sessions", "setup_intent_data*", HONOUR, _SECTION_9),
    ("POST /v1/checkout/sessions", "locale", HONOUR, _SECTION_9),
    ("POST /v1/checkout/sessions", "expires_at", HONOUR, _SECTION_9),
    ("POST /v1/checkout/sessions", "billing_address_collection", HONOUR, _SECTION_9),
    ("POST /v1/checkout/sessions", "ui_mode", HONOUR, _SECTION_9 + ": `hosted`"),
    ("POST /v1/checkout/sessions", "customer_creation", HONOUR, _SECTION_9),
    ("POST /v1/checkout/sessions", "consent_collection*", HONOUR, _SECTION_9),
    ("POST /v1/checkout/sessions", "custom_text*", HONOUR, _SECTION_9),
    ("POST /v1/checkout/sessions", "payment_method_options", HONOUR, _SECTION_9),
    ("POST /v1/checkout/sessions", "payment_method_options[card]*", HONOUR, _SECTION_9),
]

# Hashes keyed by payment method type: only `card` is walked; each other type is one row.
_BY_PM_TYPE = {"payment_method_options", "payment_method_data", "payment_method_details"}
_PM_TYPE_RESOURCES = {"payment_method"}  # objects whose top level has a hash per payment method type
_NON_CARD_ACTIONS = {"verify_with_microdeposits", "display_bank_transfer_instructions"}  # next_action types

class OracleError(Exception):
    """The oracle cannot be made: the message says what to fix."""


# == the oracle ==============================================================================================

def _stripe() -> Any:
    import stripe

    if stripe.VERSION != STRIPE_VERSION:
        raise OracleError(f"stripe {stripe.VERSION} is installed; the oracle is stripe {STRIPE_VERSION} "
                          f"(pip install 'stripe=={STRIPE_VERSION}')")
    return stripe


def _resolve(root: Any, dotted: str) -> Any:
    obj = root
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _hints(td: Any) -> dict[str, Any]:
    """A params TypedDict's own parameters (without RequestOptions: api_key, idempotency_key, …)."""
    from stripe._request_options import RequestOptions
    from stripe._stripe_context import StripeContext

    local = {"StripeContext": StripeContext, "Mapping": typing.Mapping}
    hints = typing.get_type_hints(td, include_extras=True, localns=local)
    return {k: v for k, v in hints.items() if k not in RequestOptions.__annotations__}


def _strip(tp: Any) -> tuple[Any, bool]:
    """(the type without NotRequired/Required/Annotated wrappers, whether it was NotRequired)."""
    optional = False
    while True:
        origin = typing.get_origin(tp)
        if origin in (typing.NotRequired, typing.Required, typing.Annotated):
            optional = optional or origin is typing.NotRequired
            tp = typing.get_args(tp)[0]
        else:
            return tp, optional


def _members(tp: Any) -> list[Any]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _members(a)]
    return [tp]


def _is_typeddict(tp: Any) -> bool:
    from typing_extensions import is_typeddict

    return isinstance(tp, type) and is_typeddict(tp)


def _is_stripe_object(tp: Any) -> bool:
    from stripe._stripe_object import StripeObject

    return isinstance(tp, type) and issubclass(tp, StripeObject)


def _literals(members: Iterable[Any]) -> list[str]:
    return [str(v) for m in members if typing.get_origin(m) is typing.Literal for v in typing.get_args(m)]


def describe(tp: Any, max_enum: int | None = None) -> str:
    """A type in words: `string`, `enum: a, b`, `array of hash`, `hash`, `string or ""` …"""
    members = _members(tp)
    words: list[str] = []
    literals = [v for v in _literals(members) if v != ""]
    unset = "" in _literals(members)
    others = [m for m in members if typing.get_origin(m) is not typing.Literal and m is not type(None)]
    if literals:
        shown = literals if max_enum is None or len(literals) <= max_enum else [*literals[:max_enum], "…"]
        extra = f" ({len(literals)} values)" if max_enum is not None and len(literals) > max_enum else ""
        words.append("enum: " + ", ".join(shown) + extra)
        others = [m for m in others if m is not str]  # Stripe's open enums: Union[Literal[…], str]
    for m in others:
        words.append(_describe_one(m, max_enum))
    if unset:
        words.append('""')
    if type(None) in members:
        words.append("null")
    return " or ".join(dict.fromkeys(words))


def _describe_one(tp: Any, max_enum: int | None) -> str:
    names = {str: "string", int: "integer", float: "number", bool: "boolean", typing.Any: "any"}
    if tp in names:
        return names[tp]
    origin = typing.get_origin(tp)
    if origin in (list, typing.List):  # noqa: UP006
        return "array of " + describe(typing.get_args(tp)[0], max_enum)
    if origin in (dict, typing.Dict):  # noqa: UP006
        return "hash of " + describe(typing.get_args(tp)[1], max_enum) + "s"
    if _is_typeddict(tp) or _is_stripe_object(tp) or _is_stripe_object(origin):
        name = getattr(origin or tp, "__name__", "")
        if name == "UntypedStripeObject":
            args = typing.get_args(tp)
            return "hash of " + describe(args[0], max_enum) + "s" if args else "hash"
        if name == "ListObject":
            return "list object"
        return "hash"
    if isinstance(tp, typing.ForwardRef):
        return f"{tp.__forward_arg__} id or object"
    return getattr(tp, "__name__", str(tp))


def _nested(tp: Any) -> tuple[Any | None, bool]:
    """The TypedDict / StripeObject class a parameter or field holds (directly or as array items)."""
    for m in _members(tp):
        if _is_typeddict(m) or (_is_stripe_object(m) and m.__name__ not in ("UntypedStripeObject",)):
            if getattr(m, "__name__", "") in ("ListObject", "StripeObject"):
                continue
            return m, False
        if typing.get_origin(m) in (list, typing.List):  # noqa: UP006
            inner, _ = _nested(typing.get_args(m)[0])
            if inner is not None:
                return inner, True
    return None, False


def sample(tp: Any, name: str = "") -> Any:
    """A well-typed value of the type (Stripe's own shape), for probing paykeep's models and for tests."""
    members = [m for m in _members(tp) if m is not type(None)]
    literals = [v for v in _literals(members) if v != ""]
    if literals:
        return "card" if "card" in literals else literals[0]
    for m in members:
        if typing.get_origin(m) is typing.Literal:
            continue
        if m is bool:
            return True
        if m is int:
            return 100
        if m is float:
            return 1.5
        if m is str:
            return _sample_string(name)
        origin = typing.get_origin(m)
        if origin in (list, typing.List):  # noqa: UP006
            return [sample(typing.get_args(m)[0], name)]
        if origin in (dict, typing.Dict) or getattr(origin or m, "__name__", "") == "UntypedStripeObject":  # noqa: UP006
            return {"order_id": "6735"}
        if _is_typeddict(m):
            hints = _hints(m)
            return {k: sample(_strip(v)[0], k) for k, v in sorted(hints.items()) if k in m.__required_keys__}
    return "x"


def _sample_string(name: str) -> str:
    if name.endswith("url"):
        return "https://shop.example/return"
    if "email" in name:
        return "jenny.rosen@example.com"
    if name == "currency":
        return "usd"
    if name == "country":
        return "US"
    return "oracle"


@dataclass(frozen=True)
class Param:
    path: tuple[str, ...]  # "" stands for an array's item: line_items[][price]
    type: str
    sample: Any
    required: bool
    note: str = ""

    @property
    def name(self) -> str:
        return bracket(self.path)


def bracket(path: Iterable[str]) -> str:
    parts = list(path)
    return parts[0] + "".join(f"[{p}]" for p in parts[1:]) if parts else ""


def pm_types(stripe: Any) -> frozenset[str]:
    """Every payment method type the oracle names (but `card`)."""
    found: set[str] = {"card_present", "interac_present"}
    for td in (stripe.params.PaymentMethodCreateParams, stripe.params.SetupIntentCreateParams,
               stripe.params.PaymentIntentCreateParams):
        for key, raw in _hints(td).items():
            if key == "type" or key.endswith("payment_method_types"):
                found.update(_literals(_members(_deep_args(_strip(raw)[0]))))
    found.update(_literals(_members(stripe.PaymentMethod.__annotations__["type"])))
    return frozenset(found - {"card", ""})


def _deep_args(tp: Any) -> Any:
    return typing.get_args(tp)[0] if typing.get_origin(tp) in (list, typing.List) else tp  # noqa: UP006


def _other_pm_type(path: tuple[str, ...], pms: frozenset[str], top_level: bool) -> bool:
    last = path[-1]
    parent = path[-2] if len(path) > 1 else None
    if parent == "next_action":  # cashapp_handle_redirect_or_display_qr_code, verify_with_microdeposits, …
        return last in _NON_CARD_ACTIONS or any(last.startswith(pm + "_") for pm in pms)
    if last not in pms:
        return False
    return parent in _BY_PM_TYPE or (parent is None and top_level)


def oracle_params(td: Any, pms: frozenset[str], *, pm_top_level: bool = False) -> list[Param]:
    rows: list[Param] = []

    def walk(cls: Any, prefix: tuple[str, ...], depth: int) -> None:
        required: frozenset[str] = getattr(cls, "__required_keys__", frozenset())
        for key, raw in sorted(_hints(cls).items()):
            tp, _ = _strip(raw)
            path = (*prefix, key)
            if _other_pm_type(path, pms, pm_top_level):
                rows.append(Param(path, "hash", {}, False, "other payment method type: not walked"))
                continue
            inner, is_array = _nested(tp)
            note = ""
            if inner is not None and depth >= MAX_DEPTH:
                note = f"{_count_leaves(inner)} nested parameters not listed"
            rows.append(Param(path, describe(tp, MAX_ENUM), sample(tp, key), key in required, note))
            if inner is not None and depth < MAX_DEPTH:
                walk(inner, (*path, "") if is_array else path, depth + 1)

    walk(td, (), 1)
    return rows


def _count_leaves(td: Any, seen: frozenset[Any] = frozenset()) -> int:
    total = 0
    for _key, raw in _hints(td).items():
        inner, _ = _nested(_strip(raw)[0])
        total += 1 + (_count_leaves(inner, seen | {td}) if inner is not None and inner not in seen else 0)
    return total


@dataclass(frozen=True)
class FieldInfo:
    path: tuple[str, ...]
    type: str
    note: str = ""

    @property
    def name(self) -> str:
        return ".".join(p or "[]" for p in self.path).replace(".[]", "[]")


def oracle_fields(cls: Any, pms: frozenset[str], *, pm_top_level: bool) -> list[FieldInfo]:
    rows: list[FieldInfo] = []

    def walk(klass: Any, prefix: tuple[str, ...], depth: int, seen: frozenset[Any]) -> None:
        for key, tp in sorted(_annotations(klass).items()):
            if typing.get_origin(tp) is typing.ClassVar or key.startswith("_") or key.isupper():
                continue
            path = (*prefix, key)
            if _other_pm_type(path, pms, pm_top_level):
                rows.append(FieldInfo(path, "hash", "other payment method type: not walked"))
                continue
            inner, is_array = _nested(tp)
            note = ""
            if inner is not None and (depth >= MAX_DEPTH or inner in seen):
                note = "nested fields not listed"
            rows.append(FieldInfo(path, describe(tp, MAX_ENUM), note))
            if inner is not None and not note:
                walk(inner, (*path, "") if is_array else path, depth + 1, seen | {klass})

    walk(cls, (), 1, frozenset())
    return rows


def _annotations(klass: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for base in reversed(klass.__mro__):
        if base.__module__.startswith("stripe.") and base.__name__ not in ("StripeObject", "dict"):
            merged.update(getattr(base, "__annotations__", {}))
    return merged


# == paykeep: routes and models ==============================================================================

@dataclass(frozen=True)
class Route:
    method: str
    path: str  # paykeep's own spelling
    key: tuple[str, str]  # (method, path with {id})
    model: Any  # the pydantic model the handler validates
    handler: str


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


def paykeep_routes() -> list[Route]:
    from fastapi.routing import APIRoute

    from paykeep.web.app import create_app

    no_deps: Any = None  # routes only: no deps are touched
    app = create_app(no_deps)
    routes = []
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/v1/"):
            continue
        for method in sorted(route.methods or ()):
            key = (method, _normalise(route.path))
            routes.append(Route(method, route.path, key, _handler_model(route.endpoint),
                                f"{route.endpoint.__module__}.{route.endpoint.__name__}"))
    unmapped = [r for r in routes if r.key not in ROUTES and r.key not in PAYKEEP_ONLY]
    if unmapped:
        names = ", ".join(f"{r.method} {r.path}" for r in unmapped)
        raise OracleError("map these routes to their Stripe method in ROUTES (or "
                          f"list them in PAYKEEP_ONLY): {names}")
    return sorted(routes, key=lambda r: (r.key[1], r.method))


def _handler_model(endpoint: Any) -> Any:
    """The first pydantic model the handler hands to `api.<something>(Model, …)`."""
    from pydantic import BaseModel

    source = textwrap.dedent(inspect.getsource(endpoint))
    names = endpoint.__globals__
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "api"
                and node.args and isinstance(node.args[0], ast.Name)):
            candidate = names.get(node.args[0].id)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                return candidate
    raise OracleError(f"cannot tell which model {endpoint.__qualname__} validates "
                      "(expected api.params(Model) or api.list/read(Model, …) in its body)")


def _payload(path: tuple[str, ...], value: Any) -> Any:
    for key in reversed(path):
        value = [value] if key == "" else {key: value}
    return value


@dataclass(frozen=True)
class Treatment:
    kind: str  # accepted | parameter_unknown | parameter_unsupported
    detail: str = ""


def probe(model: Any, param: Param) -> Treatment:
    """What the route's model does with this parameter alone, holding a well-typed value: the server's own
    reading of it (`paykeep.web.api.params.validate`, which turns pydantic's errors into the 400 the API
    answers, `parameter_unsupported` from wire/unsupported.py's table included). A refusal counts when it
    names the parameter or a hash above it; any other answer (a check of the value, a missing required
    parameter beside it) is not a refusal of the parameter."""
    from paykeep.web.api.params import validate

    try:
        validate(model, _payload(param.path, param.sample))
    except Exception as exc:  # the server's ParameterError, or a validator raising paykeep's own error
        code = getattr(exc, "code", None)
        if code not in ("parameter_unknown", "parameter_unsupported"):
            if hasattr(exc, "code"):
                return Treatment("accepted")
            raise
        where = _param_path(str(getattr(exc, "param", None) or ""))
        if param.path[:len(where)] != where:
            return Treatment("accepted")
        if code == "parameter_unsupported":
            return Treatment("parameter_unsupported",
                             str(getattr(exc, "reason", None) or getattr(exc, "message", None) or exc))
        return Treatment("parameter_unknown", "" if where == param.path else bracket(where))
    return Treatment("accepted")


def _param_path(name: str) -> tuple[str, ...]:
    """`amount_details[line_items][0][tax]` -> ("amount_details", "line_items", "", "tax")"""
    return tuple("" if part.isdigit() else part for part in name.replace("]", "").split("[")) if name else ()


def plan_for(endpoint: str, param: Param) -> tuple[str, str] | None:
    if param.note.startswith("other payment method type"):
        if "present" in param.path[-1]:
            return UNSUPPORTED, _TERMINAL
        return UNSUPPORTED, _NON_CARD
    for where, pattern, plan, why in PLANNED:
        if _glob(where).fullmatch(endpoint) and _glob(pattern).fullmatch(param.name):
            return plan, why
    return None


def _glob(pattern: str) -> re.Pattern[str]:
    """`*` matches anything; everything else (brackets too) stands for itself."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


# == paykeep: the objects it writes ==========================================================================

async def _flow(client: Any, dialect: str) -> list[Any]:
    """Requests that make one of each object paykeep writes (and the usual variants: a decline, a
    challenge, a capture, a refund); returns every JSON body answered."""
    bodies: list[Any] = []
    headers = {"Paykeep-Dialect": dialect}
    card = {"number": "4242424242424242", "exp_month": "04", "exp_year": "2034", "cvc": "022", "name": "O R"}
    billing = {"name": "Jenny Rosen", "email": "jenny.rosen@example.com", "phone": "+15555550100",
               "address": {"line1": "1 Main St", "city": "Springfield", "postal_code": "94110",
                           "country": "US", "state": "CA"}}
    ret = "https://shop.example/return"

    async def call(method: str, path: str, body: dict[str, Any] | None = None,
                   params: dict[str, Any] | None = None) -> Any:
        try:
            resp = await client.request(method, path, json=body, params=params, headers=headers)
        except Exception as exc:
            failure = f"{type(exc).__name__}: {exc}"
            raise OracleError(f"the sample flow failed at {method} {path}: {failure}") from exc
        data = resp.json()
        if resp.status_code >= 500 or (resp.status_code >= 400 and resp.status_code != 402):
            raise OracleError(f"the sample flow failed at {method} {path}: "
                              f"{resp.status_code} {data.get('error', {}).get('message')}")
        bodies.append(data)
        return data

    def pm_data(number: str) -> dict[str, Any]:
        return {"type": "card", "card": {**card, "number": number}, "billing_details": billing}

    cus = await call("POST", "/v1/customers", {"email": "jenny.rosen@example.com", "name": "Jenny Rosen",
                                               "description": "oracle", "metadata": {"k": "v"}})
    pm = await call("POST", "/v1/payment_methods", {"type": "card", "card": card, "billing_details": billing})
    await call("POST", f"/v1/payment_methods/{pm['id']}/attach", {"customer": cus["id"]})
    for number in ("4242424242424242", "4000002500003155", "4000000000000002"):  # ok, challenge, decline
        await call("POST", "/v1/setup_intents", {
            "confirm": True, "customer": cus["id"], "usage": "off_session",
            "payment_method_data": pm_data(number), "return_url": ret, "metadata": {"k": "v"}})
    await call("POST", "/v1/setup_intents", {"customer": cus["id"]})
    held = await call("POST", "/v1/payment_intents", {
        "amount": 2500, "currency": "usd", "confirm": True, "capture_method": "manual", "customer": cus["id"],
        "payment_method": pm["id"], "return_url": ret, "description": "oracle", "metadata": {"k": "v"},
        "receipt_email": "jenny.rosen@example.com",
        "shipping": {"name": "Jenny Rosen", "address": billing["address"]}})
    await call("POST", f"/v1/payment_intents/{held['id']}/capture", {})
    await call("POST", "/v1/refunds", {"payment_intent": held["id"], "amount": 500, "metadata": {"k": "v"}})
    for number in ("4000002500003155", "4000000000000002"):  # challenge, decline
        await call("POST", "/v1/payment_intents", {"amount": 1000, "currency": "usd", "confirm": True,
                                                   "payment_method_data": pm_data(number), "return_url": ret})
    expand = {"expand[0]": "latest_charge", "expand[1]": "customer", "expand[2]": "payment_method"}
    await call("GET", f"/v1/payment_intents/{held['id']}", params=expand)
    await call("POST", "/v1/checkout/sessions", {"mode": "setup", "success_url": ret, "cancel_url": ret,
                                                 "customer": cus["id"], "metadata": {"k": "v"}})
    product = await call("POST", "/v1/products", {
        "name": "Oracle T-shirt", "description": "oracle", "images": ["https://shop.example/t.png"],
        "metadata": {"k": "v"}, "url": "https://shop.example/t", "shippable": True,
        "package_dimensions": {"height": 1, "length": 2, "weight": 3, "width": 4},
        "marketing_features": [{"name": "Organic"}],
        "default_price_data": {"currency": "usd", "unit_amount": 1500}})
    await call("POST", "/v1/prices", {"product": product["id"], "currency": "usd", "unit_amount": 2500,
                                      "lookup_key": f"oracle_{dialect}", "nickname": "oracle",
                                      "metadata": {"k": "v"}})
    await call("POST", "/v1/webhook_endpoints", {"url": "https://shop.example/hooks", "enabled_events": ["*"],
                                                 "description": "oracle", "metadata": {"k": "v"}})
    for path in ("/v1/customers", "/v1/payment_methods", "/v1/setup_intents", "/v1/payment_intents",
                 "/v1/refunds", "/v1/charges", "/v1/checkout/sessions", "/v1/webhook_endpoints",
                 "/v1/events", "/v1/products", "/v1/prices"):
        params = {"limit": 100, **({"customer": cus["id"]} if path == "/v1/payment_methods" else {})}
        await call("GET", path, params=params)
    return bodies


def _paths(value: Any, prefix: tuple[str, ...], out: dict[str, dict[tuple[str, ...], set[str]]],
           owner: str | None) -> None:
    """Record, per object type, each key path seen and what its value was (dict, list, null, scalar)."""
    if isinstance(value, dict):
        kind = value.get("object")
        if isinstance(kind, str) and kind in RESOURCES:
            owner, prefix = kind, ()
        for key, item in value.items():
            path = (*prefix, key)
            if owner is not None:
                out[owner].setdefault(path, set()).add(
                    "hash" if isinstance(item, dict) else "null" if item is None else "value")
            _paths(item, path, out, owner)
    elif isinstance(value, list):
        for item in value:
            if owner is not None and prefix:
                out[owner].setdefault((*prefix, ""), set()).add("hash" if isinstance(item, dict) else "value")
            _paths(item, (*prefix, ""), out, owner)


def rendered_objects() -> dict[str, dict[str, dict[tuple[str, ...], set[str]]]]:
    """dialect → object type → key path → kinds of value seen, from the in-process flow."""
    import httpx

    from paykeep import bootstrap
    from paykeep.config import Settings

    found: dict[str, dict[str, dict[tuple[str, ...], set[str]]]] = {}
    with tempfile.TemporaryDirectory(prefix="paykeep-oracle-") as tmp:
        settings = Settings.from_env(database_url=f"sqlite:///{Path(tmp) / 'oracle.db'}",
                                     key_file=Path(tmp) / "key", public_url="http://paykeep.test")
        settings = replace(settings, master_key=None, run_worker=False, sqlite_synchronous="OFF")
        runtime, keys = bootstrap.initialise(settings)
        try:
            app = bootstrap.create_app(runtime, run_background=False)

            async def run() -> None:
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://paykeep.test",
                                             auth=(keys.keys[("secret", False)], "")) as client:
                    for dialect in DIALECTS:
                        seen: dict[str, dict[tuple[str, ...], set[str]]] = defaultdict(dict)
                        for body in await _flow(client, dialect):
                            _paths(body, (), seen, None)
                        found[dialect] = seen

            asyncio.run(run())
        finally:
            runtime.close()
    return found


# == output ==================================================================================================

Row = tuple[Param, Treatment, tuple[str, str] | None]  # (parameter, treatment today, plan)


@dataclass(frozen=True)
class Endpoint:
    key: tuple[str, str]
    params: str
    call: str
    route: Route | None
    rows: list[Row]


@dataclass(frozen=True)
class Resource:
    object: str
    cls: str
    fields: list[FieldInfo]
    seen: dict[str, dict[tuple[str, ...], set[str]]]  # dialect → key path → kinds of value seen


def measure() -> tuple[list[Endpoint], list[Route], Any, frozenset[str]]:
    """Every endpoint of ROUTES with its oracle parameters, each with today's treatment and the plan."""
    stripe = _stripe()
    pms = pm_types(stripe)
    routes = paykeep_routes()
    served = {r.key: r for r in routes if r.key in ROUTES}
    endpoints: list[Endpoint] = []
    for key in sorted(ROUTES, key=lambda k: (k[1], k[0])):
        params_name, call = ROUTES[key]
        td = _resolve(stripe.params, params_name)
        rows = oracle_params(td, pms, pm_top_level=params_name.startswith("PaymentMethod"))
        route = served.get(key)
        measured: list[Row] = []
        refused_whole: list[tuple[str, ...]] = []  # planned refusals: what is below them is refused with them
        for param in rows:
            if any(param.path[:len(root)] == root for root in refused_whole):
                continue
            plan = plan_for(f"{key[0]} {key[1]}", param)
            if plan and plan[0] == UNSUPPORTED:
                below = sum(1 for r in rows if len(r.path) > len(param.path)
                            and r.path[:len(param.path)] == param.path)
                if below:
                    param = replace(param, note=f"{below} nested parameters not listed (refused with it)")
                refused_whole.append(param.path)
            treatment = probe(route.model, param) if route else Treatment("not served")
            measured.append((param, treatment, plan))
        endpoints.append(Endpoint(key, params_name, call, route, measured))
    return endpoints, routes, stripe, pms


def build() -> tuple[str, str]:
    """(docs/compatibility.md, tests/contract/oracle.json)"""
    endpoints, routes, stripe, pms = measure()
    objects = rendered_objects()
    resources = []
    for obj, cls_name in sorted(RESOURCES.items()):
        fields = oracle_fields(_resolve(stripe, cls_name), pms, pm_top_level=obj in _PM_TYPE_RESOURCES)
        seen = {d: objects.get(d, {}).get(obj, {}) for d in DIALECTS}
        resources.append(Resource(obj, cls_name, fields, seen))

    data = {
        "stripe": STRIPE_VERSION,
        "generated_by": "tools/stripe_oracle.py",
        "max_depth": MAX_DEPTH,
        "format": "parameters in bracket notation, fields dotted; `[]` is an array's item. `sample`: a "
                  "well-typed value. `plan`/`reason`: the script's PLANNED (parameter_unsupported, honour).",
        "endpoints": [
            {"method": e.key[0], "path": e.key[1], "stripe_params": e.params, "stripe_call": e.call,
             "served": e.route is not None, "paykeep_path": e.route.path if e.route else None,
             "parameters": [
                 {"name": p.name, "type": p.type, **({"required": True} if p.required else {}),
                  "sample": p.sample, **({"note": p.note} if p.note else {}),
                  **({"plan": plan[0], "reason": plan[1]} if plan else {})}
                 for p, _t, plan in e.rows]}
            for e in endpoints],
        "resources": [
            {"object": r.object, "stripe_class": r.cls,
             "fields": [{"name": f.name, "type": f.type, **({"note": f.note} if f.note else {})}
                        for f in r.fields]}
            for r in resources],
    }
    return render_doc(endpoints, resources, routes), _dump(data) + "\n"


def _dump(value: Any, level: int = 0) -> str:
    """Sorted JSON, one parameter or field a line (diffs stay small and readable)."""
    if level > 3 or not isinstance(value, dict | list) or not value:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
    pad = " " * (level + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {_dump(v, level + 1)}" for k, v in sorted(value.items())]
        return "{\n" + ",\n".join(items) + "\n" + " " * level + "}"
    return "[\n" + ",\n".join(pad + _dump(v, level + 1) for v in value) + "\n" + " " * level + "]"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _presence(seen: dict[tuple[str, ...], set[str]], field: FieldInfo) -> str:
    path = field.path
    if not seen:
        return "—"
    if path in seen:
        return "present (null)" if seen[path] == {"null"} else "present"
    if field.note.startswith("other payment method type"):
        return "n/a"
    parent = path[:-1]
    if not parent or "hash" in seen.get(parent, set()):
        return "**missing**"
    return "not seen (parent null)" if parent in seen else "not seen (parent missing)"


def _outermost_unknown(rows: list[Row],
                      ) -> list[tuple[Param, tuple[str, str] | None]]:
    refused = {p.path for p, t, _plan in rows if t.kind == "parameter_unknown"}
    out = []
    for p, t, plan in rows:
        parent = p.path[:-1]
        while parent and parent[-1] == "":
            parent = parent[:-1]
        if t.kind == "parameter_unknown" and parent not in refused:
            out.append((p, plan))
    return out


def render_doc(endpoints: list[Endpoint], resources: list[Resource], routes: list[Route]) -> str:
    out: list[str] = []
    w = out.append
    w("# Compatibility with Stripe's API (generated: do not edit)")
    w("")
    w(f"Generated by `python tools/stripe_oracle.py` from the official `stripe` Python package "
      f"**{STRIPE_VERSION}** (the oracle of API.md Part II and §9) and from paykeep's own routes, request "
      "models and responses. `tests/contract/test_oracle_fresh.py` fails when this file or "
      "`tests/contract/oracle.json` (the same data, for tests) is stale: re-run the script and commit both.")
    w("")
    w("How it is made (details in the script's docstring):")
    w("")
    w("- **Endpoints**: paykeep's /v1 routes, read from the app, each mapped to its Stripe method by the "
      "script's `ROUTES` table; the Stripe endpoints of API.md §9 that paykeep does not serve yet are listed "
      "too.")
    w("- **Parameters**: every parameter of the method's `stripe.params` TypedDict and every nested one, "
      f"down to {MAX_DEPTH} levels (`a[b][c][d]`; deeper hashes are one row), arrays of hashes written `[]`. "
      "The hash of each payment method type other than `card` (`payment_method_options[sepa_debit]`, …) "
      "is one row.")
    w("- **Treatment** (measured): the route's pydantic model is given the parameter alone with a well-typed "
      "value. `accepted`: the model takes it (whether paykeep *honours* it is for the behaviour tests); "
      "`refused: parameter_unknown`: today's 400 for a parameter paykeep does not know (never right for an "
      "oracle parameter, API.md §9); `refused: parameter_unsupported`: a deliberate 400 whose message is the "
      "reason.")
    w("- **Plan** (written in the script's `PLANNED` list): what is decided but not built: "
      "`parameter_unsupported` with the reason (Connect, Radar, Terminal, other payment method types), "
      "or `honour` (API.md §9's list).")
    w("- **Response fields**: the resource annotations of the `stripe` package (and their nested objects, "
      f"{MAX_DEPTH} levels), against the keys of the objects an in-process sample flow produces, in each "
      "dialect. `present (null)`: the key is there but was null in every sample; `missing`: the parent "
      "object was rendered without the key; `not seen`: the parent was null or absent in every sample; "
      "`n/a`: another payment method type's hash (Stripe writes it only for that type); `—`: paykeep renders "
      "no such object.")
    w("")

    # -- summary
    served = [e for e in endpoints if e.route is not None]
    counts: Counter[str] = Counter()
    top: Counter[str] = Counter()
    for e in served:
        for p, t, _plan in e.rows:
            counts[t.kind] += 1
            if len(p.path) == 1:
                top[t.kind] += 1
    w("## Summary")
    w("")
    w("| | count |")
    w("|---|---:|")
    w(f"| endpoints served, mapped to a Stripe method | {len(served)} |")
    w(f"| Stripe endpoints of API.md §9 not served yet | {len(endpoints) - len(served)} |")
    w(f"| paykeep-only routes (no Stripe method) | {sum(1 for r in routes if r.key in PAYKEEP_ONLY)} |")
    w(f"| oracle parameters on served endpoints (all paths) | {sum(counts.values())} |")
    w(f"| — accepted | {counts['accepted']} |")
    w(f"| — refused: `parameter_unknown` | {counts['parameter_unknown']} |")
    w(f"| — refused: `parameter_unsupported` | {counts['parameter_unsupported']} |")
    outer = [x for e in served for x in _outermost_unknown(e.rows)]
    w(f"| outermost parameters refused with `parameter_unknown` (the work list) | {len(outer)} |")
    w(f"| — planned `parameter_unsupported` "
      f"| {sum(1 for _p, plan in outer if plan and plan[0] == UNSUPPORTED)} |")
    w(f"| — planned honour (API.md §9) | {sum(1 for _p, plan in outer if plan and plan[0] == HONOUR)} |")
    w(f"| — undecided | {sum(1 for _p, plan in outer if not plan)} |")
    w(f"| top-level oracle parameters on served endpoints | {sum(top.values())} |")
    w(f"| — accepted | {top['accepted']} |")
    w(f"| — refused: `parameter_unknown` | {top['parameter_unknown']} |")
    w(f"| — refused: `parameter_unsupported` | {top['parameter_unsupported']} |")
    for dialect in DIALECTS:
        tally: Counter[str] = Counter()
        for r in resources:
            for f in r.fields:
                tally[_presence(r.seen[dialect], f).strip("*").split(" (")[0]] += 1
        w(f"| response fields ({dialect} dialect): present / missing / not seen / other payment method type "
          f"/ resource not rendered | {tally['present']} / {tally['missing']} / {tally['not seen']} "
          f"/ {tally['n/a']} / {tally['—']} |")
    w("")

    w("### Per endpoint: the work list")
    w("")
    w("`unknown` counts the outermost parameters refused with `parameter_unknown` (a hash refused as a whole "
      "counts once, not with what is inside it); the planned ones are decided in the script's `PLANNED`, the "
      "rest are still to decide (honour, accept and return, or refuse with a reason).")
    w("")
    w("| endpoint | Stripe | parameters | accepted | unsupported | unknown | — planned unsupported "
      "| — planned honour | — undecided |")
    w("|---|---|---:|---:|---:|---:|---:|---|---|")
    for e in endpoints:
        method, path = e.key
        if e.route is None:
            w(f"| `{method} {path}` | `{e.call}` | {len(e.rows)} | not served | | | | | |")
            continue
        c = Counter(t.kind for _p, t, _plan in e.rows)
        outer = _outermost_unknown(e.rows)
        unsupported = [p for p, plan in outer if plan and plan[0] == UNSUPPORTED]
        honour = [p for p, plan in outer if plan and plan[0] == HONOUR]
        undecided = [p for p, plan in outer if not plan]
        w(f"| `{method} {path}` | `{e.call}` | {len(e.rows)} | {c['accepted']} "
          f"| {c['parameter_unsupported']} | {len(outer)} | {len(unsupported)} "
          f"| {_cell(', '.join(f'`{p.name}`' for p in honour))} "
          f"| {_cell(', '.join(f'`{p.name}`' for p in undecided))} |")
    w("")

    others = [route for route in routes if route.key in PAYKEEP_ONLY]
    if others:
        w("### paykeep-only routes")
        w("")
        for route in others:
            w(f"- `{route.method} {route.path}`: {PAYKEEP_ONLY[route.key]} (model `{route.model.__name__}`)")
        w("")

    # -- endpoints
    w("## Parameters by endpoint")
    for e in endpoints:
        method, path = e.key
        served_by = e.route
        w("")
        w(f"### `{method} {path}`")
        w("")
        if served_by is None:
            w(f"`{e.call}` (`stripe.params.{e.params}`): **not served** (API.md §9 adds it).")
            w("")
            continue
        w(f"`{e.call}` (`stripe.params.{e.params}`); paykeep: `{served_by.method} {served_by.path}`, model "
          f"`{served_by.model.__module__}.{served_by.model.__name__}`.")
        w("")
        w("| parameter | type | treatment today | plan |")
        w("|---|---|---|---|")
        for p, t, plan in e.rows:
            if t.kind == "accepted":
                treat = "accepted"
            elif t.kind == "parameter_unknown":
                treat = "refused: `parameter_unknown`" + (f" (at `{t.detail}`)" if t.detail else "")
            else:
                treat = f"refused: `parameter_unsupported`: {t.detail}"
            plan_text = ""
            if plan and not (plan[0] == UNSUPPORTED and t.kind == "parameter_unsupported"):
                plan_text = ("`parameter_unsupported`: " if plan[0] == UNSUPPORTED else "") + plan[1]
            name = f"`{p.name}`" + (" (required)" if p.required else "")
            doc_type = p.type + (f"; {p.note}" if p.note else "")
            w(f"| {name} | {_cell(doc_type)} | {_cell(treat)} | {_cell(plan_text)} |")

    # -- objects
    w("")
    w("## Response objects")
    for r in resources:
        w("")
        w(f"### `{r.object}` (`stripe.{r.cls}`)")
        w("")
        if not any(r.seen.values()):
            w("paykeep renders no such object today (API.md §9 adds it).")
            w("")
        w("| field | type | " + " | ".join(f"{d} dialect" for d in DIALECTS) + " |")
        w("|---|---|" + "---|" * len(DIALECTS))
        for f in r.fields:
            cells = [_presence(r.seen[d], f) for d in DIALECTS]
            doc_type = f.type + (f"; {f.note}" if f.note else "")
            w(f"| `{f.name}` | {_cell(doc_type)} | " + " | ".join(cells) + " |")
    w("")
    return "\n".join(out)


def write(out_dir: Path) -> list[Path]:
    doc, data = build()
    written = []
    for rel, text in ((DOC, doc), (DATA, data)):
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def stale(root: Path = ROOT) -> list[str]:
    """The committed outputs that differ from a fresh run (empty when both are current)."""
    with tempfile.TemporaryDirectory(prefix="paykeep-oracle-out-") as tmp:
        write(Path(tmp))
        return [str(rel) for rel in (DOC, DATA)
                if not (root / rel).exists()
                or (root / rel).read_text(encoding="utf-8") != (Path(tmp) / rel).read_text(encoding="utf-8")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed outputs are stale")
    parser.add_argument("--out", type=Path, default=ROOT, help="write under this directory (default: repo)")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except OracleError as exc:
        sys.stderr.write(f"tools/stripe_oracle.py: {exc}\n")
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.check:
        names = stale()
        for name in names:
            sys.stderr.write(f"{name} is stale: run python tools/stripe_oracle.py\n")
        return 1 if names else 0
    for path in write(args.out):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    importlib.import_module("paykeep")
    sys.exit(main())
