"""GET /v1/test_helpers/events/stream: the account's events as server-sent events, as they are written (what
`paykeep listen` follows; API.md §11).

- Authenticated by the secret key like every /v1 call; the events of the key's account and mode only.
- Each event is one SSE message: `id: evt_…`, `event: <type>`, `data: <the event as one line of JSON>`,
  written in the request's dialect (its Paykeep-Dialect header, else the account's default; the
  `Paykeep-Dialect` response header names it): the exact bytes a webhook endpoint of that dialect is POSTed.
- From now on by default; from after an event with `?after=evt_…` or the `Last-Event-ID` header (which an
  EventSource sends when it reconnects). `types[]=…` limits it to those event types.
- The server polls the events table every POLL_S in a short read transaction of its own (none is held while
  waiting), sends a `: heartbeat` comment after HEARTBEAT_S without events, and ends the response after
  MAX_STREAM_S, when the client goes away, when the key stops working or when the server shuts down; clients
  reconnect with Last-Event-ID (`retry:` says after how long). At most MAX_STREAMS streams per process: more
  get 429.
- Not in /openapi.json: its 200 is a stream, not a JSON object, and a fuzzer must not wait on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import anyio
from fastapi import APIRouter, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from paykeep.domain.errors import PaykeepError, RateLimited
from paykeep.domain.events import Event
from paykeep.services import accounts
from paykeep.services.event_stream import Cursor, check_after, check_types, read_batch
from paykeep.services.ports import Caller, Deps, UnitOfWork
from paykeep.web.api.auth import key_from_headers
from paykeep.web.api.endpoint import Api
from paykeep.web.api.responses import dumps
from paykeep.web.api.route import ApiRoute
from paykeep.wire.dialects import in_dialect
from paykeep.wire.events import render_event
from paykeep.wire.params import Params

router = APIRouter(prefix="/v1/test_helpers/events", tags=["test_helpers"], route_class=ApiRoute)
log = logging.getLogger("paykeep.api")
T = TypeVar("T")

POLL_S = 0.2
HEARTBEAT_S = 15.0
MAX_STREAM_S = 300.0
RETRY_MS = 1000
MAX_STREAMS = 32


class EventStreamParams(Params):
    after: str | None = Field(None, max_length=40, description="Start after this event (evt_…).")
    types: list[str] | None = Field(None, description="Only these event types (`*`: all).")


@router.get("/stream", include_in_schema=False)
def stream_events(api: Api) -> Response:
    p = api.params(EventStreamParams)  # authenticates first: a 401 before any 400
    caller = api.caller
    header = api.request.headers.get("last-event-id")
    after = check_after(header, "Last-Event-ID") if header else check_after(p.after)
    types = check_types(p.types)
    streams = _open_streams(api.request.app.state)
    if not streams.take():
        err = RateLimited(f"At most {MAX_STREAMS} event streams are open at once on this server process.")
        err.extra["retry_after"] = 5
        raise err
    cursor = Cursor.start(api.deps.clock.now_ms(), after)
    raw_key = key_from_headers(api.request.headers.get("authorization", ""))
    frames = _frames(api.deps, caller, raw_key, cursor, types)
    return EventStreamResponse(frames, on_close=streams.give_back, headers={
        "Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Paykeep-Dialect": caller.dialect.value})


class _OpenStreams:
    """How many streams this process serves (taken in the threadpool, given back on the event loop)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def take(self) -> bool:
        with self._lock:
            if self.count >= MAX_STREAMS:
                return False
            self.count += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.count = max(0, self.count - 1)


_STATE_LOCK = threading.Lock()


def _open_streams(state: Any) -> _OpenStreams:
    with _STATE_LOCK:
        found = getattr(state, "event_streams", None)
        if found is None:
            found = state.event_streams = _OpenStreams()
        return found


class EventStreamResponse(StreamingResponse):
    """A stream that ends as soon as the client disconnects, whichever ASGI spec version the server speaks
    (Starlette only listens for the disconnect below 2.4)."""

    media_type = "text/event-stream"

    def __init__(self, content: AsyncIterator[bytes], *, on_close: Callable[[], None],
                 headers: dict[str, str]) -> None:
        super().__init__(content, headers=headers)
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:

                async def stream() -> None:
                    with contextlib.suppress(OSError):  # the client went away mid-write
                        await self.stream_response(send)
                    group.cancel_scope.cancel()

                group.start_soon(stream)
                await self.listen_for_disconnect(receive)
                group.cancel_scope.cancel()
        finally:
            self._on_close()


def frame(event: Event, caller: Caller) -> bytes:
    body = dumps(in_dialect(render_event(event), caller.dialect, caller.api_version))
    return f"id: {event.id}\nevent: {event.type}\ndata: {body}\n\n".encode()


async def _frames(deps: Deps, caller: Caller, raw_key: str, cursor: Cursor,
                  types: frozenset[str] | None) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    ends = loop.time() + MAX_STREAM_S
    mode = "live" if caller.livemode else "test"
    yield (f"retry: {RETRY_MS}\n: paykeep events of {caller.account_id} ({mode} mode), "
           f"{caller.dialect.value} dialect\n\n").encode()
    quiet_since = loop.time()
    while loop.time() < ends and not server_exiting():
        try:
            events = await _read(deps, lambda uow: read_batch(uow, caller.scope, cursor, types))
        except Exception as exc:  # the database went away: end; the client comes back with Last-Event-ID
            log.warning("event stream ended: the events could not be read (%s)", type(exc).__name__)
            return
        if events:
            yield b"".join(frame(event, caller) for event in events)
            cursor.advance(events)
            quiet_since = loop.time()
        elif loop.time() - quiet_since >= HEARTBEAT_S:
            if not await _key_works(deps, raw_key, caller):
                yield b"event: error\ndata: {\"error\": \"the API key no longer works\"}\n\n"
                return
            yield b": heartbeat\n\n"
            quiet_since = loop.time()
        cursor.advance([])
        await asyncio.sleep(POLL_S)


async def _read(deps: Deps, fn: Callable[[UnitOfWork], T]) -> T:
    """`fn` in one short read transaction: on the event loop where a read costs microseconds (SQLite), else
    in the threadpool (as ApiRequest's reads)."""
    inline = deps.inline_reads
    if inline is not None:
        with inline() as uow:
            return fn(uow)

    def run() -> T:
        with deps.begin(write=False) as uow:
            return fn(uow)

    return await run_in_threadpool(run)


async def _key_works(deps: Deps, raw_key: str, caller: Caller) -> bool:
    """Is the stream's key still one of its account's working keys (not rolled, revoked or expired)?"""
    try:
        found = await _read(deps, lambda uow: accounts.authenticate(uow, deps, raw_key))
    except PaykeepError:
        return False
    return found.scope == caller.scope


def server_exiting() -> bool:
    """Has uvicorn been asked to stop (SIGTERM / Ctrl-C)? Its signal handler is its Server's bound
    `handle_exit`, which sets `should_exit`: an open stream then ends at its next poll instead of holding the
    graceful shutdown until its timeout."""
    handler = signal.getsignal(signal.SIGTERM)
    return bool(getattr(getattr(handler, "__self__", None), "should_exit", False))
