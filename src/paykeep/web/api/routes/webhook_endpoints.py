"""/v1/webhook_endpoints"""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.services import webhook_endpoints
from paykeep.web.api.endpoint import Api, body_doc
from paykeep.web.api.route import ApiRoute
from paykeep.wire.params import ExpandParams
from paykeep.wire.webhook_endpoints import (
    WebhookAttemptList,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointRetrieve,
    WebhookEndpointUpdate,
    render_deleted_webhook_endpoint,
    render_new_webhook_endpoint,
    render_webhook_attempt,
    render_webhook_endpoint,
)

router = APIRouter(prefix="/v1/webhook_endpoints", tags=["webhook_endpoints"], route_class=ApiRoute)


@router.post("", **body_doc(WebhookEndpointCreate))
def create_webhook_endpoint(api: Api) -> Response:
    p = api.params(WebhookEndpointCreate)
    return api.execute(lambda ctx: webhook_endpoints.create_webhook_endpoint(ctx, p),
                       render_new_webhook_endpoint)


@router.get("", **body_doc(WebhookEndpointList, query=True))
async def list_webhook_endpoints(api: Api) -> Response:
    return await api.list(
        WebhookEndpointList, lambda ctx, p: webhook_endpoints.list_webhook_endpoints(ctx, p),
        render_webhook_endpoint,
    )


@router.get("/{endpoint_id}", **body_doc(WebhookEndpointRetrieve, query=True))
async def retrieve_webhook_endpoint(endpoint_id: str, api: Api) -> Response:
    return await api.read(
        WebhookEndpointRetrieve, lambda ctx, p: webhook_endpoints.retrieve_webhook_endpoint(ctx, endpoint_id),
        render_webhook_endpoint,
    )


@router.post("/{endpoint_id}", **body_doc(WebhookEndpointUpdate))
def update_webhook_endpoint(endpoint_id: str, api: Api) -> Response:
    p = api.params(WebhookEndpointUpdate)
    return api.execute(
        lambda ctx: webhook_endpoints.update_webhook_endpoint(ctx, endpoint_id, p), render_webhook_endpoint
    )


@router.delete("/{endpoint_id}")
def delete_webhook_endpoint(endpoint_id: str, api: Api) -> Response:
    api.params(ExpandParams)
    return api.execute(
        lambda ctx: webhook_endpoints.delete_webhook_endpoint(ctx, endpoint_id),
        render_deleted_webhook_endpoint,
    )


@router.get("/{endpoint_id}/attempts", **body_doc(WebhookAttemptList, query=True))
async def list_webhook_attempts(endpoint_id: str, api: Api) -> Response:
    return await api.list(
        WebhookAttemptList, lambda ctx, p: webhook_endpoints.list_webhook_attempts(ctx, endpoint_id, p),
        render_webhook_attempt,
    )
