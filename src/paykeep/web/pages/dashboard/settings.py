"""The account's settings: its id and name, and its default dialect (API.md §8), which an administrator
changes here as `paykeep account set --dialect` does (services/accounts.set_dialect). API requests without a
Paykeep-Dialect header speak it from their next request on; objects already made keep their ids, and the
dashboard shows every object the same way whichever dialect made it (times and amounts from stored values).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from paykeep.domain.dialects import NAMES, parse_dialect
from paykeep.domain.errors import ParameterInvalid, PermissionDenied
from paykeep.services import accounts
from paykeep.services.ports import Context
from paykeep.web.api.endpoint import retry_on_conflict
from paykeep.web.pages.dashboard.base import Dash, DashboardRoute, Form, Page

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)
BASE = "/dashboard/settings"
DIALECT_LABELS = {"wooshpay": "WooshPay (Unix milliseconds, USD, 19-digit ids)",
                  "stripe": "Stripe (Unix seconds, usd, Stripe-style ids, Stripe-Signature)"}


def _account(ctx: Context) -> dict[str, Any]:
    row = ctx.uow.accounts.get_by_id(ctx.caller.account_id) or {}
    return {"id": ctx.caller.account_id, "name": row.get("name"),
            "dialect": accounts.account_dialect(ctx.uow, ctx.caller.account_id).value}


def _settings_page(dash: Dash, *, status: int = 200, error: str | None = None) -> Response:
    return dash.page("settings.html", status, section="settings", account=dash.read(_account),
                     dialects=[(name, DIALECT_LABELS.get(name, name)) for name in NAMES], form_error=error)


@router.get("/settings")
def settings_page(dash: Page) -> Response:
    return _settings_page(dash)


@router.post("/settings/dialect")
def set_dialect(dash: Form) -> Response:
    """Administrators only; an unknown value changes nothing (400, the form again with the message)."""
    if not dash.is_admin:
        raise PermissionDenied("Only an administrator can change the account's settings.")
    try:
        dialect = parse_dialect(dash.field("dialect"), param="dialect")
    except ParameterInvalid as err:
        return _settings_page(dash, status=400, error=err.message)
    account_id = dash.session["account_id"]
    retry_on_conflict(lambda: accounts.set_dialect(dash.deps, dialect, account_id))
    return dash.redirect(BASE, "dialect_saved")
