"""The home page: counts for the selected mode and the latest events."""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.domain.events import Event
from paykeep.services import dashboard_overview, events
from paykeep.services.ports import Context
from paykeep.web.pages.dashboard.base import DashboardRoute, Page
from paykeep.wire.events import EventList

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)


@router.get("")
@router.get("/")
def home(dash: Page) -> Response:
    def load(ctx: Context) -> tuple[dict[str, int | None], list[Event]]:
        rows, _ = events.list_events(ctx, EventList.model_validate({"limit": 10}))
        return dashboard_overview.summarize_account(ctx), rows

    counts, latest = dash.read(load)
    return dash.page("home.html", section="home", counts=counts, events=latest)
