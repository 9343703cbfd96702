"""/v1/products"""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.services import products, search
from paykeep.web.api.endpoint import Api, body_doc
from paykeep.web.api.expand import register_expandable
from paykeep.web.api.route import ApiRoute
from paykeep.wire.products import (
    ProductCreate,
    ProductDelete,
    ProductList,
    ProductRetrieve,
    ProductUpdate,
    render_product,
)
from paykeep.wire.search import SearchParams

router = APIRouter(prefix="/v1/products", tags=["products"], route_class=ApiRoute)
register_expandable("prod", "products", render_product, ("product",))


@router.post("", **body_doc(ProductCreate))
def create_product(api: Api) -> Response:
    p = api.params(ProductCreate)
    return api.execute(lambda ctx: products.create_product(ctx, p), render_product, p.expand)


@router.get("", **body_doc(ProductList, query=True))
async def list_products(api: Api) -> Response:
    return await api.list(ProductList, lambda ctx, p: products.list_products(ctx, p), render_product)


@router.get("/search", **body_doc(SearchParams, query=True))  # before /{id}, which would take "search"
async def search_products(api: Api) -> Response:
    return await api.search(SearchParams, lambda ctx, p: search.search_products(ctx, p), render_product)


@router.get("/{product_id}", **body_doc(ProductRetrieve, query=True))
async def retrieve_product(product_id: str, api: Api) -> Response:
    return await api.read(ProductRetrieve, lambda ctx, p: products.retrieve_product(ctx, product_id),
                          render_product)


@router.post("/{product_id}", **body_doc(ProductUpdate))
def update_product(product_id: str, api: Api) -> Response:
    p = api.params(ProductUpdate)
    return api.execute(lambda ctx: products.update_product(ctx, product_id, p), render_product, p.expand)


@router.delete("/{product_id}", **body_doc(ProductDelete, query=True))
def delete_product(product_id: str, api: Api) -> Response:
    api.params(ProductDelete)
    return api.execute(lambda ctx: products.delete_product(ctx, product_id), render_product)
