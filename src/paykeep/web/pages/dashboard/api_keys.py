"""API keys of the selected mode: reveal the test keys, roll a key (the old one stops working)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from paykeep.services import accounts
from paykeep.services.ports import Context
from paykeep.web.pages.dashboard.base import Dash, DashboardRoute, Form, Page

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)
BASE = "/dashboard/api-keys"
EXPIRY_CHOICES = {"now": 0, "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000}


def _mode_keys(ctx: Context) -> list[dict[str, Any]]:
    return accounts.list_keys(ctx.uow, ctx.deps, ctx.caller.account_id, ctx.caller.livemode)


def _keys_page(dash: Dash, *, revealed: dict[str, str] | None = None, rolled: dict[str, Any] | None = None,
               status: int = 200) -> Response:
    keys = dash.read(_mode_keys)
    return dash.page("api_keys.html", status, section="api-keys", keys=keys, revealed=revealed or {},
                     rolled=rolled, expiry_choices=list(EXPIRY_CHOICES))


@router.get("/api-keys")
def key_list(dash: Page) -> Response:
    return _keys_page(dash)


@router.post("/api-keys/reveal")
def key_reveal(dash: Form) -> Response:
    """Test keys only: live secret keys are shown once (at `paykeep init` or right after a roll)."""
    if dash.livemode:
        return _keys_page(dash, status=403)

    def reveal(ctx: Context) -> dict[str, str]:
        keys = accounts.list_keys(ctx.uow, ctx.deps, ctx.caller.account_id, False)
        return {k["id"]: accounts.reveal_key(ctx.uow, ctx.deps, ctx.caller.account_id, k["id"]) for k in keys}

    return _keys_page(dash, revealed=dash.read(reveal))


@router.post("/api-keys/{key_id}/roll")
def key_roll(key_id: str, dash: Form) -> Response:
    if not dash.confirmed:
        return dash.redirect(BASE, "confirm_needed")
    expires_in = EXPIRY_CHOICES.get(dash.field("expires", "now"), 0)

    def roll(ctx: Context) -> dict[str, Any]:
        own = {k["id"] for k in _mode_keys(ctx)}
        if key_id not in own:  # a key of the other mode is not on this page
            from paykeep.domain.errors import ResourceMissing

            raise ResourceMissing("api_key", key_id)
        raw = accounts.roll_key(ctx.uow, ctx.deps, ctx.caller.account_id, key_id, expires_in)
        return {"key": raw, "old": key_id, "expires_in": expires_in}

    return _keys_page(dash, rolled=dash.change(roll))


@router.post("/api-keys/{key_id}/expire")
def key_expire(key_id: str, dash: Form) -> Response:
    """An old key that was rolled with a delay stops working now."""
    if not dash.confirmed:
        return dash.redirect(BASE, "confirm_needed")
    dash.change(lambda ctx: accounts.expire_key(ctx.uow, ctx.deps, ctx.caller.account_id, key_id))
    return dash.redirect(BASE, "key_rolled")
