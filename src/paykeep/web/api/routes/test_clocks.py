"""/v1/test_helpers/test_clocks (Stripe's test clocks, API.md §11)"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from starlette.background import BackgroundTask

from paykeep.services import test_clocks
from paykeep.services.ports import Deps
from paykeep.web.api.endpoint import Api, body_doc
from paykeep.web.api.expand import register_expandable
from paykeep.web.api.route import ApiRoute
from paykeep.wire.params import ExpandParams
from paykeep.wire.test_clocks import (
    TestClockAdvance,
    TestClockCreate,
    TestClockList,
    TestClockRetrieve,
    render_deleted_test_clock,
    render_test_clock,
)

log = logging.getLogger("paykeep.test_clocks")
router = APIRouter(prefix="/v1/test_helpers/test_clocks", tags=["test_clocks"], route_class=ApiRoute)
register_expandable("clock", "test_clocks", render_test_clock, ("test_clock",))


@router.post("", **body_doc(TestClockCreate))
def create_test_clock(api: Api) -> Response:
    p = api.params(TestClockCreate)
    return api.execute(lambda ctx: test_clocks.create_test_clock(ctx, p), render_test_clock, p.expand)


@router.get("", **body_doc(TestClockList, query=True))
async def list_test_clocks(api: Api) -> Response:
    return await api.list(TestClockList, lambda ctx, p: test_clocks.list_test_clocks(ctx, p),
                          render_test_clock)


@router.get("/{clock_id}", **body_doc(TestClockRetrieve, query=True))
async def retrieve_test_clock(clock_id: str, api: Api) -> Response:
    return await api.read(
        TestClockRetrieve, lambda ctx, p: test_clocks.retrieve_test_clock(ctx, clock_id), render_test_clock
    )


@router.delete("/{clock_id}", **body_doc(ExpandParams, query=True))
def delete_test_clock(clock_id: str, api: Api) -> Response:
    api.params(ExpandParams)
    return api.execute(lambda ctx: test_clocks.delete_test_clock(ctx, clock_id), render_deleted_test_clock)


@router.post("/{clock_id}/advance", **body_doc(TestClockAdvance))
def advance_test_clock(clock_id: str, api: Api) -> Response:
    """Answers `advancing` once the target is recorded; the effects follow right after the response (and,
    should this process stop first, in the timed jobs of the next one)."""
    p = api.params(TestClockAdvance)
    response = api.execute(lambda ctx: test_clocks.advance_test_clock(ctx, clock_id, p), render_test_clock,
                           p.expand)
    if response.status_code == 200:
        response.background = BackgroundTask(_finish, api.deps, api.caller.scope, clock_id)
    return response


def _finish(deps: Deps, scope: tuple[str, bool], clock_id: str) -> None:
    try:
        test_clocks.finish_advance(deps, scope, clock_id)
    except Exception as exc:  # noqa: BLE001 - the timed jobs finish it: an advance is never lost
        log.warning("test clock %s: advancing after the response failed (%s); the timed jobs will finish it",
                    clock_id, type(exc).__name__)
