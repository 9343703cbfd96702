"""The hosted Checkout page: GET/POST /checkout/setup/cs_test_<digits>?key=… (setup mode) and /checkout/pay/…
(payment mode: the items, the total, the card), and its CSS and JS.

Server-rendered (Jinja2), usable without JavaScript; /static/checkout.js formats and checks the fields first.
Every response carries the hosted pages' security headers; the card number and CVC are never rendered back.
"""

from __future__ import annotations

from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from paykeep.domain.checkout_sessions import SUBMIT_LABELS, CheckoutSession, success_redirect
from paykeep.domain.money import format_amount
from paykeep.services import checkout_page, checkout_sessions
from paykeep.services.checkout_page import Page
from paykeep.services.ports import Deps, TransactionConflict
from paykeep.web.api.endpoint import retry_on_conflict
from paykeep.web.pages.failures import cardholder_message
from paykeep.web.pages.security import origin_of, page_headers, redirect_response

router = APIRouter(include_in_schema=False)
MAX_FORM_BYTES = 16_384
_env = Environment(loader=PackageLoader("paykeep", "web/templates"), autoescape=select_autoescape(["html"]))
_STATIC = {
    "checkout.css": "text/css; charset=utf-8",
    "checkout.js": "text/javascript; charset=utf-8",
    "card_rules.js": "text/javascript; charset=utf-8",  # also the Drop-in frame's (web/pages/dropin.py)
}
_PAID = ("✓", "Thank you for your payment",
         "This payment is complete. You can close this page.", "Return to {merchant}")
_CLOSED = {
    "complete": ("✓", "Your card has been saved",
                 "This checkout session is complete. You can close this page.", "Return to {merchant}"),
    "expired": ("⌛", "This checkout session has expired",
                "The link to save your card is no longer valid. Nothing was saved. "
                "Return to {merchant} to start again.", "Return to {merchant}"),
    "unavailable": ("⚠", "This checkout session can no longer be used",
                    "Nothing was saved. Return to {merchant} to start again.", "Return to {merchant}"),
    "not_found": ("⚠", "This link is not valid",
                  "Check the link you followed, or return to the merchant's site to start again.", ""),
}


# -- headers -------------------------------------------------------------------------------------------------
def security_headers(deps: Deps, redirect_targets: tuple[str, ...] = ()) -> dict[str, str]:
    """The hosted pages' headers (web/pages/security.py): no framing, no referrer, no caching, and a CSP whose
    only addition is `script-src 'self'` for /static/checkout.js (no inline script). `form-action` lists the
    origins a form post may be redirected to (the merchant's success_url, the challenge page): browsers apply
    form-action to the redirects that follow a submission."""
    headers = page_headers(form_targets=[deps.public_url, *redirect_targets])
    headers["Content-Security-Policy"] += "; script-src 'self'"
    return headers


# -- rendering -----------------------------------------------------------------------------------------------
def _static_base(deps: Deps) -> str:
    return urlsplit(deps.public_url).path.rstrip("/")


def _render(deps: Deps, template: str, status: int, redirect_targets: tuple[str, ...],
            **context: Any) -> Response:
    html = _env.get_template(template).render(static_base=_static_base(deps), **context)
    return HTMLResponse(html, status_code=status, headers=security_headers(deps, redirect_targets))


def _respond(deps: Deps, page: Page) -> Response:
    if page.kind == "redirect" and page.redirect_to:
        return redirect_response(page.redirect_to, 303)
    session = page.session
    merchant = page.merchant_name or "paykeep"
    if page.kind != "form" or session is None:
        icon, heading, message, link_text = _CLOSED[page.closed or "not_found"]
        if session is not None and session.mode == "payment" and page.closed == "complete":
            icon, heading, message, link_text = _PAID
        elif session is not None and session.mode == "payment":
            message = message.replace("to save your card ", "to pay ").replace("Nothing was saved",
                                                                              "You were not charged")
        link = None
        if session is not None and page.closed == "complete":
            link = success_redirect(session.success_url, session.id)
        elif session is not None and page.closed in ("expired", "unavailable"):
            link = session.cancel_url or _merchant_home(session.success_url)
        return _render(deps, "checkout_closed.html", page.status_code, (), title=heading,
                       merchant_name=merchant,
                       livemode=session.livemode if session is not None else True, icon=icon, heading=heading,
                       message=message.format(merchant=merchant), link_url=link,
                       link_text=link_text.format(merchant=merchant))
    action = checkout_sessions.hosted_url(deps, session)
    year_now, month_now = checkout_page.year_month(deps)
    values = {"exp_month": "", "exp_year": "", "name": "", **page.values}
    order = _order(session, page.saves_card)
    return _render(
        deps, "checkout.html", page.status_code, (session.success_url,),
        title="Pay" if order else "Save a card", merchant_name=merchant, livemode=session.livemode,
        order=order, submit_label=_submit_label(session),
        action=urlsplit(action).path + "?" + urlsplit(action).query,
        csrf_token=checkout_page.csrf_token(deps, session.id),
        messages=checkout_page.MESSAGES, errors=page.errors, form_error=_form_error(page), values=values,
        notice_url=page.notice_url, cancel_url=session.cancel_url,
        customer_email=(session.customer_details or {}).get("email"), year_now=year_now,
        month_now=month_now,
    )


def _order(session: CheckoutSession, saves_card: bool) -> dict[str, Any] | None:
    """Payment mode: the lines and the total as the page shows them (`25.00 USD`)."""
    if session.mode != "payment" or session.currency is None:
        return None
    currency = session.currency
    items = [{"description": item["description"], "quantity": item["quantity"],
              "amount": format_amount(int(item["amount_total"]), currency)}
             for item in session.line_items or []]
    return {"items": items, "total": format_amount(int(session.amount_total or 0), currency),
            "saves_card": saves_card}


def _submit_label(session: CheckoutSession) -> str:
    if session.mode != "payment":
        return "Save card"
    word = SUBMIT_LABELS.get(session.submit_type or "", "Pay")
    return f"{word} {format_amount(int(session.amount_total or 0), session.currency or '')}"


def _merchant_home(success_url: str | None) -> str | None:
    """Without a cancel_url, the way back to the merchant is its site: success_url's origin (an app's own
    scheme has no such home: no link then)."""
    origin = origin_of(success_url or "")
    return origin + "/" if origin and origin.startswith(("https://", "http://")) else None


def _form_error(page: Page) -> str | None:
    """The message above the form: the page's own, or the failed attempt's in the cardholder's words (never
    the API's message, which is written for the merchant's developer)."""
    if page.form_error:
        return page.form_error
    return cardholder_message(*page.failure) if page.failure else None


# -- routes --------------------------------------------------------------------------------------------------
@router.get("/checkout/setup/{hosted_id}")
@router.get("/checkout/pay/{hosted_id}")
def show_checkout_page(hosted_id: str, request: Request) -> Response:
    deps: Deps = request.app.state.deps
    query = request.query_params
    try:
        page = retry_on_conflict(lambda: checkout_page.show_page(
            deps, hosted_id, query.get("key", ""), redirect_status=query.get("redirect_status")))
    except TransactionConflict:
        return _busy(deps)
    return _respond(deps, page)


@router.post("/checkout/setup/{hosted_id}")
@router.post("/checkout/pay/{hosted_id}")
async def submit_checkout_page(hosted_id: str, request: Request) -> Response:
    deps: Deps = request.app.state.deps
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return _notice(deps, 413, "Request too large", "The form was too large. Go back and try again.")
    form: dict[str, str] = {}
    if content_type == "application/x-www-form-urlencoded":
        for name, value in parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True):
            if name in checkout_page.FIELDS or name == "csrf_token":
                form.setdefault(name, value)
    del body
    key = request.query_params.get("key", "")
    try:
        page = await run_in_threadpool(retry_on_conflict,
                                       lambda: checkout_page.submit_card(deps, hosted_id, key, form))
    except TransactionConflict:
        return _busy(deps)
    finally:
        form.clear()
    return _respond(deps, page)


def _busy(deps: Deps) -> Response:
    return _notice(deps, 503, "Try again", "The server is busy. Go back and submit the form again.")


def _notice(deps: Deps, status: int, heading: str, message: str) -> Response:
    return _render(deps, "checkout_closed.html", status, (), title=heading, merchant_name="paykeep",
                   livemode=True, icon="⚠", heading=heading, message=message, link_url=None, link_text="")


def _static(name: str) -> Response:
    data = resources.files("paykeep.web").joinpath("static", name).read_bytes()
    return Response(data, media_type=_STATIC[name],
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


@router.get("/static/checkout.css")
def checkout_css() -> Response:
    return _static("checkout.css")


@router.get("/static/checkout.js")
def checkout_js() -> Response:
    return _static("checkout.js")


@router.get("/static/card_rules.js")
def card_rules_js() -> Response:
    return _static("card_rules.js")
