"""/v1/refunds"""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.services import refunds
from paykeep.web.api.endpoint import Api, body_doc
from paykeep.web.api.expand import register_expandable
from paykeep.web.api.route import ApiRoute
from paykeep.wire.refunds import RefundCreate, RefundList, RefundRetrieve, RefundUpdate, render_refund

router = APIRouter(prefix="/v1/refunds", tags=["refunds"], route_class=ApiRoute)
register_expandable("re", "refunds", render_refund)


@router.post("", **body_doc(RefundCreate))
def create_refund(api: Api) -> Response:
    p = api.params(RefundCreate)
    return api.execute(lambda ctx: refunds.create_refund(ctx, p), render_refund, p.expand)


@router.get("", **body_doc(RefundList, query=True))
async def list_refunds(api: Api) -> Response:
    return await api.list(RefundList, lambda ctx, p: refunds.list_refunds(ctx, p), render_refund)


@router.get("/{refund_id}", **body_doc(RefundRetrieve, query=True))
async def retrieve_refund(refund_id: str, api: Api) -> Response:
    return await api.read(
        RefundRetrieve, lambda ctx, p: refunds.retrieve_refund(ctx, refund_id), render_refund
    )


@router.post("/{refund_id}", **body_doc(RefundUpdate))
def update_refund(refund_id: str, api: Api) -> Response:
    p = api.params(RefundUpdate)
    return api.execute(lambda ctx: refunds.update_refund(ctx, refund_id, p), render_refund, p.expand)
