"""The hosted Checkout page's use cases: open a session by its link, submit a card, come back from 3-D Secure.

No API key here: the session's unguessable link (`?key=`) is the credential, and a form token bound to the
session id (keyed hash, constant-time compare) guards the POST against cross-site submissions. The card number
and CVC go straight to the SetupIntent confirm; they are never kept, logged or rendered back.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from paykeep.domain import checkout_sessions as rules
from paykeep.domain.cards import brand_of, check_cvc, check_expiry, check_number
from paykeep.domain.checkout_sessions import CheckoutSession
from paykeep.domain.checkout_sessions import CheckoutSessionStatus as Status
from paykeep.domain.errors import CardError, PaykeepError
from paykeep.domain.ids import dialect_of
from paykeep.services import checkout_payment, checkout_sessions, payment_intents, setup_intents
from paykeep.services.accounts import account_name
from paykeep.services.clock_time import clock_now
from paykeep.services.common import load
from paykeep.services.ports import Caller, Context, Declined, Deps, UnitOfWork
from paykeep.services.transactions import transaction
from paykeep.wire.payment_intents import PaymentIntentConfirm
from paykeep.wire.setup_intents import SetupIntentConfirm

NAME_MESSAGE = "Enter the name shown on your card."
MAX_NAME = 200
FIELDS = ("number", "exp_month", "exp_year", "cvc", "name")


def _message(check: Any, *args: Any, **kwargs: Any) -> str:
    try:
        check(*args, **kwargs)
    except CardError as err:
        return err.message
    raise AssertionError("the check accepted a value it should refuse")  # pragma: no cover


def card_messages() -> dict[str, str]:
    """The API's own card-error messages (domain/cards.py), so the page and the API say the same thing."""
    return {
        "number": _message(check_number, "1"),
        "exp_month": _message(check_expiry, 13, 2100, year_now=2000, month_now=1),
        "exp_year": _message(check_expiry, 1, 1999, year_now=2000, month_now=1),
        "cvc": _message(check_cvc, "1", "visa"),
        "name": NAME_MESSAGE,
    }


MESSAGES = card_messages()


@dataclass
class Page:
    """What the web layer renders: a form, a closed page (complete/expired/unavailable), or a redirect."""

    kind: str  # form | closed | redirect | not_found
    session: CheckoutSession | None = None
    merchant_name: str = ""
    closed: str | None = None  # complete | expired | unavailable
    redirect_to: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    form_error: str | None = None  # a message written for the cardholder
    # (code, decline_code) of a failed attempt, worded for the cardholder by web/pages/failures.py
    failure: tuple[str | None, str | None] | None = None
    values: dict[str, str] = field(default_factory=dict)
    notice_url: str | None = None
    status_code: int = 200
    saves_card: bool = False  # payment mode: the card is kept for later (setup_future_usage)


# -- the link and the form token ----------------------------------------------------------------------------
def csrf_token(deps: Deps, session_id: str) -> str:
    return deps.secrets.keyed_hash("lookup", f"checkout_session_form:{session_id}".encode())


def csrf_ok(deps: Deps, session_id: str, token: str) -> bool:
    return hmac.compare_digest(csrf_token(deps, session_id).encode(), (token or "").encode()[:200])


def _caller(session: CheckoutSession) -> Caller:
    # Not an API request: events caused by the hosted page have request.id null; what it makes takes the id
    # form of the session (the dialect it was created in).
    return Caller(account_id=session.account_id, livemode=session.livemode, dialect=dialect_of(session.id))


def _locate(deps: Deps, uow: UnitOfWork, hosted_id: str, key: str) -> CheckoutSession | None:
    parsed = rules.parse_hosted_id(hosted_id)
    if parsed is None or not key or len(key) > 200:
        return None
    session_id, livemode = parsed
    session = uow.checkout_sessions.get_by_id(session_id)
    if (session is None or session.livemode != livemode
            or not checkout_sessions.key_matches(deps, session_id, key)):
        return None
    return session


def year_month(deps: Deps) -> tuple[int, int]:
    now = datetime.fromtimestamp(deps.clock.now_ms() / 1000, tz=UTC)
    return now.year, now.month


# -- GET: show the page --------------------------------------------------------------------------------------
def show_page(deps: Deps, hosted_id: str, key: str, *, redirect_status: str | None = None) -> Page:
    """The page for a session link. Coming back from the challenge (`redirect_status`), a session whose
    SetupIntent succeeded is completed and the browser goes on to success_url."""
    with deps.begin(write=False) as uow:
        found = _locate(deps, uow, hosted_id, key)
    if found is None:
        return Page(kind="not_found", status_code=404)
    with transaction(deps, _caller(found)) as ctx:
        session = load(ctx, ctx.uow.checkout_sessions, "checkout session", found.id, for_update=True)
        return _page_for(ctx, _bring_up_to_date(ctx, session), redirect_status=redirect_status)


def _bring_up_to_date(ctx: Context, session: CheckoutSession) -> CheckoutSession:
    """Complete a session whose card was saved; expire one whose time is up (before the worker gets to it)."""
    session = checkout_sessions.settle(ctx, session)
    if session.status == Status.OPEN and clock_now(ctx, session.test_clock) >= session.expires_at:
        return checkout_sessions.expire_open_session(ctx, session)
    return session


def _page_for(ctx: Context, session: CheckoutSession, *, redirect_status: str | None) -> Page:
    merchant = account_name(ctx.uow, session.account_id)
    if session.status == Status.COMPLETE:
        if redirect_status is not None:  # back from the challenge page: on to success_url
            return Page(kind="redirect", redirect_to=rules.success_redirect(session.success_url, session.id))
        return Page(kind="closed", session=session, merchant_name=merchant, closed="complete")
    if session.status == Status.EXPIRED:
        return Page(kind="closed", session=session, merchant_name=merchant, closed="expired", status_code=410)
    intent = checkout_payment.intent_of(ctx, session)
    if intent is None or intent["status"] == "canceled":
        return Page(kind="closed", session=session, merchant_name=merchant, closed="unavailable",
                    status_code=410)
    page = Page(kind="form", session=session, merchant_name=merchant,
                saves_card=session.mode == "payment" and bool(intent.get("setup_future_usage")))
    error = intent.get("last_payment_error" if session.mode == "payment" else "last_setup_error") or {}
    if redirect_status == "failed" and error:
        page.failure = (error.get("code"), error.get("decline_code"))
        page.values = kept_values(error.get("payment_method"))
    if intent["status"] == "requires_action":
        page.notice_url = ((intent.get("next_action") or {}).get("challenge_redirect") or {}).get("url")
    return page


def kept_values(payment_method: Any) -> dict[str, str]:
    """What the form can show again after a failed 3-D Secure attempt: the name and expiry of the card that
    was tried (from the error's PaymentMethod). Never its number or CVC: those are typed again."""
    if not isinstance(payment_method, dict):
        return {}
    card = payment_method.get("card") or {}
    name = (payment_method.get("billing_details") or {}).get("name") or ""
    month, year = card.get("exp_month"), card.get("exp_year")
    return {"name": str(name)[:MAX_NAME], "exp_month": f"{month:02d}" if isinstance(month, int) else "",
            "exp_year": str(year) if isinstance(year, int) else ""}


# -- POST: submit the card -----------------------------------------------------------------------------------
def check_form(form: dict[str, str], *, year_now: int, month_now: int) -> dict[str, str]:
    """Every field's error, with the API's messages (the number and CVC are never echoed)."""
    errors: dict[str, str] = {}
    digits = "".join(ch for ch in form.get("number", "") if ch not in " -")
    try:
        check_number(digits)
    except CardError as err:
        errors["number"] = err.message
    try:
        check_expiry(form.get("exp_month", ""), form.get("exp_year", ""),
                     year_now=year_now, month_now=month_now)
    except CardError as err:
        errors[err.param or "exp_month"] = err.message
    cvc = form.get("cvc", "").strip()
    try:
        if not cvc:
            raise CardError(MESSAGES["cvc"], code="invalid_cvc", param="cvc")
        check_cvc(cvc, brand_of(digits) if digits.isdigit() else "unknown")
    except CardError as err:
        errors["cvc"] = err.message
    if not form.get("name", "").strip():
        errors["name"] = MESSAGES["name"]
    return errors


def submit_card(deps: Deps, hosted_id: str, key: str, form: dict[str, str]) -> Page:
    """POST the form: confirm the session's SetupIntent with the card. Succeeded -> success_url; needs 3-D
    Secure -> the challenge page (which returns to this page); declined or invalid -> the form again."""
    values = {"exp_month": form.get("exp_month", "")[:4], "exp_year": form.get("exp_year", "")[:4],
              "name": form.get("name", "")[:MAX_NAME]}
    with deps.begin(write=False) as uow:
        found = _locate(deps, uow, hosted_id, key)
    if found is None:
        return Page(kind="not_found", status_code=404)
    if not csrf_ok(deps, found.id, form.get("csrf_token", "")):
        page = show_page(deps, hosted_id, key)
        if page.kind == "form":
            page.form_error = "This form has expired. Please enter your card again."
            page.status_code = 403
            page.values = values
        return page
    year_now, month_now = year_month(deps)
    errors = check_form(form, year_now=year_now, month_now=month_now)
    if errors:
        page = show_page(deps, hosted_id, key)
        if page.kind == "form":
            page.errors, page.values, page.status_code = errors, values, 400
        return page
    return _confirm(deps, found, form, values, hosted_id, key)


def _confirm(deps: Deps, found: CheckoutSession, form: dict[str, str], values: dict[str, str],
             hosted_id: str, key: str) -> Page:
    card = {"number": "".join(ch for ch in form["number"] if ch.isdigit()),
            "exp_month": form["exp_month"].strip(), "exp_year": form["exp_year"].strip(),
            "cvc": form["cvc"].strip()}
    try:
        with transaction(deps, _caller(found)) as ctx:
            session = load(ctx, ctx.uow.checkout_sessions, "checkout session", found.id, for_update=True)
            session = _bring_up_to_date(ctx, session)
            if session.status != Status.OPEN:
                page = _page_for(ctx, session, redirect_status=None)
            else:
                page = _confirm_open(ctx, session, card, values)
    except CardError as err:  # refused before anything was saved
        page = show_page(deps, hosted_id, key)
        if page.kind == "form":
            param = (err.param or "number").rsplit("[", 1)[-1].rstrip("]")
            if param in FIELDS:
                page.errors = {param: err.message}
            else:
                page.failure = (err.code, err.decline_code)
            page.values, page.status_code = values, 402
        return page
    except PaykeepError as err:
        page = show_page(deps, hosted_id, key)
        if page.kind == "form":
            page.failure, page.values, page.status_code = (err.code, None), values, 400
        return page
    return page


def _confirm_open(ctx: Context, session: CheckoutSession, card: dict[str, str],
                  values: dict[str, str]) -> Page:
    data = {"type": "card", "card": card, "billing_details": {"name": values["name"]}}
    confirm = {"payment_method_data": data,
               "return_url": checkout_sessions.hosted_url(ctx.deps, session)}
    try:
        params: Any = (PaymentIntentConfirm if session.mode == "payment" else SetupIntentConfirm
                       ).model_validate(confirm)
    except ValidationError:
        return Page(kind="form", session=session, merchant_name=account_name(ctx.uow, session.account_id),
                    form_error="Please check your card details.", values=values, status_code=400)
    result: Any
    if session.mode == "payment" and session.payment_intent:
        result = payment_intents.confirm_payment_intent(ctx, session.payment_intent, params)
    elif session.setup_intent:
        result = setup_intents.confirm_setup_intent(ctx, session.setup_intent, params)
    else:  # pragma: no cover - every session owns one intent
        raise AssertionError(f"checkout session {session.id} has no intent")
    if isinstance(result, Declined):
        return Page(kind="form", session=session, merchant_name=account_name(ctx.uow, session.account_id),
                    failure=(result.error.code, result.error.decline_code), values=values, status_code=402)
    # The confirm may have completed it (the setup_intent.succeeded handler): read it again.
    session = checkout_sessions.settle(ctx, load(ctx, ctx.uow.checkout_sessions, "checkout session",
                                                 session.id))
    if session.status == Status.COMPLETE:
        return Page(kind="redirect", redirect_to=rules.success_redirect(session.success_url, session.id))
    if result["status"] == "requires_action":
        url = ((result.get("next_action") or {}).get("challenge_redirect") or {}).get("url")
        if url:
            return Page(kind="redirect", redirect_to=url)
    return _page_for(ctx, session, redirect_status=None)
