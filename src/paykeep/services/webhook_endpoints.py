"""Webhook endpoints: POST/GET/DELETE /v1/webhook_endpoints[/{id}], GET /v1/webhook_endpoints, and
GET /v1/webhook_endpoints/{id}/attempts (the delivery history)."""

from __future__ import annotations

from typing import Any

from paykeep import API_VERSION
from paykeep.domain.errors import ResourceMissing
from paykeep.domain.events import check_enabled_events
from paykeep.domain.metadata import merge_metadata
from paykeep.domain.webhook_urls import UrlPolicy, check_webhook_url
from paykeep.domain.webhooks import (
    AttemptView,
    DeliveryAction,
    NewWebhookEndpoint,
    WebhookEndpoint,
    WebhookEndpointStatus,
    advance_delivery,
    check_endpoint_url,
    new_endpoint_secret,
)
from paykeep.services.common import blank_to_none, load, page
from paykeep.services.ports import Context, Deps
from paykeep.wire.webhook_endpoints import (
    WebhookAttemptList,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointUpdate,
)

ENABLED = WebhookEndpointStatus.ENABLED
DISABLED = WebhookEndpointStatus.DISABLED


def secret_aad(endpoint_id: str) -> bytes:
    """The sealed secret is bound to its endpoint: a ciphertext copied to another row does not open."""
    return b"webhook_endpoint:" + endpoint_id.encode("ascii")


def open_secret(deps: Deps, endpoint: WebhookEndpoint) -> str:
    """The endpoint's signing secret in clear (to sign a delivery, or to show a signed-in user)."""
    return deps.secrets.open(endpoint.secret_ciphertext, secret_aad(endpoint.id)).decode("utf-8")


def create_webhook_endpoint(ctx: Context, params: WebhookEndpointCreate) -> NewWebhookEndpoint:
    """POST /v1/webhook_endpoints: the response is the only place the secret is ever shown."""
    endpoint_id = ctx.new_id("we")
    secret = new_endpoint_secret()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        account_id=ctx.caller.account_id,
        livemode=ctx.caller.livemode,
        created=ctx.now_ms(),
        metadata=merge_metadata(None, params.metadata) if params.metadata is not None else {},
        url=_checked_url(ctx, params.url),
        description=blank_to_none(params.description),
        enabled_events=check_enabled_events(params.enabled_events),
        status=ENABLED,
        api_version=ctx.caller.api_version or API_VERSION,
        dialect=ctx.caller.dialect,
        secret_ciphertext=ctx.deps.secrets.seal(secret.encode("utf-8"), secret_aad(endpoint_id)),
        secret_key_version=ctx.deps.secrets.current_version("data"),
    )
    ctx.uow.webhook_endpoints.add(endpoint)
    return NewWebhookEndpoint(endpoint, secret)


def retrieve_webhook_endpoint(ctx: Context, endpoint_id: str) -> WebhookEndpoint:
    """GET /v1/webhook_endpoints/{id}"""
    return load(ctx, ctx.uow.webhook_endpoints, "webhook_endpoint", endpoint_id)


def reveal_webhook_endpoint_secret(ctx: Context, endpoint_id: str) -> str:
    """The signing secret in clear, for a signed-in dashboard user (the API shows it only at creation)."""
    return open_secret(ctx.deps, retrieve_webhook_endpoint(ctx, endpoint_id))


def update_webhook_endpoint(ctx: Context, endpoint_id: str, params: WebhookEndpointUpdate) -> WebhookEndpoint:
    """POST /v1/webhook_endpoints/{id}: `disabled=true` cancels the endpoint's pending deliveries."""
    endpoint = load(ctx, ctx.uow.webhook_endpoints, "webhook_endpoint", endpoint_id, for_update=True)
    given = params.given()
    changes: dict[str, Any] = {}
    if "url" in given and params.url is not None:
        changes["url"] = _checked_url(ctx, params.url)
    if "enabled_events" in given and params.enabled_events is not None:
        changes["enabled_events"] = check_enabled_events(params.enabled_events)
    if "description" in given:
        changes["description"] = blank_to_none(params.description)
    if "metadata" in given:
        changes["metadata"] = merge_metadata(endpoint.metadata, params.metadata)
    if "disabled" in given and params.disabled is not None:
        changes["status"] = DISABLED if params.disabled else ENABLED
        if params.disabled and endpoint.status == ENABLED:
            _cancel_pending(ctx, endpoint_id)
    if not changes:
        return endpoint
    endpoint = endpoint.with_(**changes)
    ctx.uow.webhook_endpoints.save(endpoint)
    return endpoint


def delete_webhook_endpoint(ctx: Context, endpoint_id: str) -> WebhookEndpoint:
    """DELETE /v1/webhook_endpoints/{id}: its pending deliveries are canceled; its attempt list goes too.
    Returns the endpoint as it was (rendered as deleted: `render_deleted_webhook_endpoint`)."""
    endpoint = load(ctx, ctx.uow.webhook_endpoints, "webhook_endpoint", endpoint_id, for_update=True)
    _cancel_pending(ctx, endpoint_id)
    ctx.uow.webhook_endpoints.delete(endpoint_id)
    return endpoint


def list_webhook_endpoints(ctx: Context, params: WebhookEndpointList) -> tuple[list[WebhookEndpoint], bool]:
    """GET /v1/webhook_endpoints"""
    return page(ctx, ctx.uow.webhook_endpoints, "webhook_endpoint", params)


def list_webhook_attempts(
    ctx: Context, endpoint_id: str, params: WebhookAttemptList
) -> tuple[list[AttemptView], bool]:
    """GET /v1/webhook_endpoints/{id}/attempts: every delivery attempt to this endpoint, newest first, each
    with its delivery's state now (will it be tried again, and when?)."""
    load(ctx, ctx.uow.webhook_endpoints, "webhook_endpoint", endpoint_id)
    repo = ctx.uow.webhook_attempts
    for cursor in ("starting_after", "ending_before"):
        value = getattr(params, cursor)
        if value is not None:
            found = repo.get_by_id(value)
            if found is None or found.endpoint_id != endpoint_id:
                raise ResourceMissing("webhook attempt", value, param=cursor)
    attempts, has_more = repo.page(
        None,
        limit=params.limit,
        starting_after=params.starting_after,
        ending_before=params.ending_before,
        endpoint_id=endpoint_id,
        event_id=params.event,
    )
    ids = sorted({a.delivery_id for a in attempts})
    by_id = {d.id: d for d in ctx.uow.webhook_deliveries.find(None, id__in=ids)} if ids else {}
    return [AttemptView(a, by_id.get(a.delivery_id)) for a in attempts], has_more


def _checked_url(ctx: Context, url: str) -> str:
    """The URL's form (400 parameter_invalid), then where it points (400 url_invalid, domain/webhook_urls.py);
    the addresses it resolves to are checked again at every attempt (adapters/webhooks/http_sender.py)."""
    policy = UrlPolicy(ctx.caller.livemode, ctx.deps.extras.get("webhook_allow_networks", ()))
    return check_webhook_url(check_endpoint_url(url), policy)


def _cancel_pending(ctx: Context, endpoint_id: str) -> None:
    canceled = advance_delivery(DeliveryAction.CANCEL)
    ctx.uow.webhook_deliveries.cancel_pending(endpoint_id, str(canceled), ctx.now_ms())
