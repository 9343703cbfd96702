"""/v1/charges"""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.services import charges, search
from paykeep.web.api.endpoint import Api, body_doc
from paykeep.web.api.route import ApiRoute
from paykeep.wire.charges import ChargeCapture, ChargeList, ChargeRetrieve, ChargeUpdate, render_charge
from paykeep.wire.search import SearchParams

router = APIRouter(prefix="/v1/charges", tags=["charges"], route_class=ApiRoute)


@router.get("", **body_doc(ChargeList, query=True))
async def list_charges(api: Api) -> Response:
    return await api.list(ChargeList, lambda ctx, p: charges.list_charges(ctx, p), render_charge)


# before /{id}: FastAPI takes the first route that matches, and /{id} would take "search" for an id
@router.get("/search", **body_doc(SearchParams, query=True))
async def search_charges(api: Api) -> Response:
    return await api.search(SearchParams, lambda ctx, p: search.search_charges(ctx, p), render_charge)


@router.get("/{charge_id}", **body_doc(ChargeRetrieve, query=True))
async def retrieve_charge(charge_id: str, api: Api) -> Response:
    return await api.read(ChargeRetrieve, lambda ctx, p: charges.retrieve_charge(ctx, charge_id),
                          render_charge)


@router.post("/{charge_id}", **body_doc(ChargeUpdate))
def update_charge(charge_id: str, api: Api) -> Response:
    p = api.params(ChargeUpdate)
    return api.execute(lambda ctx: charges.update_charge(ctx, charge_id, p), render_charge, p.expand)


@router.post("/{charge_id}/capture", **body_doc(ChargeCapture))
def capture_charge(charge_id: str, api: Api) -> Response:
    p = api.params(ChargeCapture)
    return api.execute(lambda ctx: charges.capture_charge(ctx, charge_id, p), render_charge, p.expand)
