"""/v1/prices"""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.services import prices, search
from paykeep.web.api.endpoint import Api, body_doc
from paykeep.web.api.expand import register_expandable
from paykeep.web.api.route import ApiRoute
from paykeep.wire.prices import PriceCreate, PriceList, PriceRetrieve, PriceUpdate, render_price
from paykeep.wire.search import SearchParams

router = APIRouter(prefix="/v1/prices", tags=["prices"], route_class=ApiRoute)
register_expandable("price", "prices", render_price, ("price", "default_price"))


@router.post("", **body_doc(PriceCreate))
def create_price(api: Api) -> Response:
    p = api.params(PriceCreate)
    return api.execute(lambda ctx: prices.create_price(ctx, p), render_price, p.expand)


@router.get("", **body_doc(PriceList, query=True))
async def list_prices(api: Api) -> Response:
    return await api.list(PriceList, lambda ctx, p: prices.list_prices(ctx, p), render_price)


@router.get("/search", **body_doc(SearchParams, query=True))  # before /{id}, which would take "search"
async def search_prices(api: Api) -> Response:
    return await api.search(SearchParams, lambda ctx, p: search.search_prices(ctx, p), render_price)


@router.get("/{price_id}", **body_doc(PriceRetrieve, query=True))
async def retrieve_price(price_id: str, api: Api) -> Response:
    return await api.read(PriceRetrieve, lambda ctx, p: prices.retrieve_price(ctx, price_id), render_price)


@router.post("/{price_id}", **body_doc(PriceUpdate))
def update_price(price_id: str, api: Api) -> Response:
    p = api.params(PriceUpdate)
    return api.execute(lambda ctx: prices.update_price(ctx, price_id, p), render_price, p.expand)
