"""One API call: who calls (auth.py), with what (params.py), once (idempotency.py), in one transaction,
rendered. Routes stay short: they name a use case and a renderer; this module runs them."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from paykeep.domain.errors import RateLimited
from paykeep.services.ports import Caller, Context, Declined, Deps, TransactionConflict, UnitOfWork
from paykeep.services.search import SearchPage
from paykeep.services.transactions import transaction
from paykeep.web.api import browser, idempotency
from paykeep.web.api.auth import authenticate
from paykeep.web.api.errors import envelope, status_for
from paykeep.web.api.expand import expand
from paykeep.web.api.params import expand_paths as paths_of
from paykeep.web.api.params import missing, read_raw, validate
from paykeep.web.api.responses import dumps, json_response
from paykeep.wire.dialects import in_dialect, in_stored_units
from paykeep.wire.lists import render_list, render_search_result
from paykeep.wire.search import SearchParams

P = TypeVar("P", bound=BaseModel)
T = TypeVar("T")
Obj = TypeVar("Obj")  # what a use case returns: an entity, or a row where the aggregate is not one yet
Renderer = Callable[[Obj], dict[str, Any]]
Paths = list[str]  # a module-level alias: inside ApiRequest, `list` is the method
ReadStep = Callable[[UnitOfWork, P], dict[str, Any]]  # the use case + rendering, inside the read transaction
log = logging.getLogger("paykeep.api")
# A use case whose transaction lost a race (deadlock, serialization failure, busy SQLite) runs again from the
# start, at most this many times in all; then the caller gets 429 lock_timeout and may retry the request.
TRANSACTION_ATTEMPTS = 4


class ApiRequest:
    def __init__(self, request: Request, raw: dict[str, Any], *, allow_publishable: bool) -> None:
        self.request = request
        self.raw = raw
        self.deps: Deps = request.app.state.deps
        self.allow_publishable = allow_publishable
        self._caller: Caller | None = None
        self.request_id: str = request.state.request_id
        request.scope["state"]["raw_params"] = raw  # for the request log (services/request_logs.py)

    # -- who ---------------------------------------------------------------------------------------
    @property
    def caller(self) -> Caller:
        if self._caller is None:
            with self.deps.begin(write=False) as uow:
                self._caller = self._authenticate_in(uow)
        return self._caller

    def _authenticate_in(self, uow: UnitOfWork) -> Caller:
        caller = authenticate(self.request, uow, self.deps, self.request_id,
                              allow_publishable=self.allow_publishable,
                              params=self.raw if self.allow_publishable else None)
        self.request.scope["state"]["caller"] = caller  # the request log's account and mode
        if caller.publishable:  # a browser's own parameters (`key`, `_stripe_version`, telemetry) go
            browser.strip_bookkeeping(self.raw)
        return caller

    # -- what --------------------------------------------------------------------------------------
    def params(self, model: type[P]) -> P:
        """Authenticate, then validate the parameters (400 parameter_* errors name the parameter); times
        given in the dialect's unit come back as stored (ms)."""
        dialect = self.caller.dialect  # authentication first: a 401 before any 400
        return in_stored_units(validate(model, self.raw), dialect)

    def written(self, body: dict[str, Any]) -> dict[str, Any]:
        """A rendered body in the caller's dialect (wire/dialects.py)."""
        caller = self.caller
        return in_dialect(body, caller.dialect, caller.api_version)

    # -- read ----------------------------------------------------------------------------------------
    async def read(self, model: type[P], fn: Callable[[Context, P], Obj], render: Renderer[Obj],
                   public_render: Renderer[Obj] | None = None) -> Response:
        """GET one object. `public_render` (no expand) is the view a publishable key gets, where one may."""

        def run(uow: UnitOfWork, p: P) -> dict[str, Any]:
            row = fn(Context(uow, self.deps, self.caller), p)
            if public_render is not None and self.caller.publishable:
                return public_render(row)
            return expand(uow, self.caller, render(row), paths_of(p))

        return await self._read_transaction(model, run)

    async def list(self, model: type[P], fn: Callable[[Context, P], tuple[list[Obj], bool]],
                   render: Renderer[Obj]) -> Response:
        """GET a list: the list envelope, expand[] paths applied to every item (`data.` optional)."""

        def run(uow: UnitOfWork, p: P) -> dict[str, Any]:
            rows, has_more = fn(Context(uow, self.deps, self.caller), p)
            body = render_list(self.request.url.path, [render(r) for r in rows], has_more)
            paths = [f"data.{path.removeprefix('data.')}" for path in paths_of(p)]
            return expand(uow, self.caller, body, paths)

        return await self._read_transaction(model, run)

    async def search(self, model: type[SearchParams], fn: Callable[[Context, SearchParams], SearchPage[Any]],
                     render: Renderer[Any]) -> Response:
        """GET a search (/v1/<resource>/search): the search_result envelope, expand[] paths applied to every
        item (`data.` optional; `total_count` asks for the count instead)."""

        def run(uow: UnitOfWork, p: SearchParams) -> dict[str, Any]:
            found = fn(Context(uow, self.deps, self.caller), p)
            body = render_search_result(self.request.url.path, [render(r) for r in found.rows],
                                        found.has_more, found.next_page, found.total_count)
            return expand(uow, self.caller, body, p.object_paths())

        return await self._read_transaction(model, run)

    async def _read_transaction(self, model: type[P], run: ReadStep[P]) -> Response:
        """Authentication, parameters and the read in one transaction (one snapshot, one BEGIN/COMMIT).
        Where a read costs microseconds (SQLite: `deps.inline_reads`) it runs right here on the event loop:
        a hop to a worker thread and back would cost more than the read. Elsewhere (PostgreSQL: a network
        round trip) it runs in the threadpool."""
        if self.deps.inline_reads is not None:
            return self._read_now(model, run, self.deps.inline_reads)
        return await run_in_threadpool(self._read_now, model, run, lambda: self.deps.begin(write=False))

    def _read_now(self, model: type[P], run: ReadStep[P],
                  transaction: Callable[[], AbstractContextManager[UnitOfWork]]) -> Response:
        with transaction() as uow:
            self._caller = caller = self._authenticate_in(uow)
            body = run(uow, in_stored_units(validate(model, self.raw), caller.dialect))
        return json_response(self.written(body))

    # -- change --------------------------------------------------------------------------------------
    def execute(self, fn: Callable[[Context], Obj | Declined], render: Renderer[Obj],
                expand_paths: Paths | None = None, public_render: Renderer[Obj] | None = None) -> Response:
        """Run a change in one write transaction; with an Idempotency-Key, store or replay its response.
        `public_render`: the view a publishable key gets (and a decline's error embeds), where it may call."""
        caller = self.caller
        if public_render is not None and caller.publishable:
            render = public_render
            browser.check_public_expand(expand_paths or [])
        if caller.idempotency_key is not None:  # (request.url builds and re-parses the whole URL)
            try:
                stored = idempotency.claim(self.deps, caller, self.request.method, self.request.url.path,
                                           self.raw, retry_on_conflict)
            except TransactionConflict:
                raise _lock_timeout() from None
            if stored is not None:
                return json_response(stored.body, stored.status, idempotency.REPLAYED_HEADER)
        try:
            with idempotency.settled(self.deps, caller):
                status, text = retry_on_conflict(lambda: self._transact(fn, render, expand_paths or []))
        except TransactionConflict:
            raise _lock_timeout() from None
        return json_response(text, status)

    def _transact(self, fn: Callable[[Context], Obj | Declined], render: Renderer[Obj],
                  expand_paths: Paths) -> tuple[int, str]:
        """One attempt: the use case, its rendering and its idempotent response in one write transaction
        (services/transactions.py: it wakes the webhook worker after commit when deliveries were written)."""
        caller = self.caller
        with transaction(self.deps, caller) as ctx:
            result = fn(ctx)
            status, body = self._render(ctx.uow, result, render, expand_paths)
            text = dumps(self.written(body))
            idempotency.complete(ctx.uow, self.deps, caller, status, text)
        return status, text

    def _render(self, uow: Any, result: Obj | Declined, render: Renderer[Obj],
                expand_paths: Paths) -> tuple[int, dict[str, Any]]:
        if isinstance(result, Declined):
            obj = expand(uow, self.caller, render(result.row), expand_paths)
            err = result.error
            err.extra[result.object_name] = obj
            return status_for(err), envelope(err)
        return 200, expand(uow, self.caller, render(result), expand_paths)


def retry_on_conflict(run: Callable[[], T]) -> T:
    """Call `run` (which opens its own transaction) again, after a short random pause, while the database
    reports a conflict; at most TRANSACTION_ATTEMPTS calls, then the TransactionConflict propagates."""
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            return run()
        except TransactionConflict as exc:
            if attempt == TRANSACTION_ATTEMPTS:
                raise
            log.warning("transaction conflict (%s): running it again (attempt %d of %d)",
                        exc, attempt + 1, TRANSACTION_ATTEMPTS)
            _count_retry(str(exc))
            time.sleep(random.uniform(0.005, 0.02 * 2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def _count_retry(reason: str) -> None:
    from paykeep.web.metrics import TRANSACTION_RETRIES

    TRANSACTION_RETRIES.labels(reason=reason).inc()


def _lock_timeout() -> RateLimited:
    err = RateLimited(
        "This object cannot be accessed right now because another API request is currently accessing it. "
        "Retry the request.",
        code="lock_timeout",
    )
    err.extra["retry_after"] = 1
    return err


async def _secret_api(request: Request) -> ApiRequest:
    return ApiRequest(request, await read_raw(request), allow_publishable=False)


async def _public_api(request: Request) -> ApiRequest:
    return ApiRequest(request, await read_raw(request), allow_publishable=True)


Api = Annotated[ApiRequest, Depends(_secret_api)]
PublishableApi = Annotated[ApiRequest, Depends(_public_api)]
PUBLISHABLE_DEPENDENCY = _public_api  # how web/api/route.py tells the endpoints a browser may call (CORS)


def body_doc(model: type[BaseModel], *, query: bool = False) -> dict[str, Any]:
    """OpenAPI for our hand-decoded parameters: the same schema as JSON and as a form body (or query)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    if query:
        params = [
            {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": prop}
            for name, prop in schema.get("properties", {}).items()
        ]
        return {"openapi_extra": {"parameters": params, "x-paykeep-defs": defs}}
    content = {"application/json": {"schema": schema},
               "application/x-www-form-urlencoded": {"schema": schema}}
    return {"openapi_extra": {"requestBody": {"content": content}, "x-paykeep-defs": defs}}


__all__ = ["Api", "PublishableApi", "ApiRequest", "Declined", "body_doc", "json_response", "missing"]
