"""/v1/setup_intents"""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.services import setup_intents
from paykeep.web.api.endpoint import Api, PublishableApi, body_doc
from paykeep.web.api.expand import register_expandable
from paykeep.web.api.route import ApiRoute
from paykeep.wire.setup_intents import (
    SetupIntentCancel,
    SetupIntentConfirm,
    SetupIntentCreate,
    SetupIntentList,
    SetupIntentRetrieve,
    SetupIntentUpdate,
    render_setup_intent,
    render_setup_intent_public,
)

router = APIRouter(prefix="/v1/setup_intents", tags=["setup_intents"], route_class=ApiRoute)
register_expandable("seti", "setup_intents", render_setup_intent, ("setup_intent",))


@router.post("", **body_doc(SetupIntentCreate))
def create_setup_intent(api: Api) -> Response:
    p = api.params(SetupIntentCreate)
    return api.execute(lambda ctx: setup_intents.create_setup_intent(ctx, p), render_setup_intent, p.expand)


@router.get("", **body_doc(SetupIntentList, query=True))
async def list_setup_intents(api: Api) -> Response:
    return await api.list(
        SetupIntentList, lambda ctx, p: setup_intents.list_setup_intents(ctx, p), render_setup_intent
    )


@router.get("/{intent_id}", **body_doc(SetupIntentRetrieve, query=True))
async def retrieve_setup_intent(intent_id: str, api: PublishableApi) -> Response:
    return await api.read(  # a publishable key (with the client_secret) gets the reduced client-side view
        SetupIntentRetrieve,
        lambda ctx, p: setup_intents.retrieve_setup_intent(ctx, intent_id, p.client_secret),
        render_setup_intent, public_render=render_setup_intent_public,
    )


@router.post("/{intent_id}", **body_doc(SetupIntentUpdate))
def update_setup_intent(intent_id: str, api: Api) -> Response:
    p = api.params(SetupIntentUpdate)
    return api.execute(lambda ctx: setup_intents.update_setup_intent(ctx, intent_id, p), render_setup_intent,
                       p.expand)


@router.post("/{intent_id}/confirm", **body_doc(SetupIntentConfirm))
def confirm_setup_intent(intent_id: str, api: PublishableApi) -> Response:
    p = api.params(SetupIntentConfirm)  # a publishable key: with the client_secret, the client-side view
    return api.execute(lambda ctx: setup_intents.confirm_setup_intent(ctx, intent_id, p), render_setup_intent,
                       p.expand, public_render=render_setup_intent_public)


@router.post("/{intent_id}/cancel", **body_doc(SetupIntentCancel))
def cancel_setup_intent(intent_id: str, api: Api) -> Response:
    p = api.params(SetupIntentCancel)
    return api.execute(lambda ctx: setup_intents.cancel_setup_intent(ctx, intent_id, p), render_setup_intent,
                       p.expand)
