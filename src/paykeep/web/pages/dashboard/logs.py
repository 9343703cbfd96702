"""Logs: the API's request logs (services/request_logs.py) of this account and mode, newest first, filtered
by status (2xx/4xx/5xx or exact), path prefix and object id, and a page per request with its (redacted)
parameters and response body. Every object's page links here with `?object=<its id>`."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Response

from paykeep.domain.errors import ParameterError
from paykeep.services import request_logs
from paykeep.web.pages.dashboard.base import PAGE_SIZE, DashboardRoute, Page

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)


def _view(row: dict[str, Any]) -> dict[str, Any]:
    """A record for the templates: object ids as a list, the status class, JSON bodies pretty-printed."""
    status = int(row["status"])
    badge = "succeeded" if status < 300 else "pending" if status < 400 else "failed"
    return {**row, "object_ids": row["object_ids"].split(), "badge": badge,
            "params": _pretty(row["params"]), "response_body": _pretty(row["response_body"])}


def _pretty(text: str | None) -> str | None:
    if not text:
        return text
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text  # a body cut after 16 KB, or not JSON


@router.get("/logs")
def log_list(dash: Page) -> Response:
    status, path, object_id = (dash.query(name).strip() for name in ("status", "path", "object"))
    error = None
    try:
        wanted = request_logs.filters(status, path, object_id)
        rows, has_more = dash.read(lambda ctx: request_logs.list_logs(
            ctx, limit=PAGE_SIZE, starting_after=dash.query("starting_after") or None,
            ending_before=dash.query("ending_before") or None, **wanted))
    except ParameterError as err:
        rows, has_more, error = [], False, err.message
    return dash.page("logs.html", 400 if error else 200, section="logs", status=status, path=path,
                     object_id=object_id, classes=request_logs.STATUS_CLASSES, logs=[_view(r) for r in rows],
                     form_error=error,
                     pages=dash.page_links(rows, has_more, status=status, path=path, object=object_id))


@router.get("/logs/{request_id}")
def log_detail(request_id: str, dash: Page) -> Response:
    row = dash.read(lambda ctx: request_logs.retrieve_log(ctx, request_id))
    return dash.page("log.html", section="logs", entry=_view(row))
