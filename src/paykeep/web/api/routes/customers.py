"""/v1/customers"""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.services import customers, search
from paykeep.web.api.endpoint import Api, body_doc
from paykeep.web.api.expand import register_expandable
from paykeep.web.api.route import ApiRoute
from paykeep.wire.customers import (
    CustomerCreate,
    CustomerList,
    CustomerRetrieve,
    CustomerUpdate,
    render_customer,
)
from paykeep.wire.params import ExpandParams
from paykeep.wire.payment_methods import render_payment_method
from paykeep.wire.search import SearchParams

router = APIRouter(prefix="/v1/customers", tags=["customers"], route_class=ApiRoute)
register_expandable("cus", "customers", render_customer, ("customer",))


@router.post("", **body_doc(CustomerCreate))
def create_customer(api: Api) -> Response:
    p = api.params(CustomerCreate)
    return api.execute(lambda ctx: customers.create_customer(ctx, p), render_customer, p.expand)


@router.get("", **body_doc(CustomerList, query=True))
async def list_customers(api: Api) -> Response:
    return await api.list(CustomerList, lambda ctx, p: customers.list_customers(ctx, p), render_customer)


# before /{id}: FastAPI takes the first route that matches, and /{id} would take "search" for an id
@router.get("/search", **body_doc(SearchParams, query=True))
async def search_customers(api: Api) -> Response:
    return await api.search(SearchParams, lambda ctx, p: search.search_customers(ctx, p), render_customer)


@router.get("/{customer_id}", **body_doc(CustomerRetrieve, query=True))
async def retrieve_customer(customer_id: str, api: Api) -> Response:
    return await api.read(
        CustomerRetrieve, lambda ctx, p: customers.retrieve_customer(ctx, customer_id), render_customer
    )


@router.post("/{customer_id}", **body_doc(CustomerUpdate))
def update_customer(customer_id: str, api: Api) -> Response:
    p = api.params(CustomerUpdate)
    return api.execute(lambda ctx: customers.update_customer(ctx, customer_id, p), render_customer, p.expand)


@router.delete("/{customer_id}", **body_doc(ExpandParams, query=True))
def delete_customer(customer_id: str, api: Api) -> Response:
    p = api.params(ExpandParams)
    return api.execute(lambda ctx: customers.delete_customer(ctx, customer_id), render_customer, p.expand)


@router.get("/{customer_id}/payment_methods/{payment_method_id}", **body_doc(ExpandParams, query=True))
async def retrieve_customer_payment_method(customer_id: str, payment_method_id: str, api: Api) -> Response:
    return await api.read(
        ExpandParams,
        lambda ctx, p: customers.retrieve_customer_payment_method(ctx, customer_id, payment_method_id),
        render_payment_method,
    )
