"""/v1/events"""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.services import events
from paykeep.web.api.endpoint import Api, body_doc
from paykeep.wire.events import EventList, EventRetrieve, render_event

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.get("", **body_doc(EventList, query=True))
def list_events(api: Api) -> Response:
    p = api.params(EventList)
    return api.list(lambda ctx: events.list_events(ctx, p), render_event, p.expand)


@router.get("/{event_id}", **body_doc(EventRetrieve, query=True))
def retrieve_event(event_id: str, api: Api) -> Response:
    p = api.params(EventRetrieve)
    return api.read(lambda ctx: events.retrieve_event(ctx, event_id), render_event, p.expand)
