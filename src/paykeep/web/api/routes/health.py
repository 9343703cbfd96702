"""Liveness and readiness.

`/readyz` is 503 while the database cannot be read, and while writes fail: after a write failed for storage
reasons (`Database.write_failure`, set by the engine), each /readyz makes a real write (a probe record of a
few pages, inserted and deleted) and says 200 again only once one succeeds (which clears the failure)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from paykeep.domain.errors import StorageUnavailable
from paykeep.web.api.responses import json_response

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request) -> Response:
    deps = request.app.state.deps
    try:
        with deps.begin(write=False) as uow:
            uow.accounts.count(None)
    except Exception:
        return json_response({"status": "unavailable", "database": "down"}, 503)
    db: Any = getattr(getattr(request.app.state, "runtime", None), "db", None)
    if db is not None and db.write_failure is not None:
        try:
            with deps.begin(write=True) as uow:
                uow.idempotency_keys.probe_write(deps.clock.now_ms())
        except Exception as exc:  # StorageUnavailable, or a busy database: either way not ready yet
            reason = exc.reason if isinstance(exc, StorageUnavailable) else "the probe write did not complete"
            body = {"status": "unavailable", "database": "up", "writes": "failing", "reason": reason}
            return json_response(body, 503, {"Retry-After": str(StorageUnavailable.RETRY_AFTER)})
        db.write_failure = None
    return json_response({"status": "ok", "database": "up"})
