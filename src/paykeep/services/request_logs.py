"""Request logs: every /v1 request, recorded without slowing it down, redacted, kept 7 days.

What a record holds: method, path, status, latency, the request id, the Idempotency-Key, the account and
mode of the key that called, the request's dialect, the object ids it named (in its path, in its response's
`id` and other top-level id fields, an error's embedded object, and id-valued top-level parameters), its
parameters and its response body. Card numbers and CVCs are never stored, whatever the request sent:
`card[number]`, `card[cvc]`, `payment_method_data[card][number]` and the like are dropped, and everything
else (keys and values, parameters and response) goes through `paykeep.logs.redact`, which masks anything
shaped like a card number, client secrets, API keys and `whsec_` secrets.

The cost on the request's own path is one tuple appended to a bounded deque (`RequestLog.finish`, called by
web/front_door.py; the response's bytes are kept as they are sent, the first 16 KB). Everything else, the
redaction, the JSON and the INSERT, happens in a background task that wakes every 200 ms, or at once when
100 records wait, and writes all of them in one transaction (one executemany / multi-row INSERT). Beyond
`limit` waiting records (the database stalled) the oldest are dropped and counted; on shutdown the buffer is
flushed. PAYKEEP_REQUEST_LOGS=0 turns it all off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from paykeep.domain.errors import ParameterInvalid
from paykeep.domain.ids import OBJECT_PREFIXES, looks_like, prefix_of
from paykeep.logs import redact
from paykeep.services.common import load, purge_in_batches
from paykeep.services.ports import Context, Deps, Scope, TransactionConflict

log = logging.getLogger("paykeep.request_logs")
RETENTION_MS = 7 * 24 * 3600 * 1000
FLUSH_INTERVAL_S = 0.2
FLUSH_AT = 100  # waiting records that wake the flusher before its interval is up
BUFFER_LIMIT = 5000  # waiting records at most; beyond, the oldest are dropped
BODY_LIMIT = 16 * 1024  # response bytes kept per record
MAX_OBJECT_IDS = 20
WRITE_ATTEMPTS = 3  # a batch that loses a race (a busy SQLite) is written again, then dropped
TRUNCATED = "…[truncated]"
ENV = "PAYKEEP_REQUEST_LOGS"

# A raw record, as the request's path leaves it: (created ms, method, path, status, latency ms, request id,
# caller | None, raw params | None, headers, dialect | None, body parts, body truncated)
Raw = tuple[int, str, str, int, float, str, Any, Any, Any, Any, list[bytes], bool]


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """On unless PAYKEEP_REQUEST_LOGS is 0 / false / off / no."""
    value = (os.environ if environ is None else environ).get(ENV, "").strip().lower()
    return value not in ("0", "false", "off", "no")


# -- the request's path ------------------------------------------------------------------------------------
class Pending:
    """One /v1 request on its way: the response's bytes as they are sent (the first BODY_LIMIT)."""

    __slots__ = ("parts", "size", "truncated")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.truncated = False

    def body(self, message: Mapping[str, Any]) -> None:
        chunk = message.get("body", b"")
        if not chunk:
            return
        if self.size >= BODY_LIMIT:
            self.truncated = True
            return
        if self.size + len(chunk) > BODY_LIMIT:
            chunk, self.truncated = chunk[:BODY_LIMIT - self.size], True
        self.parts.append(chunk)
        self.size += len(chunk)


class RequestLog:
    """The buffer between the requests and the request_logs table, and the task that flushes it."""

    def __init__(self, deps: Deps, *, interval_s: float = FLUSH_INTERVAL_S, flush_at: int = FLUSH_AT,
                 limit: int = BUFFER_LIMIT) -> None:
        self.deps = deps
        self.interval_s = interval_s
        self.flush_at = flush_at
        self._buffer: deque[Raw] = deque(maxlen=limit)
        self.dropped = 0  # records dropped: the buffer was full, or a batch could not be written
        self.written = 0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # called by web/front_door.py for every HTTP request, on the event loop
    def begin(self, scope: Mapping[str, Any]) -> Pending | None:
        """A Pending for a /v1 request (None for any other path: not recorded)."""
        return Pending() if scope["path"].startswith("/v1/") else None

    def finish(self, pending: Pending, scope: Mapping[str, Any], status: int, seconds: float,
               request_id: str) -> None:
        """The response is sent: buffer what the record will be built from (nothing is copied or encoded)."""
        state = scope.get("state") or {}
        latency_ms = seconds * 1000
        buffer = self._buffer
        if len(buffer) == buffer.maxlen:
            self.dropped += 1
        buffer.append((self.deps.clock.now_ms() - int(latency_ms), scope["method"], scope["path"], status,
                       latency_ms, request_id, state.get("caller"), state.get("raw_params"),
                       scope.get("headers"), state.get("dialect"), pending.parts, pending.truncated))
        if len(buffer) >= self.flush_at and self._wake is not None:
            self._wake.set()

    @property
    def waiting(self) -> int:
        return len(self._buffer)

    # the background task
    async def start(self) -> Callable[[], Awaitable[None]]:
        """Start the flusher on the running loop; returns the async `stop()` that flushes what is left."""
        self._wake = asyncio.Event()
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="paykeep-request-logs")
        return self.stop

    async def _loop(self) -> None:
        wake = self._wake
        assert wake is not None
        while not self._stopping:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=self.interval_s)
            wake.clear()
            if self._buffer:
                await asyncio.to_thread(self.flush)

    async def stop(self) -> None:
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=30)
            except TimeoutError:
                self._task.cancel()
        await asyncio.to_thread(self.flush)  # what came in meanwhile
        if self.dropped:
            log.warning("request logs: %d record(s) dropped (buffer full or not writable)", self.dropped)

    def flush(self, batch: int = 1000) -> int:
        """Write every record waiting, `batch` per transaction; returns how many were written."""
        done = 0
        while self._buffer:
            raws: list[Raw] = []
            with contextlib.suppress(IndexError):
                while len(raws) < batch:
                    raws.append(self._buffer.popleft())
            rows = []
            for raw in raws:
                try:
                    rows.append(build_row(raw))
                except Exception as exc:  # noqa: BLE001 - one odd request must not lose the others
                    self.dropped += 1
                    log.warning("request log of %s not recorded: %s", raw[5], type(exc).__name__)
            done += self._write(rows)
        self.written += done
        return done

    def _write(self, rows: list[dict[str, Any]]) -> int:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self.deps.begin(write=True) as uow:
                    uow.request_logs.insert_many(rows)
                return len(rows)
            except TransactionConflict:
                if attempt == WRITE_ATTEMPTS:
                    break
            except Exception as exc:  # noqa: BLE001 - the storage refuses writes: these records are lost
                log.warning("request logs: %d record(s) not written: %s", len(rows), type(exc).__name__)
                break
        self.dropped += len(rows)
        return 0


# -- a record, redacted ------------------------------------------------------------------------------------
_CARD_SECRET = re.compile(r"(cvc|cvv|cvn|card_?number)", re.IGNORECASE)
_NUMBER = re.compile(r"number\]?$", re.IGNORECASE)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def build_row(raw: Raw) -> dict[str, Any]:
    """The stored record of a raw one: redacted parameters and body, the object ids it named."""
    (created, method, path, status, latency_ms, request_id, caller, params, headers, dialect, parts,
     truncated) = raw
    text = b"".join(parts).decode("utf-8", "replace")
    body: Any = None
    if text.startswith("{") and not truncated:
        with contextlib.suppress(ValueError):
            body = json.loads(text)
    ids = [*_ids_in_path(path), *(_ids_in_body(body) if isinstance(body, dict) else ()),
           *(_ids_in_params(params) if isinstance(params, dict) else ())]
    if isinstance(body, dict):
        response = _ENCODER.encode(redact_value(body))
    else:
        response = redact(text) + (TRUNCATED if truncated else "")
    key = caller.idempotency_key if caller is not None else _header(headers, b"idempotency-key", method)
    return {
        "id": request_id,
        "account_id": caller.account_id if caller is not None else None,
        "livemode": caller.livemode if caller is not None else None,
        "created": created,
        "method": redact(method)[:16],
        "path": redact(path),
        "status": status,
        "latency_ms": round(latency_ms, 3),
        "idempotency_key": redact(key)[:255] if key else None,
        "dialect": getattr(dialect, "value", None),
        "object_ids": " ".join(list(dict.fromkeys(ids))[:MAX_OBJECT_IDS]),
        "params": _ENCODER.encode(redact_value(without_card_data(params))) if params is not None else None,
        "response_body": response,
    }


def without_card_data(value: Any, under_card: bool = False) -> Any:
    """`value` without any card number or CVC field: keys naming a CVC anywhere, and a `number` under
    anything named card (`card[number]`, `payment_method_data[card][number]`, a flat `card[number]` key)."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            name = str(key)
            card = under_card or "card" in name.lower()
            if _CARD_SECRET.search(name) or (card and _NUMBER.search(name)):
                continue
            kept[key] = without_card_data(item, card)
        return kept
    if isinstance(value, list):
        return [without_card_data(item, under_card) for item in value]
    return value


def redact_value(value: Any, key: str = "") -> Any:
    """`value` with every string (keys too) redacted, and an integer redacted as its digits would be (a
    millisecond time in a `created` or `*_at` field stays: its 13 digits are no card number)."""
    if isinstance(value, dict):
        return {redact(str(k)): redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(item, key) for item in value]
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 10**11:
        digits = str(value)
        if len(digits) <= 13 and (key in ("created", "gt", "gte", "lt", "lte") or key.endswith("_at")):
            return value
        masked = redact(digits)
        return value if masked == digits else masked
    return value


def _is_object_id(value: Any) -> bool:
    return isinstance(value, str) and prefix_of(value) in OBJECT_PREFIXES and looks_like(value,
                                                                                        prefix_of(value))


def _ids_in_path(path: str) -> list[str]:
    return [segment for segment in path.split("/") if _is_object_id(segment)]


def _ids_in_body(body: dict[str, Any]) -> list[str]:
    """The object's `id` and its top-level id fields (an expanded one's id); an error's embedded object."""
    found = _top_level_ids(body)
    error = body.get("error")
    if isinstance(error, dict):
        for value in error.values():
            if isinstance(value, dict):
                found += _top_level_ids(value)
    return found


def _top_level_ids(obj: dict[str, Any]) -> list[str]:
    found = []
    for value in obj.values():
        if isinstance(value, dict):
            value = value.get("id")
        if _is_object_id(value):
            found.append(value)
    return found


def _ids_in_params(params: dict[str, Any]) -> list[str]:
    return [value for value in params.values() if _is_object_id(value)]


def _header(headers: Any, name: bytes, method: str) -> str | None:
    if method != "POST" or not headers:
        return None
    for key, value in headers:
        if key == name:
            return bytes(value).decode("latin-1") or None
    return None


# -- reading them ------------------------------------------------------------------------------------------
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")


def status_filters(status: str | None) -> dict[str, int]:
    """`2xx`…`5xx` (a class) or an exact status (`402`) as filters; empty: every status."""
    text = (status or "").strip().lower()
    if not text:
        return {}
    if text in STATUS_CLASSES:
        low = int(text[0]) * 100
        return {"status__gte": low, "status__lt": low + 100}
    if text.isdigit() and len(text) == 3 and 100 <= int(text) <= 599:
        return {"status": int(text)}
    raise ParameterInvalid("status", f"Invalid status {status!r}: use 2xx, 3xx, 4xx, 5xx or a status code "
                           "such as 402.")


def path_prefix(path: str | None) -> str | None:
    """A path filter: `/v1/customers`, or `customers` for the same."""
    text = (path or "").strip()
    if not text:
        return None
    return text if text.startswith("/") else "/v1/" + text


def filters(status: str | None = None, path: str | None = None, object_id: str | None = None,
            ) -> dict[str, Any]:
    found: dict[str, Any] = dict(status_filters(status))
    prefix = path_prefix(path)
    if prefix is not None:
        found["path__prefix"] = prefix
    if object_id and object_id.strip():
        found["object_id"] = object_id.strip()
    return found


def list_logs(ctx: Context, *, limit: int, starting_after: str | None = None,
              ending_before: str | None = None, **wanted: Any) -> tuple[list[dict[str, Any]], bool]:
    """The caller's account and mode's records, newest first, filtered (`filters`)."""
    return ctx.uow.request_logs.page(ctx.scope, limit=limit, starting_after=starting_after,
                                     ending_before=ending_before, **wanted)


def retrieve_log(ctx: Context, request_id: str) -> dict[str, Any]:
    return load(ctx, ctx.uow.request_logs, "request log", request_id)


def recent(deps: Deps, scope: Scope | None, limit: int, **wanted: Any) -> list[dict[str, Any]]:
    """The newest `limit` records (of every account and mode with `scope` None), oldest first."""
    with deps.begin(write=False) as uow:
        rows, _ = uow.request_logs.page(scope, limit=limit, **wanted)
    return list(reversed(rows))


def since(deps: Deps, scope: Scope | None, created_from: int, **wanted: Any) -> list[dict[str, Any]]:
    """Every record created at or after `created_from` (ms), oldest first (`logs tail --follow`)."""
    with deps.begin(write=False) as uow:
        rows = uow.request_logs.find(scope, limit=10_000, created__gte=created_from, **wanted)
    return sorted(rows, key=lambda r: (r["created"], r["id"]))


def purge_expired(deps: Deps, *, batch: int = 1000, max_batches: int = 50) -> int:
    """Delete the records past their 7 days (a timed job); returns how many. `batch` per transaction,
    `max_batches` per run (common.purge_in_batches). Safe in several processes at once."""
    cutoff = deps.clock.now_ms() - RETENTION_MS
    return purge_in_batches(deps, lambda uow: uow.request_logs, cutoff, batch=batch, max_batches=max_batches)
