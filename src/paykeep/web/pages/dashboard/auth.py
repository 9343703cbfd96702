"""Sign in, sign out, and the test/live switch."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from paykeep.services import dashboard_sessions, dashboard_users
from paykeep.services.ports import Deps
from paykeep.web.pages.dashboard import cookies
from paykeep.web.pages.dashboard.base import DashboardRoute, Form, error_page, safe_next
from paykeep.web.pages.dashboard.render import html

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)


def _sign_in_form(request: Request, *, status: int = 200, email: str = "", error: str | None = None,
                  next_path: str = "/dashboard", headers: dict[str, str] | None = None) -> Response:
    deps: Deps = request.app.state.deps
    nonce, new = cookies.signin_nonce(request)
    values = {"dash": None, "notice": None, "error": error, "email": email, "next": safe_next(next_path),
              "csrf": cookies.signin_csrf_token(deps, nonce)}
    response = html("sign_in.html", values, status, headers)
    if new:
        cookies.set_signin_cookie(deps, response, nonce)
    return response


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    deps: Deps = request.app.state.deps
    token = cookies.session_token(deps, request)
    next_path = safe_next(request.query_params.get("next"))
    if token and dashboard_sessions.find_session(deps, token):
        return RedirectResponse(next_path, status_code=303)
    return _sign_in_form(request, next_path=next_path)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    deps: Deps = request.app.state.deps
    form = await request.form()
    email = str(form.get("email") or "")[:320]
    password = str(form.get("password") or "")
    next_path = safe_next(str(form.get("next") or ""))
    if not cookies.signin_csrf_ok(deps, request, str(form.get(cookies.CSRF_FIELD) or "")):
        return _sign_in_form(request, status=403, email=email, next_path=next_path,
                             error="The sign-in form expired. Please try again.")
    # the peer's address, or X-Forwarded-For's when the peer is one of `serve --forwarded-allow-ips`
    address = request.client.host if request.client else "unknown"
    try:
        token, _session = await run_in_threadpool(dashboard_users.sign_in, deps, email, password, address)
    except dashboard_users.SignInThrottled as exc:
        wait = exc.retry_after_s
        return error_page(429, "Too many sign-in attempts", "Too many failed sign-in attempts for this email "
                          f"or from your address. Try again in {wait} seconds.", {"Retry-After": str(wait)})
    except dashboard_users.SignInFailed:
        return _sign_in_form(request, status=401, email=email, next_path=next_path,
                             error="Incorrect email or password.")
    response = RedirectResponse(next_path, status_code=303)
    cookies.set_session_cookie(deps, response, token)
    cookies.clear_signin_cookie(deps, response)
    return response


@router.post("/sign-out")
def sign_out(dash: Form) -> Response:
    dashboard_sessions.end_session(dash.deps, dash.session)
    response = RedirectResponse("/dashboard/sign-in", status_code=303)
    cookies.clear_session_cookie(dash.deps, response)
    return response


@router.post("/mode")
def switch_mode(dash: Form) -> Response:
    """The test/live switch; lands on the same section (an object of one mode is not in the other)."""
    livemode = dash.field("mode") == "live"
    dashboard_sessions.switch_mode(dash.deps, dash.session, livemode)
    parts = safe_next(dash.field("next")).split("?")[0].split("/")
    return dash.redirect("/".join(parts[:3]), "mode_live" if livemode else "mode_test")
