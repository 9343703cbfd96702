"""One API call: authentication, parameters, idempotency, the transaction, rendering. Routes stay short."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import random
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from paykeep.domain.errors import (
    AuthenticationFailed,
    ParameterError,
    ParameterInvalid,
    ParameterMissing,
    ParameterUnknown,
    PaykeepError,
    PermissionDenied,
    RateLimited,
    RequestTooLarge,
)
from paykeep.services import accounts, idempotency
from paykeep.services.ports import Caller, Context, Declined, Deps, TransactionConflict, UnitOfWork
from paykeep.web.api.errors import envelope, internal_error, status_for
from paykeep.web.api.expand import expand
from paykeep.web.api.forms import check_text, decode_body, decode_query
from paykeep.wire.lists import render_list

P = TypeVar("P", bound=BaseModel)
T = TypeVar("T")
Renderer = Callable[[dict[str, Any]], dict[str, Any]]
Paths = list[str]  # a module-level alias: inside ApiRequest, `list` is the method
ReadStep = Callable[[UnitOfWork, P], dict[str, Any]]  # the use case + rendering, inside the read transaction
log = logging.getLogger("paykeep.api")
# A use case whose transaction lost a race (deadlock, serialization failure, busy SQLite) runs again from the
# start, at most this many times in all; then the caller gets 429 lock_timeout and may retry the request.
TRANSACTION_ATTEMPTS = 4


def dumps(body: dict[str, Any]) -> str:
    return _ENCODER.encode(body)


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # json.dumps would build one per call


def json_response(body: dict[str, Any] | str, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    content = body if isinstance(body, str) else dumps(body)
    return Response(content=content, status_code=status, media_type="application/json", headers=headers)


class ApiRequest:
    def __init__(self, request: Request, raw: dict[str, Any], *, allow_publishable: bool) -> None:
        self.request = request
        self.raw = raw
        self.deps: Deps = request.app.state.deps
        self.allow_publishable = allow_publishable
        self._caller: Caller | None = None
        self.request_id: str = request.state.request_id

    # -- who ---------------------------------------------------------------------------------------
    @property
    def caller(self) -> Caller:
        if self._caller is None:
            self._caller = self._authenticate()
        return self._caller

    def _authenticate(self) -> Caller:
        with self.deps.begin(write=False) as uow:
            return self._authenticate_in(uow)

    def _authenticate_in(self, uow: UnitOfWork) -> Caller:
        raw_key = _key_from_headers(self.request.headers.get("authorization", ""))
        caller = accounts.authenticate(uow, self.deps, raw_key)
        wait = self.request.app.state.limiter.take(raw_key)
        if wait > 0:
            err = RateLimited("Too many requests hit the API too quickly.")
            err.extra["retry_after"] = max(1, round(wait + 0.5))
            raise err
        if caller.publishable and not self.allow_publishable:
            raise PermissionDenied(
                "This API call cannot be made with a publishable API key. Please use a secret API key."
            )
        key = self.request.headers.get("idempotency-key") if self.request.method == "POST" else None
        return Caller(caller.account_id, caller.livemode, caller.publishable, self.request_id, key or None)

    # -- what --------------------------------------------------------------------------------------
    def params(self, model: type[P]) -> P:
        """Authenticate, then validate the parameters (400 parameter_* errors name the parameter)."""
        _ = self.caller
        return self._validate(model)

    def _validate(self, model: type[P]) -> P:
        try:
            return model.model_validate(self.raw)
        except ValidationError as exc:
            raise _param_error(exc) from None

    # -- read ----------------------------------------------------------------------------------------
    async def read(self, model: type[P], fn: Callable[[Context, P], dict[str, Any]], render: Renderer,
                   public_render: Renderer | None = None) -> Response:
        """GET one object. `public_render` (no expand) is the view a publishable key gets, where one may."""

        def run(uow: UnitOfWork, p: P) -> dict[str, Any]:
            row = fn(Context(uow, self.deps, self.caller), p)
            if public_render is not None and self.caller.publishable:
                return public_render(row)
            return expand(uow, self.caller, render(row), _expand_paths(p))

        return await self._read_transaction(model, run)

    async def list(self, model: type[P], fn: Callable[[Context, P], tuple[list[dict[str, Any]], bool]],
                   render: Renderer) -> Response:
        """GET a list: the list envelope, expand[] paths applied to every item (`data.` optional)."""

        def run(uow: UnitOfWork, p: P) -> dict[str, Any]:
            rows, has_more = fn(Context(uow, self.deps, self.caller), p)
            body = render_list(self.request.url.path, [render(r) for r in rows], has_more)
            paths = [f"data.{path.removeprefix('data.')}" for path in _expand_paths(p)]
            return expand(uow, self.caller, body, paths)

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
            self._caller = self._authenticate_in(uow)
            body = run(uow, self._validate(model))
        return json_response(body)

    # -- change --------------------------------------------------------------------------------------
    def execute(self, fn: Callable[[Context], dict[str, Any] | Declined], render: Renderer,
                expand_paths: Paths | None = None) -> Response:
        """Run a change in one write transaction; with an Idempotency-Key, store or replay its response."""
        caller = self.caller
        key = caller.idempotency_key
        if key is not None:
            idempotency.check_key(key)
            method, path = self.request.method, self.request.url.path
            print_ = idempotency.fingerprint(self.deps, self.raw)
            try:
                stored = retry_on_conflict(
                    lambda: idempotency.claim(self.deps, caller, key, method, path, print_))
            except TransactionConflict:
                raise _lock_timeout() from None
            if stored is not None:
                return json_response(stored.body, stored.status, {"Idempotent-Replayed": "true"})
        try:
            ctx, status, text = retry_on_conflict(lambda: self._transact(fn, render, expand_paths or []))
        except TransactionConflict:
            if key is not None:
                idempotency.release(self.deps, caller, key)
            raise _lock_timeout() from None
        except ParameterError:
            if key is not None:
                idempotency.release(self.deps, caller, key)
            raise
        except PaykeepError as err:
            if key is not None:
                idempotency.store_failure(self.deps, caller, key, status_for(err), dumps(envelope(err)))
            raise
        except Exception:
            if key is not None:
                idempotency.store_failure(self.deps, caller, key, 500, dumps(envelope(internal_error())))
            raise
        if ctx.deliveries_queued:
            self.deps.notify_outbox()
        return json_response(text, status)

    def _transact(self, fn: Callable[[Context], dict[str, Any] | Declined], render: Renderer,
                  expand_paths: Paths) -> tuple[Context, int, str]:
        """One attempt: the use case, its rendering and its idempotent response in one write transaction."""
        caller = self.caller
        with self.deps.begin(write=True) as uow:
            ctx = Context(uow, self.deps, caller)
            result = fn(ctx)
            status, body = self._render(uow, result, render, expand_paths)
            text = dumps(body)
            if caller.idempotency_key is not None:
                idempotency.complete(uow, self.deps, caller, caller.idempotency_key, status, text)
        return ctx, status, text

    def _render(self, uow: Any, result: dict[str, Any] | Declined, render: Renderer,
                expand_paths: Paths) -> tuple[int, dict[str, Any]]:
        if isinstance(result, Declined):
            obj = expand(uow, self.caller, render(result.row), expand_paths)
            err = result.error
            err.extra[result.object_name] = obj
            return status_for(err), envelope(err)
        return 200, expand(uow, self.caller, render(result), expand_paths)


def _expand_paths(params: BaseModel) -> Paths:
    return list(getattr(params, "expand", None) or [])


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


def _key_from_headers(header: str) -> str:
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationFailed("Invalid Basic authorization header.") from None
        return decoded.partition(":")[0]
    return ""


def _loc_to_param(loc: tuple[Any, ...]) -> str:
    """('shipping', 'Shipping', 'address', 'city') -> 'shipping[address][city]': pydantic's union member tags
    (type names, and model class names, which are CamelCase while parameter names are snake_case) go."""
    parts = [str(p) for p in loc
             if not (isinstance(p, str) and ("[" in p or p in _UNION_TAGS or _CLASS_NAME.match(p)))]
    if not parts:
        return ""
    return parts[0] + "".join(f"[{p}]" for p in parts[1:])


_UNION_TAGS = {"str", "int", "float", "bool", "list", "dict", "literal", "function-after", "function-before",
               "function-plain", "function-wrap", "nullable", "constrained-str", "union", "model"}
_CLASS_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def _param_error(exc: ValidationError) -> ParameterError:
    errors = exc.errors()
    for err in errors:
        if err["type"] == "extra_forbidden":
            return ParameterUnknown(_loc_to_param(err["loc"]))
    for err in errors:
        if err["type"] == "missing":
            return ParameterMissing(_loc_to_param(err["loc"]))
    # The most specific parameter named by any error (a union reports one error per member: the member that
    # got furthest names the deepest parameter); on a tie, the first member's error.
    err = max(errors, key=lambda e: len(_loc_to_param(e["loc"])))
    param = _loc_to_param(err["loc"])
    code = {
        "int_parsing": "parameter_invalid_integer", "int_type": "parameter_invalid_integer",
        "int_from_float": "parameter_invalid_integer", "string_type": "parameter_invalid_string",
        "bool_parsing": "parameter_invalid_boolean", "bool_type": "parameter_invalid_boolean",
        "list_type": "parameter_invalid_array",
    }.get(err["type"], "parameter_invalid")
    msg = err["msg"]
    if err["type"].startswith("model_") or err["type"] == "dict_type":
        msg = "should be an object (a hash) of parameters"
    return ParameterInvalid(param, f"Invalid {param}: {msg}", code=code)


MAX_PATH_ID_LENGTH = 255  # ids are 40 characters at most; a longer one cannot name anything
MAX_BODY_BYTES = 1024 * 1024  # 50 metadata keys of 500 characters are 25 KB; nothing legitimate comes near


async def _body(request: Request) -> bytes:
    """The request body, refused (413) as soon as it is known to be over MAX_BODY_BYTES: by its declared
    Content-Length before any of it is read, else while it streams in."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise RequestTooLarge(MAX_BODY_BYTES)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestTooLarge(MAX_BODY_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_raw(request: Request) -> dict[str, Any]:
    for value in request.path_params.values():  # ids in the path: refused like a parameter named `id`
        check_text("id", str(value))
        if len(str(value)) > MAX_PATH_ID_LENGTH:
            raise ParameterInvalid("id", f"Invalid id: at most {MAX_PATH_ID_LENGTH} characters.")
    query = request.scope.get("query_string", b"").decode()  # what request.url.query holds, without a URL
    if request.method in ("GET", "DELETE"):
        raw = decode_query(query)
        if request.method == "DELETE":
            raw.update(decode_body(request.headers.get("content-type", ""), await _body(request)))
        return raw
    raw = decode_body(request.headers.get("content-type", ""), await _body(request))
    if query:
        for name, value in decode_query(query).items():
            raw.setdefault(name, value)
    return raw


async def _secret_api(request: Request) -> ApiRequest:
    return ApiRequest(request, await _read_raw(request), allow_publishable=False)


async def _public_api(request: Request) -> ApiRequest:
    return ApiRequest(request, await _read_raw(request), allow_publishable=True)


Api = Annotated[ApiRequest, Depends(_secret_api)]
PublishableApi = Annotated[ApiRequest, Depends(_public_api)]


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


def missing(param: str) -> ParameterMissing:
    return ParameterMissing(param)


__all__ = ["Api", "PublishableApi", "ApiRequest", "Declined", "body_doc", "json_response", "missing"]
