"""The hosted 3-D Secure challenge page (API.md §4.2): GET shows it, POST answers it and sends a 303 to
return_url. Works without JavaScript; refused answers get an HTML error page with a 4xx status.

`?frame=1` is its framable variant, for a browser's modal (paykeep.js, docs/browser-api.md): any page may
frame it, and once answered it redirects nowhere but tells the window that framed it, with one script of its
own: `postMessage({type: "paykeep:3ds-complete", intent, outcome}, "*")` (no card data), and shows "done"."""

from __future__ import annotations

from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool

from paykeep.domain.challenges import ChallengeUnavailable
from paykeep.services import attempts, challenges
from paykeep.services.accounts import account_name
from paykeep.services.ports import Deps, TransactionConflict
from paykeep.web.api.endpoint import retry_on_conflict
from paykeep.web.pages.security import html_response, redirect_response

router = APIRouter(prefix="/3ds", include_in_schema=False)
_templates = Environment(loader=PackageLoader("paykeep.web", "templates"),
                         autoescape=select_autoescape(["html"]), undefined=StrictUndefined)
_CSS = resources.files("paykeep").joinpath("web/static/three_ds.css").read_text(encoding="utf-8")

# reason -> (HTTP status, heading, message)
_REFUSALS = {
    "unknown": (404, "Authentication not found",
                "This authentication link is not valid. Return to the merchant and try again."),
    "answered": (409, "Already answered", "This authentication was already completed. Nothing was changed."),
    "expired": (410, "Authentication expired",
                "This authentication link has expired. Return to the merchant and try again."),
    "superseded": (409, "No longer needed",
                   "This payment no longer waits for this authentication. Nothing was changed."),
    "invalid": (400, "Choose an answer", "Use one of the two buttons of the authentication page."),
    "busy": (503, "Try again", "The server is busy. Go back and submit your answer again."),
}
_BODY_LIMIT = 4096
# The frame variant's only script: tells the parent window the challenge is over (the page's data attributes
# say which intent, and how). Allowed by its hash in the page's CSP; the template inlines it as it is here.
NOTIFY_SCRIPT = ("(function(){var m=document.getElementById('paykeep-3ds');"
                 "window.parent.postMessage({type:'paykeep:3ds-complete',intent:m.getAttribute('data-intent'),"
                 "outcome:m.getAttribute('data-outcome')||null},'*');})();")
MESSAGE_TYPE = "paykeep:3ds-complete"


@router.get("/{token}")
def show_challenge(token: str, request: Request) -> Response:
    frame = _framed(request)
    try:
        view = challenges.view_challenge(_deps(request), token)
    except ChallengeUnavailable as refused:
        return _refusal(refused.reason, _deps(request), token, frame=frame)
    onward = [view.onward_url] if view.onward_url and not frame else []
    targets = [] if frame else [view.return_url]  # framed, an answer redirects nowhere
    return _page(200, _deps(request), form_targets=[*targets, *onward], test_mode=not view.livemode,
                 merchant=view.merchant_name, amount=_money(view.amount, view.currency),
                 card=_card(view.card_brand, view.card_last4), frame=frame)


@router.post("/{token}")
async def answer_challenge(token: str, request: Request) -> Response:
    body = (await request.body())[:_BODY_LIMIT].decode("utf-8", errors="replace")
    outcome = dict(parse_qsl(body)).get("outcome", "")
    deps, request_id, frame = _deps(request), getattr(request.state, "request_id", None), _framed(request)
    try:
        url = await run_in_threadpool(retry_on_conflict, lambda: attempts.answer_challenge(
            deps, token, outcome, request_id=request_id))
    except ChallengeUnavailable as refused:
        return _refusal(refused.reason, deps, token, frame=frame)
    except TransactionConflict:
        return _refusal("busy", deps, token, frame=frame)
    if frame:  # the modal's frame: tell the merchant's page, whatever return_url the intent has
        intent = await run_in_threadpool(challenges.intent_of, deps, token)
        return _page(200, deps, done={"outcome": outcome}, frame=True,
                     notify={"intent": intent or "", "outcome": outcome})
    if not url:  # use_stripe_sdk (Stripe dialect, no return_url): the client that opened the page goes on
        return _page(200, deps, done={"outcome": outcome})
    return redirect_response(url, 303)


def _framed(request: Request) -> bool:
    return request.query_params.get(challenges.FRAME_PARAM) == "1"


def _deps(request: Request) -> Deps:
    return request.app.state.deps


def _page(status: int, deps: Deps, *, form_targets: list[str] | None = None, **context: Any) -> Response:
    context.setdefault("error", None)
    context.setdefault("done", None)
    context.setdefault("test_mode", True)
    context.setdefault("frame", False)
    context.setdefault("notify", None)
    title = (context["error"]["heading"] if context["error"]
             else "Authentication finished" if context["done"] else "Confirm it's you")
    html = _templates.get_template("three_ds.html").render(
        title=title, css=_CSS, static_base=urlsplit(deps.public_url).path.rstrip("/"),
        notify_script=NOTIFY_SCRIPT, **context)
    return html_response(html, status, inline_styles=[_CSS], form_targets=form_targets or [],
                         inline_scripts=[NOTIFY_SCRIPT] if context["notify"] else [],
                         framable=bool(context["frame"]))


def _refusal(reason: str, deps: Deps, token: str, *, frame: bool = False) -> Response:
    status, heading, message = _REFUSALS.get(reason, _REFUSALS["unknown"])
    link = None
    notify = None
    if reason in ("invalid", "busy"):
        link = {"url": "", "text": "Back to the authentication page"}  # this same URL, shown again (GET)
    elif reason in ("answered", "expired", "superseded"):
        if frame:  # nowhere to go from a modal: the merchant's page reads the intent as it now stands
            intent = challenges.intent_of(deps, token)
            notify = {"intent": intent, "outcome": ""} if intent else None
        else:
            link = _back_to_merchant(deps, token)
    return _page(status, deps, error={"heading": heading, "message": message, "link": link}, frame=frame,
                 notify=notify)


def _back_to_merchant(deps: Deps, token: str) -> dict[str, str] | None:
    """A way back for a challenge that can no longer be answered: its return_url, with the intent and its
    redirect_status as the merchant gets them after an answer (so a hosted Checkout page, for one, moves on),
    but not the intent's client_secret: an old challenge link must not hand it to whoever opens it later.
    None when the link matches no challenge."""
    with deps.begin(write=False) as uow:
        try:
            challenge = challenges.find(uow, deps, token)
        except ChallengeUnavailable:
            return None
        scope = (challenge.account_id, challenge.livemode)
        intent: Any = (uow.setup_intents.get(scope, challenge.intent_id)
                       if challenge.intent_type == "setup_intent"
                       else uow.payment_intents.get(scope, challenge.intent_id))
        merchant = account_name(uow, challenge.account_id)
    if intent is None:
        return None
    return {"url": challenges.return_url_with(challenge.return_url, challenge.intent_type, intent,
                                              client_secret=False),
            "text": f"Return to {merchant}"}


def _card(brand: str | None, last4: str | None) -> str:
    label = {"amex": "American Express", "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay"}.get(
        brand or "", (brand or "card").capitalize())
    return f"{label} •••• {last4 or '????'}"


def _money(amount: int | None, currency: str | None) -> str | None:
    if amount is None or not currency:
        return None
    code = currency.upper()
    try:
        from paykeep.domain.money import CURRENCY_EXPONENTS

        exponent = CURRENCY_EXPONENTS.get(code, 2)
    except ImportError:  # pragma: no cover - the payments slice brings the currency table
        exponent = 2
    return f"{amount / 10**exponent:,.{exponent}f} {code}"
