"""/v1/events"""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.services import events
from paykeep.web.api.endpoint import Api, body_doc
from paykeep.web.api.route import ApiRoute
from paykeep.wire.events import EventList, EventRetrieve, render_event

router = APIRouter(prefix="/v1/events", tags=["events"], route_class=ApiRoute)


@router.get("", **body_doc(EventList, query=True))
async def list_events(api: Api) -> Response:
    return await api.list(EventList, lambda ctx, p: events.list_events(ctx, p), render_event)


@router.get("/{event_id}", **body_doc(EventRetrieve, query=True))
async def retrieve_event(event_id: str, api: Api) -> Response:
    return await api.read(EventRetrieve, lambda ctx, p: events.retrieve_event(ctx, event_id), render_event)
