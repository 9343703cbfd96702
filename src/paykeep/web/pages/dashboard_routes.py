"""/dashboard: the merchant dashboard's routes (web/app.py includes `router` from each module of this
package; the pages themselves are in paykeep.web.pages.dashboard)."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Response

from paykeep.web.pages.dashboard import (
    api_keys,
    auth,
    customers,
    events,
    home,
    intents,
    logs,
    objects,
    settings,
    webhooks,
)
from paykeep.web.pages.dashboard.base import DashboardRoute, Page, PageMissing

_fallback = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)


@_fallback.get("/assets/dashboard.css")
def stylesheet() -> Response:
    """The one stylesheet (no external assets, no inline styles: the CSP allows only 'self')."""
    css = resources.files("paykeep").joinpath("web/static/dashboard.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@_fallback.get("/{rest:path}")
@_fallback.post("/{rest:path}")
def unknown_page(rest: str, dash: Page) -> Response:
    """Any other /dashboard path: sign in first, then a 404 page (never the API's JSON)."""
    raise PageMissing()


# In this order: the catch-all comes last.
PAGE_ROUTERS = (auth.router, home.router, customers.router, intents.router, objects.router, webhooks.router,
                events.router, api_keys.router, settings.router, logs.router, _fallback)
router = APIRouter(include_in_schema=False)
for _page_router in PAGE_ROUTERS:
    router.include_router(_page_router)
