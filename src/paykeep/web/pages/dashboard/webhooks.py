"""Webhook endpoints: list, create (a checklist of event types, or all), the signing secret on demand,
disable/enable, delete, and "send a test event". Every change is the webhooks slice's own use case."""

from __future__ import annotations

from fastapi import APIRouter, Response

from paykeep.domain.dialects import NAMES, Dialect, parse_dialect
from paykeep.domain.errors import InvalidRequest, ParameterError
from paykeep.domain.events import EVENT_TYPES, Event
from paykeep.domain.webhooks import WebhookAttempt, WebhookEndpoint
from paykeep.services import accounts, dashboard_overview, webhook_endpoints
from paykeep.services.ports import Context
from paykeep.web.pages.dashboard.base import PAGE_SIZE, Dash, DashboardRoute, Form, Page
from paykeep.wire.webhook_endpoints import (
    WebhookAttemptList,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointUpdate,
    render_webhook_endpoint,
)

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)
BASE = "/dashboard/webhooks"


def event_groups() -> list[tuple[str, list[str]]]:
    """Event types grouped by object (`setup_intent`, `payment_intent`, …) for the checklist."""
    groups: dict[str, list[str]] = {}
    for name in EVENT_TYPES:
        groups.setdefault(name.rsplit(".", 1)[0], []).append(name)
    return list(groups.items())


@router.get("/webhooks")
def endpoint_list(dash: Page) -> Response:
    params = WebhookEndpointList(limit=PAGE_SIZE, starting_after=dash.query("starting_after") or None,
                                 ending_before=dash.query("ending_before") or None)
    rows, has_more = dash.read(lambda ctx: webhook_endpoints.list_webhook_endpoints(ctx, params))
    return dash.page("webhooks.html", section="webhooks", pages=dash.page_links(rows, has_more),
                     endpoints=[_view(r) for r in rows])


def _view(endpoint: WebhookEndpoint) -> dict[str, object]:
    """The endpoint as the API renders it, plus the dialect its deliveries are written in (API.md §8)."""
    return {**render_webhook_endpoint(endpoint), "dialect": endpoint.dialect.value}


def _new_form(dash: Dash, *, status: int = 200, error: str | None = None, url: str = "",
              description: str = "", chosen: list[str] | None = None, dialect: str | None = None) -> Response:
    default = dash.read(lambda ctx: accounts.account_dialect(ctx.uow, ctx.caller.account_id)).value
    return dash.page("webhook_new.html", status, section="webhooks", groups=event_groups(), form_error=error,
                     url=url, description=description, chosen=chosen or [], dialects=NAMES,
                     account_dialect=default, dialect=dialect or default)


@router.get("/webhooks/new")
def endpoint_new(dash: Page) -> Response:
    return _new_form(dash)


@router.post("/webhooks")
def endpoint_create(dash: Form) -> Response:
    url, description = dash.field("url").strip(), dash.field("description").strip()
    chosen = ["*"] if "*" in dash.fields("enabled_events") else dash.fields("enabled_events")
    given = dash.field("dialect")
    try:
        # As a POST /v1/webhook_endpoints in that dialect: its deliveries (bodies, signature header) and its
        # api_version. Without the field, the account's default dialect, as a request without the header.
        dialect: Dialect = (parse_dialect(given, param="dialect") if given else
                            dash.read(lambda ctx: accounts.account_dialect(ctx.uow, ctx.caller.account_id)))
        params = WebhookEndpointCreate.model_validate(
            {"url": url, "enabled_events": chosen, "description": description or None})
        created = dash.change(lambda ctx: webhook_endpoints.create_webhook_endpoint(ctx, params), dialect)
    except ParameterError as err:
        return _new_form(dash, status=400, error=err.message, url=url, description=description, chosen=chosen,
                         dialect=given or None)
    except ValueError:  # pydantic: a field too long
        return _new_form(dash, status=400, error="Some values are too long.", url=url,
                         description=description, chosen=chosen, dialect=given or None)
    return dash.redirect(f"{BASE}/{created.endpoint.id}", "endpoint_created")


def _detail(dash: Dash, endpoint_id: str, *, secret: str | None = None) -> Response:
    def load(ctx: Context) -> tuple[WebhookEndpoint, list[WebhookAttempt]]:
        endpoint = webhook_endpoints.retrieve_webhook_endpoint(ctx, endpoint_id)
        recent = WebhookAttemptList.model_validate({"limit": 20})
        attempts, _ = webhook_endpoints.list_webhook_attempts(ctx, endpoint_id, recent)
        return endpoint, [view.attempt for view in attempts]

    endpoint, attempts = dash.read(load)
    return dash.page("webhook.html", section="webhooks", endpoint=_view(endpoint), secret=secret,
                     attempts=attempts)


@router.get("/webhooks/{endpoint_id}")
def endpoint_detail(endpoint_id: str, dash: Page) -> Response:
    return _detail(dash, endpoint_id)


@router.post("/webhooks/{endpoint_id}/secret")
def endpoint_secret(endpoint_id: str, dash: Form) -> Response:
    """Shows the signing secret in the answer to a POST (never in a URL, never cached)."""
    secret = dash.read(lambda ctx: dashboard_overview.endpoint_secret(ctx, endpoint_id))
    return _detail(dash, endpoint_id, secret=secret)


@router.post("/webhooks/{endpoint_id}/status")
def endpoint_status(endpoint_id: str, dash: Form) -> Response:
    disabled = dash.field("status") == "disabled"
    params = WebhookEndpointUpdate.model_validate({"disabled": disabled})
    dash.change(lambda ctx: webhook_endpoints.update_webhook_endpoint(ctx, endpoint_id, params))
    return dash.redirect(f"{BASE}/{endpoint_id}", "endpoint_disabled" if disabled else "endpoint_enabled")


@router.post("/webhooks/{endpoint_id}/delete")
def endpoint_delete(endpoint_id: str, dash: Form) -> Response:
    if not dash.confirmed:
        return dash.redirect(f"{BASE}/{endpoint_id}", "confirm_needed")
    dash.change(lambda ctx: webhook_endpoints.delete_webhook_endpoint(ctx, endpoint_id))
    return dash.redirect(BASE, "endpoint_deleted")


@router.post("/webhooks/{endpoint_id}/test")
def endpoint_test(endpoint_id: str, dash: Form) -> Response:
    """Sends the newest event of this mode the endpoint subscribes to (else the newest of any type) to it
    alone, through the webhooks slice's resend: same event id, same payload, a new recorded attempt."""
    def pick(ctx: Context) -> Event | None:
        endpoint = webhook_endpoints.retrieve_webhook_endpoint(ctx, endpoint_id)
        if endpoint.status != webhook_endpoints.ENABLED:
            raise InvalidRequest("This endpoint is disabled: enable it to send it a test event.")
        return dashboard_overview.latest_event_for(ctx, list(endpoint.enabled_events))

    event = dash.read(pick)
    if event is None:
        return dash.redirect(f"{BASE}/{endpoint_id}", "no_events")
    dash.resend(event.id, endpoint_id)
    return dash.redirect(f"{BASE}/{endpoint_id}", "test_sent")
