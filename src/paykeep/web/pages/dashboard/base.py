"""What every dashboard page shares: the signed-in session, CSRF on forms, running use cases, HTML errors.

A page handler takes `dash: Page` (GET) or `dash: Form` (POST, CSRF checked) and calls the same service
functions as the API through `dash.read(fn)` / `dash.change(fn)` with a Context for the signed-in user's
account and the selected mode, so the dashboard has no rules of its own and its changes emit the API's events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from paykeep.domain.dialects import Dialect, stripe_version
from paykeep.domain.errors import PaykeepError, RateLimited, ResourceMissing
from paykeep.services import dashboard_sessions
from paykeep.services.ports import Caller, Context, Deps
from paykeep.services.transactions import transaction
from paykeep.web.api.endpoint import retry_on_conflict
from paykeep.web.api.errors import status_for
from paykeep.web.pages.dashboard import cookies
from paykeep.web.pages.dashboard.render import html, security_headers

log = logging.getLogger("paykeep.dashboard")
T = TypeVar("T")
PAGE_SIZE = 20
ADMINISTRATOR = "administrator"  # dashboard_users' roles: administrator | member

# Fixed messages shown after a form redirects back (`?notice=<code>`): a URL cannot inject text.
NOTICES = {
    "endpoint_created": "Webhook endpoint created.",
    "endpoint_enabled": "Webhook endpoint enabled.",
    "endpoint_disabled": "Webhook endpoint disabled: its pending deliveries were canceled.",
    "endpoint_deleted": "Webhook endpoint deleted.",
    "test_sent": "Test event queued for delivery: its attempt appears below within seconds.",
    "no_events": "There is no event in this mode to send yet: create a customer first.",
    "resent": "Event queued for delivery again: the new attempt appears below within seconds.",
    "resend_none": "No enabled endpoint is subscribed to this event type: nothing was sent.",
    "key_rolled": "Key rolled: the old key no longer works.",
    "key_rolled_later": "Key rolled: the old key keeps working until its expiry, shown below.",
    "confirm_needed": "Nothing was changed: tick “sure” next to the button to confirm.",
    "mode_test": "Now viewing test data.",
    "mode_live": "Now viewing live data.",
    "dialect_saved": "Default dialect saved: API requests without a Paykeep-Dialect header speak it from "
                     "their next request on.",
}


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__("sign in required")
        self.next_path = next_path


class CsrfRejected(Exception):
    pass


class PageMissing(Exception):
    pass


def safe_next(path: str | None) -> str:
    """Only dashboard paths: never another host (`//evil`, `/\\evil`, `https:`)."""
    if not path or not path.startswith("/dashboard") or "//" in path or "\\" in path or len(path) > 500:
        return "/dashboard"
    return path


def sign_in_url(next_path: str) -> str:
    return "/dashboard/sign-in?" + urlencode({"next": safe_next(next_path)})


class Dash:
    """One dashboard request: the session, the form (POST), and the use-case runners."""

    def __init__(self, request: Request, token: str, session: dict[str, Any], form: dict[str, list[str]]):
        self.request = request
        self.deps: Deps = request.app.state.deps
        self.session = session
        self.form = form
        self.csrf = cookies.csrf_token(self.deps, token)

    @property
    def livemode(self) -> bool:
        return bool(self.session["livemode"])

    @property
    def is_admin(self) -> bool:
        """Administrators change the account's settings; other users see them."""
        return self.session.get("role") == ADMINISTRATOR

    @property
    def caller(self) -> Caller:
        return dashboard_sessions.caller_for(self.session, getattr(self.request.state, "request_id", None))

    def caller_in(self, dialect: Dialect) -> Caller:
        """The caller as an API request in `dialect` would be (the ids it mints, a new endpoint's dialect and
        api_version). Pages render in WooshPay's form whatever the dialect: times from stored ms."""
        version = stripe_version(None) if dialect is Dialect.STRIPE else None
        return replace(self.caller, dialect=dialect, api_version=version)

    def field(self, name: str, default: str = "") -> str:
        values = self.form.get(name)
        return values[0] if values else default

    @property
    def confirmed(self) -> bool:
        """Destructive forms (delete, roll, expire) carry a ticked `confirm` box."""
        return self.field("confirm") == "yes"

    def fields(self, name: str) -> list[str]:
        return list(self.form.get(name, []))

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)[:500]

    # -- running use cases ----------------------------------------------------------------------------
    def read(self, fn: Callable[[Context], T]) -> T:
        with transaction(self.deps, self.caller, write=False) as ctx:
            return fn(ctx)

    def change(self, fn: Callable[[Context], T], dialect: Dialect | None = None) -> T:
        """One write transaction (re-run on a conflict); the runner wakes the webhook worker after commit.
        `dialect`: made as by an API request in it (see caller_in); else the dashboard's own (WooshPay)."""
        caller = self.caller if dialect is None else self.caller_in(dialect)

        def run() -> T:
            with transaction(self.deps, caller) as ctx:
                return fn(ctx)

        return retry_on_conflict(run)

    def resend(self, event_id: str, endpoint_id: str | None) -> list[dict[str, Any]]:
        """The webhooks slice's resend (`paykeep events resend`); it opens its own transaction."""
        from paykeep.services import deliveries

        return retry_on_conflict(lambda: deliveries.resend_event(self.deps, event_id, endpoint_id))

    # -- answers ----------------------------------------------------------------------------------------
    def page(self, template: str, http_status: int = 200, **values: Any) -> Response:
        notice = NOTICES.get(self.query("notice"))
        return html(template, {"dash": self, "notice": notice, "error": None, **values}, http_status)

    def redirect(self, path: str, notice: str | None = None) -> Response:
        url = path + (("&" if "?" in path else "?") + "notice=" + quote(notice) if notice else "")
        return RedirectResponse(url, status_code=303)

    def page_links(self, rows: Sequence[Any], has_more: bool, **keep: str) -> dict[str, str | None]:
        """Newer/older links for a cursor page (the same cursors as the API's lists)."""
        before, after = self.query("ending_before"), self.query("starting_after")
        base = {k: v for k, v in keep.items() if v}
        path = self.request.url.path
        newer = older = None
        if rows and (after or (before and has_more)):
            newer = path + "?" + urlencode({**base, "ending_before": rows[0]["id"]})
        if rows and (has_more if not before else True):
            older = path + "?" + urlencode({**base, "starting_after": rows[-1]["id"]})
        return {"newer": newer, "older": older}


def _current(request: Request) -> tuple[str, dict[str, Any]]:
    deps: Deps = request.app.state.deps
    token = cookies.session_token(deps, request)
    session = dashboard_sessions.find_session(deps, token) if token else None
    if token is None or session is None:
        raise SignInRequired(request.url.path + (("?" + request.url.query) if request.url.query else ""))
    return token, session


def _page(request: Request) -> Dash:  # sync: FastAPI runs it in the thread pool (it reads the database)
    token, session = _current(request)
    return Dash(request, token, session, {})


async def _form(request: Request) -> Dash:
    token, session = await run_in_threadpool(_current, request)
    form = await request.form()
    fields: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, []).append(value)
    deps: Deps = request.app.state.deps
    sent = fields.get(cookies.CSRF_FIELD, [""])[0]
    if not cookies.csrf_ok(deps, token, sent):
        raise CsrfRejected()
    return Dash(request, token, session, fields)


Page = Annotated[Dash, Depends(_page)]
Form = Annotated[Dash, Depends(_form)]


def error_page(status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Response:
    values = {"dash": None, "notice": None, "title": title, "message": message}
    return html("error.html", values, status, headers)


def _answer_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInRequired):
        response: Response = RedirectResponse(sign_in_url(exc.next_path), status_code=303)
        if cookies.SESSION_COOKIE in request.cookies:  # expired or ended: drop it
            cookies.clear_session_cookie(request.app.state.deps, response)
        return response
    if isinstance(exc, CsrfRejected):
        return error_page(403, "Form rejected", "This form was not sent from a page of this dashboard, or it "
                          "has expired. Go back, reload the page and try again.")
    if isinstance(exc, PageMissing | ResourceMissing):
        message = exc.message if isinstance(exc, ResourceMissing) else "There is no such page."
        return error_page(404, "Not found", message + " Objects of the other mode (test/live) are not shown.")
    if isinstance(exc, RateLimited):
        return error_page(429, "Too many requests", exc.message)
    if isinstance(exc, PaykeepError):
        return error_page(status_for(exc), "Request refused", exc.message)
    if isinstance(exc, RequestValidationError | ValidationError):
        return error_page(400, "Bad request", "Some of the values sent are not valid.")
    log.error("unhandled dashboard error: %s", type(exc).__name__)
    return error_page(500, "Something went wrong", "The server could not show this page. Nothing has been "
                      "shown or logged that includes card data.")


class DashboardRoute(APIRoute):
    """Turns dashboard errors into HTML pages (or a redirect to sign in) and adds the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def dashboard_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:  # every outcome is a page, never the API's JSON or a stack trace
                response = _answer_error(request, exc)
            for name, value in security_headers().items():
                if name not in response.headers:
                    response.headers[name] = value
            return response

        return dashboard_handler
