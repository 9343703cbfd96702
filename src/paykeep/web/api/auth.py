"""Who is calling: the API key from the Authorization header, its account, its rate limit, and whether a
publishable key may make this call."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.requests import Request

from paykeep.domain.dialects import Dialect, parse_dialect, stripe_version
from paykeep.domain.errors import AuthenticationFailed, PermissionDenied, RateLimited
from paykeep.services import accounts
from paykeep.services.ports import Caller, Deps, UnitOfWork
from paykeep.web.api import browser


def authenticate(request: Request, uow: UnitOfWork, deps: Deps, request_id: str, *,
                 allow_publishable: bool, params: dict[str, Any] | None = None) -> Caller:
    """The caller of `request` (401 for a missing or unknown key, 429 over its rate, 403 for a publishable
    key where only a secret one may call), carrying the request id and, on a POST, its Idempotency-Key.
    `params`: the raw parameters of an endpoint a browser may call, where a publishable key may come as the
    `key` parameter (and Stripe-Version as `_stripe_version`) when no Authorization header is sent."""
    raw_key = key_from_headers(request.headers.get("authorization", ""))
    if not raw_key and params is not None:
        raw_key = browser.key_param(params)
    caller = accounts.authenticate(uow, deps, raw_key)
    wait = request.app.state.limiter.take(raw_key)
    if wait > 0:
        err = RateLimited("Too many requests hit the API too quickly.")
        err.extra["retry_after"] = max(1, round(wait + 0.5))
        raise err
    if caller.publishable and not allow_publishable:
        raise PermissionDenied(
            "This API call cannot be made with a publishable API key. Please use a secret API key."
        )
    key = request.headers.get("idempotency-key") if request.method == "POST" else None
    given_version = request.headers.get("stripe-version")
    if given_version is None and params is not None and caller.publishable:
        given_version = browser.version_param(params)
    dialect = request_dialect(request, caller.dialect, given_version)
    version = stripe_version(given_version) if dialect is Dialect.STRIPE else None
    return Caller(caller.account_id, caller.livemode, caller.publishable, request_id, key or None,
                  dialect=dialect, api_version=version)


def request_dialect(request: Request, default: Dialect, version: str | None = None) -> Dialect:
    """The dialect of this request: its Paykeep-Dialect header (400 for an unknown one), else `default` (the
    account's). Kept on the request's state: the error handlers and the Stripe-Version header read it.
    `version`: the Stripe-Version asked for (its header, else a browser's `_stripe_version`)."""
    header = request.headers.get("paykeep-dialect")
    dialect = default if header is None else parse_dialect(header)
    state = request.scope.setdefault("state", {})
    state["dialect"] = dialect
    if dialect is Dialect.STRIPE:
        state["stripe_version"] = stripe_version(version if version is not None
                                                 else request.headers.get("stripe-version"))
    return dialect


def key_from_headers(header: str) -> str:
    """The API key of an Authorization header: `Bearer <key>`, or `Basic` with the key as the user name."""
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationFailed("Invalid Basic authorization header.") from None
        return decoded.partition(":")[0]
    return ""
