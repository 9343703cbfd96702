"""Events: a list filtered by type, and a page per event with its JSON payload, every delivery attempt
(status code, latency, response excerpt) and a resend button (the webhooks slice's resend)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from paykeep.domain.errors import ParameterError
from paykeep.domain.events import EVENT_TYPES, Event
from paykeep.services import dashboard_overview, events
from paykeep.services.ports import Context
from paykeep.web.pages.dashboard.base import PAGE_SIZE, DashboardRoute, Form, Page
from paykeep.wire.events import EventList, render_event

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)


@router.get("/events")
def event_list(dash: Page) -> Response:
    event_type = dash.query("type").strip()
    error = None
    try:
        params = EventList.model_validate({"type": event_type or None, "limit": PAGE_SIZE,
                                           "starting_after": dash.query("starting_after") or None,
                                           "ending_before": dash.query("ending_before") or None})
        rows, has_more = dash.read(lambda ctx: events.list_events(ctx, params))
    except ParameterError as err:
        rows, has_more, error = [], False, err.message
    return dash.page("events.html", 400 if error else 200, section="events", event_type=event_type,
                     types=EVENT_TYPES, events=rows, form_error=error,
                     pages=dash.page_links(rows, has_more, type=event_type))


@router.get("/events/{event_id}")
def event_detail(event_id: str, dash: Page) -> Response:
    def load(ctx: Context) -> tuple[Event, list[dict[str, Any]]]:
        event = events.retrieve_event(ctx, event_id)
        return event, dashboard_overview.event_deliveries(ctx, event_id)

    event, delivered = dash.read(load)
    return dash.page("event.html", section="events", event=render_event(event), deliveries=delivered)


@router.post("/events/{event_id}/resend")
def event_resend(event_id: str, dash: Form) -> Response:
    """Queue the event again: to one endpoint (`endpoint`) or to every enabled endpoint subscribed to it."""
    dash.read(lambda ctx: events.retrieve_event(ctx, event_id))  # 404 unless it is this account's and mode's
    endpoint_id = dash.field("endpoint") or None
    queued = dash.resend(event_id, endpoint_id)
    return dash.redirect(f"/dashboard/events/{event_id}", "resent" if queued else "resend_none")
