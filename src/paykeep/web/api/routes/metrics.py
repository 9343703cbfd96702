"""GET /metrics: Prometheus text format. No API key; optionally a bearer token (PAYKEEP_METRICS_TOKEN)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from paykeep.domain.errors import AuthenticationFailed
from paykeep.web.metrics import exposition, token_accepted

router = APIRouter(tags=["operations"], include_in_schema=False)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    expected = getattr(request.app.state, "metrics_token", None)
    if not token_accepted(expected, request.headers.get("authorization", "")):
        raise AuthenticationFailed("/metrics needs `Authorization: Bearer <PAYKEEP_METRICS_TOKEN>`.")
    body, content_type = await run_in_threadpool(exposition, request.app.state.deps)
    return Response(content=body, media_type=None, headers={"Content-Type": content_type})
