"""/v1/payment_intents"""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.services import payment_intents, search
from paykeep.web.api.endpoint import Api, PublishableApi, body_doc
from paykeep.web.api.expand import register_expandable
from paykeep.web.api.route import ApiRoute
from paykeep.wire.charges import render_charge
from paykeep.wire.payment_intents import (
    PaymentIntentCancel,
    PaymentIntentCapture,
    PaymentIntentConfirm,
    PaymentIntentCreate,
    PaymentIntentList,
    PaymentIntentRetrieve,
    PaymentIntentUpdate,
    render_payment_intent,
    render_payment_intent_public,
)
from paykeep.wire.search import SearchParams

router = APIRouter(prefix="/v1/payment_intents", tags=["payment_intents"], route_class=ApiRoute)
register_expandable("pi", "payment_intents", render_payment_intent, ("payment_intent",))
register_expandable("ch", "charges", render_charge, ("latest_charge", "charge"))


@router.post("", **body_doc(PaymentIntentCreate))
def create_payment_intent(api: Api) -> Response:
    p = api.params(PaymentIntentCreate)
    return api.execute(lambda ctx: payment_intents.create_payment_intent(ctx, p),
                       render_payment_intent, p.expand)


@router.get("", **body_doc(PaymentIntentList, query=True))
async def list_payment_intents(api: Api) -> Response:
    return await api.list(
        PaymentIntentList, lambda ctx, p: payment_intents.list_payment_intents(ctx, p), render_payment_intent
    )


# before /{id}: FastAPI takes the first route that matches, and /{id} would take "search" for an id
@router.get("/search", **body_doc(SearchParams, query=True))
async def search_payment_intents(api: Api) -> Response:
    return await api.search(SearchParams, lambda ctx, p: search.search_payment_intents(ctx, p),
                            render_payment_intent)


@router.get("/{intent_id}", **body_doc(PaymentIntentRetrieve, query=True))
async def retrieve_payment_intent(intent_id: str, api: PublishableApi) -> Response:
    return await api.read(  # a publishable key (with the client_secret) gets the reduced client-side view
        PaymentIntentRetrieve,
        lambda ctx, p: payment_intents.retrieve_payment_intent(ctx, intent_id, p.client_secret),
        render_payment_intent, public_render=render_payment_intent_public,
    )


@router.post("/{intent_id}", **body_doc(PaymentIntentUpdate))
def update_payment_intent(intent_id: str, api: Api) -> Response:
    p = api.params(PaymentIntentUpdate)
    return api.execute(lambda ctx: payment_intents.update_payment_intent(ctx, intent_id, p),
                       render_payment_intent, p.expand)


@router.post("/{intent_id}/confirm", **body_doc(PaymentIntentConfirm))
def confirm_payment_intent(intent_id: str, api: PublishableApi) -> Response:
    p = api.params(PaymentIntentConfirm)  # a publishable key: with the client_secret, the client-side view
    return api.execute(lambda ctx: payment_intents.confirm_payment_intent(ctx, intent_id, p),
                       render_payment_intent, p.expand, public_render=render_payment_intent_public)


@router.post("/{intent_id}/capture", **body_doc(PaymentIntentCapture))
def capture_payment_intent(intent_id: str, api: Api) -> Response:
    p = api.params(PaymentIntentCapture)
    return api.execute(lambda ctx: payment_intents.capture_payment_intent(ctx, intent_id, p),
                       render_payment_intent, p.expand)


@router.post("/{intent_id}/cancel", **body_doc(PaymentIntentCancel))
def cancel_payment_intent(intent_id: str, api: Api) -> Response:
    p = api.params(PaymentIntentCancel)
    return api.execute(lambda ctx: payment_intents.cancel_payment_intent(ctx, intent_id, p),
                       render_payment_intent, p.expand)
