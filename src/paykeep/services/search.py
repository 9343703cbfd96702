"""Search: GET /v1/{customers,payment_intents,charges,products,prices}/search (API.md §9,
docs/search.md).

The query (Stripe's language, domain/search.py) is compiled against the resource's fields with times in the
caller's dialect unit (Stripe: seconds, WooshPay: ms), run by the resource's repository in the caller's
account and mode (services/ports.py `Searchable`), newest first. `page` is the opaque `next_page` of the
previous result: the id of its last object, so a page continues with the objects older than it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from paykeep.domain.customers import Customer
from paykeep.domain.entity import Entity
from paykeep.domain.payment_intents import Charge, PaymentIntent
from paykeep.domain.products import Price, Product
from paykeep.domain.search import compile_query, page_after, page_token
from paykeep.services.ports import Context, Searchable
from paykeep.wire.search import SearchParams

R = TypeVar("R", bound=Entity)


@dataclass(frozen=True)
class SearchPage(Generic[R]):
    rows: list[R]
    has_more: bool
    next_page: str | None  # the `page` of the next call; None on the last page
    total_count: int | None = None  # with expand[]=total_count


def search_customers(ctx: Context, params: SearchParams) -> SearchPage[Customer]:
    """GET /v1/customers/search (deleted customers are not found; customers on a test clock are)."""
    return search(ctx, ctx.uow.customers, "customers", params, deleted=False)


def search_payment_intents(ctx: Context, params: SearchParams) -> SearchPage[PaymentIntent]:
    """GET /v1/payment_intents/search"""
    return search(ctx, ctx.uow.payment_intents, "payment_intents", params)


def search_charges(ctx: Context, params: SearchParams) -> SearchPage[Charge]:
    """GET /v1/charges/search"""
    return search(ctx, ctx.uow.charges, "charges", params)


def search_products(ctx: Context, params: SearchParams) -> SearchPage[Product]:
    """GET /v1/products/search (deleted products are not found)"""
    return search(ctx, ctx.uow.products, "products", params, deleted=False)


def search_prices(ctx: Context, params: SearchParams) -> SearchPage[Price]:
    """GET /v1/prices/search"""
    return search(ctx, ctx.uow.prices, "prices", params)


def search(ctx: Context, repo: Searchable[R], resource: str, params: SearchParams,
           **filters: Any) -> SearchPage[R]:
    """One page of `resource`'s records matching `params.query` (a 400 naming `query` or `page` when
    either cannot be read)."""
    query = compile_query(params.query, resource, time_unit_ms=ctx.caller.dialect.time_unit_ms)
    after = page_after(params.page) if params.page else None
    rows, has_more = repo.search(ctx.scope, query, limit=params.limit, after=after, **filters)
    next_page = page_token(rows[-1]["id"]) if has_more and rows else None
    total = repo.search_count(ctx.scope, query, **filters) if params.wants_total_count else None
    return SearchPage(rows, has_more, next_page, total)
