"""/v1/checkout/sessions (hosted Checkout in setup and payment mode)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response

from paykeep.domain.checkout_sessions import CheckoutSession
from paykeep.services import checkout_payment, checkout_sessions
from paykeep.web.api.endpoint import Api, body_doc
from paykeep.web.api.expand import register_expandable
from paykeep.web.api.route import ApiRoute
from paykeep.wire.checkout_sessions import (
    CheckoutSessionCreate,
    CheckoutSessionExpire,
    CheckoutSessionLineItems,
    CheckoutSessionList,
    CheckoutSessionRetrieve,
    render_checkout_session,
    render_line_item,
)

router = APIRouter(prefix="/v1/checkout/sessions", tags=["checkout sessions"], route_class=ApiRoute)
register_expandable("cs", "checkout_sessions", render_checkout_session)


def _renderer(api: Api) -> Callable[[CheckoutSession], dict[str, Any]]:
    """The session's JSON with its hosted url (computed from the server's public URL, never stored)."""
    return lambda session: checkout_sessions.render(api.deps, session)


@router.post("/setup", **body_doc(CheckoutSessionCreate))
def create_setup_checkout_session(api: Api) -> Response:
    """The seed's path: a setup-mode session (`mode` may be omitted)."""
    p = api.params(CheckoutSessionCreate)
    return api.execute(lambda ctx: checkout_sessions.create_checkout_session(ctx, p, mode_required=False),
                       _renderer(api), p.expand)


@router.post("", **body_doc(CheckoutSessionCreate))
def create_checkout_session(api: Api) -> Response:
    """Stripe's path: `mode` (setup or payment) is required (subscription is refused with a clear 400)."""
    p = api.params(CheckoutSessionCreate)
    return api.execute(lambda ctx: checkout_sessions.create_checkout_session(ctx, p, mode_required=True),
                       _renderer(api), p.expand)


@router.get("", **body_doc(CheckoutSessionList, query=True))
async def list_checkout_sessions(api: Api) -> Response:
    return await api.list(
        CheckoutSessionList, lambda ctx, p: checkout_sessions.list_checkout_sessions(ctx, p),
        _renderer(api),
    )


@router.get("/{session_id}", **body_doc(CheckoutSessionRetrieve, query=True))
async def retrieve_checkout_session(session_id: str, api: Api) -> Response:
    return await api.read(
        CheckoutSessionRetrieve, lambda ctx, p: checkout_sessions.retrieve_checkout_session(ctx, session_id),
        _renderer(api),
    )


@router.post("/{session_id}/expire", **body_doc(CheckoutSessionExpire))
def expire_checkout_session(session_id: str, api: Api) -> Response:
    p = api.params(CheckoutSessionExpire)
    return api.execute(lambda ctx: checkout_sessions.expire_checkout_session(ctx, session_id),
                       _renderer(api), p.expand)


@router.get("/{session_id}/line_items", **body_doc(CheckoutSessionLineItems, query=True))
async def list_checkout_session_line_items(session_id: str, api: Api) -> Response:
    return await api.list(
        CheckoutSessionLineItems, lambda ctx, p: checkout_payment.list_line_items(ctx, session_id, p),
        render_line_item,
    )
