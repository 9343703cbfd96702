"""What a browser (paykeep.js, or Stripe.js itself) sends beside the API's own parameters, on the endpoints a
publishable key may call (docs/browser-api.md).

Stripe.js puts the publishable key in the body (`key=pk_…`, or the query of a GET) rather than in an
Authorization header, so that its requests stay "simple" CORS requests with no preflight. It also sends
bookkeeping of its own: `_stripe_version`, telemetry (`guid`, `muid`, `sid`, `payment_user_agent`,
`time_on_page`, `referrer`, `pasted_fields`, `client_attribution_metadata`, at the top level and inside
`payment_method_data`) and `expected_payment_method_type`. For a publishable caller these are taken out of the
parameters before they are validated (so they reach neither idempotency's stored parameters nor the request
log); a secret-key call is read exactly as before (such a parameter is a 400 `parameter_unknown` there)."""

from __future__ import annotations

from typing import Any

from paykeep.domain.errors import AuthenticationFailed, ParameterInvalid, ParameterUnsupported

KEY_PARAM = "key"
VERSION_PARAM = "_stripe_version"
TELEMETRY = frozenset({"guid", "muid", "sid", "payment_user_agent", "time_on_page", "referrer",
                       "pasted_fields", "client_attribution_metadata"})
_CONNECT = "Connect is not offered: paykeep is one merchant's own processor, with no connected accounts."
# expand[] paths a publishable key may ask for on a confirm: the client-side view names no other object
PUBLIC_EXPAND = frozenset({"payment_method"})


def key_param(raw: dict[str, Any]) -> str:
    """The API key sent as the `key` parameter (no Authorization header): a publishable key only. A secret
    key in a body or a URL is refused: it belongs in the Authorization header of a server's request."""
    value = raw.get(KEY_PARAM)
    if not isinstance(value, str) or not value:
        return ""
    if not value.startswith("pk_"):
        raise AuthenticationFailed("Only a publishable key (pk_…) may be sent as the `key` parameter; send "
                                   "a secret key in the Authorization header.")
    return value


def version_param(raw: dict[str, Any]) -> str | None:
    value = raw.get(VERSION_PARAM)
    return value if isinstance(value, str) and value else None


def strip_bookkeeping(raw: dict[str, Any]) -> None:
    """Take the browser's own parameters out of a publishable caller's `raw` (in place)."""
    if "_stripe_account" in raw:
        raise ParameterUnsupported("_stripe_account", _CONNECT)
    for name in [n for n in raw if n.startswith("_") or n in TELEMETRY or n == KEY_PARAM]:
        del raw[name]
    expected = raw.pop("expected_payment_method_type", None)
    if expected not in (None, "card"):
        raise ParameterInvalid("expected_payment_method_type", "Only `card` payment methods are supported.")
    data = raw.get("payment_method_data")
    if isinstance(data, dict):
        for name in [n for n in data if n in TELEMETRY]:
            del data[name]


def check_public_expand(paths: list[str]) -> None:
    """A publishable key's expand[] on a confirm: the payment method only (its client-side view names no
    customer, charge or other object a browser could walk into)."""
    for path in paths:
        if path not in PUBLIC_EXPAND:
            raise ParameterInvalid("expand",
                                   f"This property cannot be expanded with a publishable key ({path}).")
