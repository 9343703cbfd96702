"""SetupIntents and PaymentIntents: lists filtered by status, and a page per intent with its event timeline
and its last error. Both read through the intent slices' own retrieve functions and render functions."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Response

from paykeep.domain.events import Event
from paykeep.services import dashboard_overview
from paykeep.services.ports import Context
from paykeep.web.pages.dashboard.base import PAGE_SIZE, DashboardRoute, Page
from paykeep.wire.params import ListParams

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)


@dataclass(frozen=True)
class IntentKind:
    path: str  # also the table and the service/wire module name
    kind: str  # the object name
    label: str
    statuses: tuple[str, ...]
    error_field: str

    def modules(self) -> tuple[Any, Any] | None:
        try:
            return (importlib.import_module(f"paykeep.services.{self.path}"),
                    importlib.import_module(f"paykeep.wire.{self.path}"))
        except ImportError:
            return None

    def render(self, row: dict[str, Any]) -> dict[str, Any]:
        mods = self.modules()
        assert mods is not None
        return getattr(mods[1], f"render_{self.kind}")(row)

    def retrieve(self, ctx: Context, object_id: str) -> dict[str, Any]:
        mods = self.modules()
        assert mods is not None
        return getattr(mods[0], f"retrieve_{self.kind}")(ctx, object_id)


_COMMON = ("requires_payment_method", "requires_confirmation", "requires_action", "processing")
KINDS = {
    "setup_intents": IntentKind("setup_intents", "setup_intent", "SetupIntents",
                                _COMMON + ("succeeded", "canceled"), "last_setup_error"),
    "payment_intents": IntentKind("payment_intents", "payment_intent", "PaymentIntents",
                                  _COMMON + ("requires_capture", "succeeded", "canceled"),
                                  "last_payment_error"),
}


def _installed(dash: Any, kind: IntentKind) -> Response | None:
    if kind.modules() is None:
        return dash.page("not_installed.html", section=kind.path, label=kind.label)
    return None


def _list(kind: IntentKind, dash: Any) -> Response:
    missing = _installed(dash, kind)
    if missing is not None:
        return missing
    status = dash.query("status")
    status = status if status in kind.statuses else ""
    params = ListParams(limit=PAGE_SIZE, starting_after=dash.query("starting_after") or None,
                        ending_before=dash.query("ending_before") or None)
    rows, has_more = dash.read(
        lambda ctx: dashboard_overview.list_by_status(ctx, kind.path, kind.kind, status, params))
    return dash.page("intents.html", section=kind.path, kind=kind, status=status,
                     intents=[kind.render(r) for r in rows],
                     pages=dash.page_links(rows, has_more, status=status))


def _detail(kind: IntentKind, object_id: str, dash: Any) -> Response:
    missing = _installed(dash, kind)
    if missing is not None:
        return missing

    def load(ctx: Context) -> tuple[dict[str, Any], list[Event]]:
        return kind.retrieve(ctx, object_id), dashboard_overview.object_timeline(ctx, object_id)

    row, timeline = dash.read(load)
    intent = kind.render(row)
    return dash.page("intent.html", section=kind.path, kind=kind, intent=intent,
                     last_error=intent.get(kind.error_field), timeline=timeline)


@router.get("/setup_intents")
def setup_intent_list(dash: Page) -> Response:
    return _list(KINDS["setup_intents"], dash)


@router.get("/setup_intents/{object_id}")
def setup_intent_detail(object_id: str, dash: Page) -> Response:
    return _detail(KINDS["setup_intents"], object_id, dash)


@router.get("/payment_intents")
def payment_intent_list(dash: Page) -> Response:
    return _list(KINDS["payment_intents"], dash)


@router.get("/payment_intents/{object_id}")
def payment_intent_detail(object_id: str, dash: Page) -> Response:
    return _detail(KINDS["payment_intents"], object_id, dash)
