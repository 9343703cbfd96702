"""/v1/payment_methods and /v1/customers/{id}/payment_methods"""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.services import payment_methods
from paykeep.web.api.endpoint import Api, PublishableApi, body_doc
from paykeep.web.api.expand import register_expandable
from paykeep.web.api.route import ApiRoute
from paykeep.wire.payment_methods import (
    CustomerPaymentMethodList,
    PaymentMethodAttach,
    PaymentMethodCreate,
    PaymentMethodDetach,
    PaymentMethodList,
    PaymentMethodRetrieve,
    PaymentMethodUpdate,
    render_payment_method,
)

router = APIRouter(tags=["payment_methods"], route_class=ApiRoute)
register_expandable("pm", "payment_methods", render_payment_method,
                    ("payment_method", "default_payment_method"))


@router.post("/v1/payment_methods", **body_doc(PaymentMethodCreate))
def create_payment_method(api: PublishableApi) -> Response:
    p = api.params(PaymentMethodCreate)
    return api.execute(lambda ctx: payment_methods.create_payment_method(ctx, p), render_payment_method,
                       p.expand)


@router.get("/v1/payment_methods", **body_doc(PaymentMethodList, query=True))
async def list_payment_methods(api: Api) -> Response:
    return await api.list(
        PaymentMethodList, lambda ctx, p: payment_methods.list_payment_methods(ctx, p), render_payment_method
    )


@router.get("/v1/payment_methods/{pm_id}", **body_doc(PaymentMethodRetrieve, query=True))
async def retrieve_payment_method(pm_id: str, api: Api) -> Response:
    return await api.read(
        PaymentMethodRetrieve, lambda ctx, p: payment_methods.retrieve_payment_method(ctx, pm_id),
        render_payment_method,
    )


@router.post("/v1/payment_methods/{pm_id}", **body_doc(PaymentMethodUpdate))
def update_payment_method(pm_id: str, api: Api) -> Response:
    p = api.params(PaymentMethodUpdate)
    return api.execute(lambda ctx: payment_methods.update_payment_method(ctx, pm_id, p),
                       render_payment_method, p.expand)


@router.post("/v1/payment_methods/{pm_id}/attach", **body_doc(PaymentMethodAttach))
def attach_payment_method(pm_id: str, api: Api) -> Response:
    p = api.params(PaymentMethodAttach)
    return api.execute(lambda ctx: payment_methods.attach_payment_method_by_id(ctx, pm_id, p),
                       render_payment_method, p.expand)


@router.post("/v1/payment_methods/{pm_id}/detach", **body_doc(PaymentMethodDetach))
def detach_payment_method(pm_id: str, api: Api) -> Response:
    p = api.params(PaymentMethodDetach)
    return api.execute(lambda ctx: payment_methods.detach_payment_method(ctx, pm_id), render_payment_method,
                       p.expand)


@router.get("/v1/customers/{customer_id}/payment_methods", **body_doc(CustomerPaymentMethodList, query=True))
async def list_customer_payment_methods(customer_id: str, api: Api) -> Response:
    return await api.list(
        CustomerPaymentMethodList,
        lambda ctx, p: payment_methods.list_customer_payment_methods(ctx, customer_id, p),
        render_payment_method,
    )
