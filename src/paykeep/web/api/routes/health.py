"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from paykeep.web.api.endpoint import json_response

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request) -> Response:
    try:
        with request.app.state.deps.begin(write=False) as uow:
            uow.accounts.count(None)
    except Exception:
        return json_response({"status": "unavailable", "database": "down"}, 503)
    return json_response({"status": "ok", "database": "up"})
