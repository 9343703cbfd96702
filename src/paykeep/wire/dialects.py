"""Writing out in a dialect (API.md §8): the one place where a rendered body becomes Stripe's.

Every renderer in wire/ writes the WooshPay form, which is also what events store. `in_dialect(body,
dialect)` returns it unchanged for WooshPay and, for Stripe, a copy with:
- every timestamp (`created`, `*_at`) in seconds instead of milliseconds;
- `currency` in lower case;
- `next_action.challenge_redirect` as Stripe's `redirect_to_url` (same `url` and `return_url`);
- `request_three_d_secure: auto` as `automatic`;
- WooshPay-only fields left out (`merchant_order_id`, ...);
- an event's `api_version` as the Stripe version in effect.
It walks objects, lists, search results, events (their `data.object` and `previous_attributes`) and error
envelopes alike; `metadata` values are the merchant's own and are never touched.
"""

from __future__ import annotations

import typing
from typing import Any, TypeVar

from pydantic import BaseModel

from paykeep.domain.dialects import STRIPE_API_VERSION, Dialect
from paykeep.wire.params import CreatedFilter

WOOSHPAY_ONLY = frozenset({"merchant_order_id", "live_mode", "3ds_status"})
# WooshPay-only on one kind of object: a PaymentIntent's `quantity` (a Checkout line item's is Stripe's too)
_WOOSHPAY_ONLY_ON = {"payment_intent": WOOSHPAY_ONLY | {"quantity"}}
_UNTOUCHED = frozenset({"metadata"})


def in_dialect(body: dict[str, Any], dialect: Dialect, api_version: str | None = None) -> dict[str, Any]:
    """`body` written out in `dialect`; for WooshPay, `body` itself (nothing to do, nothing copied)."""
    if dialect is not Dialect.STRIPE:
        return body
    return _stripe_object(body, api_version or STRIPE_API_VERSION)


def _stripe_object(obj: dict[str, Any], version: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    left_out = _WOOSHPAY_ONLY_ON.get(str(obj.get("object")), WOOSHPAY_ONLY)
    for key, value in obj.items():
        if key in left_out:
            continue
        if isinstance(value, dict):
            if key in _UNTOUCHED:
                out[key] = value
            elif key == "next_action":
                out[key] = _stripe_next_action(value, version)
            else:
                out[key] = _stripe_object(value, version)
        elif isinstance(value, list):
            out[key] = [_stripe_value(v, version) for v in value]
        elif isinstance(value, int) and not isinstance(value, bool) and _is_time(key):
            out[key] = value // 1000
        elif key == "currency" and isinstance(value, str):
            out[key] = value.lower()
        elif key == "request_three_d_secure" and value == "auto":
            out[key] = "automatic"
        else:
            out[key] = value
    if out.get("object") == "event":
        out["api_version"] = version
    return out


def _stripe_value(value: Any, version: str) -> Any:
    if isinstance(value, dict):
        return _stripe_object(value, version)
    if isinstance(value, list):
        return [_stripe_value(v, version) for v in value]
    return value


def _stripe_next_action(action: dict[str, Any], version: str) -> dict[str, Any]:
    if action.get("type") == "challenge_redirect":
        return {"type": "redirect_to_url", "redirect_to_url": dict(action.get("challenge_redirect") or {})}
    return _stripe_object(action, version)


def _is_time(key: str) -> bool:
    return key == "created" or key.endswith("_at") or key in _OTHER_TIMES


_OTHER_TIMES = frozenset({"available_on", "arrival_date", "current_period_start", "current_period_end",
                          "date", "frozen_time", "trial_end", "trial_start", "start_date", "ended_at",
                          "deletes_after", "target_frozen_time",  # test clocks
                          "updated",  # products
                          "capture_before"})  # payment_method_details.card: a time too


P = TypeVar("P", bound=BaseModel)


def in_stored_units(params: P, dialect: Dialect) -> P:
    """Parameters with the times a request gave in its dialect's unit (`created[gte]=<seconds>` in Stripe's)
    as stored, in ms; for WooshPay, `params` itself."""
    if dialect is not Dialect.STRIPE:
        return params
    changes: dict[str, Any] = {}
    for name in type(params).model_fields:
        if not _is_time(name):
            continue
        value = getattr(params, name)
        if isinstance(value, int) and not isinstance(value, bool):
            # a filter's `created=<s>` is that whole second; a time given to be set is its first ms
            filters = CreatedFilter in typing.get_args(type(params).model_fields[name].annotation)
            ms = value * 1000
            changes[name] = CreatedFilter(gte=ms, lte=ms + 999) if filters else ms
        elif isinstance(value, CreatedFilter):
            # a second stands for all of its ms: `lte` and `gt` reach its last one
            changes[name] = value.model_copy(update={
                op: v * 1000 + (999 if op in ("lte", "gt") else 0)
                for op, v in value.model_dump().items() if v is not None})
    return params.model_copy(update=changes) if changes else params
