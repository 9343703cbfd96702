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
redaction and the JSON, happens in a background task on the event loop that wakes every 200 ms, or at once
when 1,000 records wait, and builds them a slice at a time; a thread writes them in one transaction (one
executemany on SQLite, one multi-row INSERT … VALUES on PostgreSQL). Beyond
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
from paykeep.domain.ids import OBJECT_PREFIXES
from paykeep.logs import redact
from paykeep.services.common import load, purge_in_batches
from paykeep.services.ports import Context, Deps, Scope, TransactionConflict

log = logging.getLogger("paykeep.request_logs")
RETENTION_MS = 7 * 24 * 3600 * 1000
FLUSH_INTERVAL_S = 0.2
FLUSH_AT = 1000  # waiting records that wake the flusher before its interval is up
BUFFER_LIMIT = 5000  # waiting records at most; beyond, the oldest are dropped
BODY_LIMIT = 16 * 1024  # response bytes kept per record
MAX_OBJECT_IDS = 20
BUILD_SLICE = 16  # records built on the event loop between two chances for requests to run
WRITE_ATTEMPTS = 3  # a batch that loses a race (a busy SQLite) is written again, then dropped
TRUNCATED = "…[truncated]"
ENV = "PAYKEEP_REQUEST_LOGS"

# A raw record, as the request's path leaves it: (created ms, method, path, status, latency ms, request id,
# account id, livemode, Idempotency-Key, parameters as JSON, dialect, response body, body cut). Only strings,
# numbers and bytes: the garbage collector stops looking at it (a record holding the request's own dicts
# and lists would keep them in its older generations, and make their collections cost the API).
Raw = tuple[int, str, str, int, float, str, str | None, bool | None, str | None, str | None, str | None,
            bytes, bool]


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
        """The response is sent: buffer what the record will be built from (the parameters as JSON, nothing
        else encoded or redacted here)."""
        state = scope.get("state") or {}
        method = scope["method"]
        caller, params, dialect = state.get("caller"), state.get("raw_params"), state.get("dialect")
        if caller is not None:
            account, livemode, key = caller.account_id, caller.livemode, caller.idempotency_key
        else:  # no key named an account (401), or it was refused before the caller was known
            account, livemode, key = None, None, _header(scope.get("headers"), b"idempotency-key", method)
        latency_ms = seconds * 1000
        buffer = self._buffer
        if len(buffer) == buffer.maxlen:
            self.dropped += 1
        buffer.append((self.deps.clock.now_ms() - int(latency_ms), method, scope["path"], status, latency_ms,
                       request_id, account, livemode, key, _json_or_none(params),
                       getattr(dialect, "value", None), b"".join(pending.parts), pending.truncated))
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
            await self.flush_async()

    async def stop(self) -> None:
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=30)
            except TimeoutError:
                self._task.cancel()
        await self.flush_async()  # what came in meanwhile
        if self.dropped:
            log.warning("request logs: %d record(s) dropped (buffer full or not writable)", self.dropped)

    async def flush_async(self, batch: int = 1000) -> int:
        """Write the records waiting now, `batch` per transaction, from the event loop: they are built right
        here, a slice at a time with the loop free in between (in a thread, this Python work would hold the
        GIL against the requests' own, which costs them far more than the work itself); only the INSERT runs
        in a thread. Records that arrive meanwhile wait for the next tick: one transaction per tick, not one
        per few requests."""
        done, waiting = 0, len(self._buffer)  # only these: what arrives meanwhile waits for the next tick
        while waiting > 0:
            rows: list[dict[str, Any]] = []
            taken = self._take(min(batch, waiting))
            waiting -= len(taken) or waiting
            for n, raw in enumerate(taken, 1):
                self._build_into(rows, raw)
                if n % BUILD_SLICE == 0:
                    await asyncio.sleep(0)
            done += await asyncio.to_thread(self._write, rows)
        self.written += done
        return done

    def flush(self, batch: int = 1000) -> int:
        """Write every record waiting, `batch` per transaction, from this thread; returns how many."""
        done = 0
        while self._buffer:
            rows: list[dict[str, Any]] = []
            for raw in self._take(batch):
                self._build_into(rows, raw)
            done += self._write(rows)
        self.written += done
        return done

    def _take(self, batch: int) -> list[Raw]:
        raws: list[Raw] = []
        with contextlib.suppress(IndexError):  # (the loop may drop the oldest meanwhile)
            while len(raws) < batch:
                raws.append(self._buffer.popleft())
        return raws

    def _build_into(self, rows: list[dict[str, Any]], raw: Raw) -> None:
        try:
            rows.append(build_row(raw))
        except Exception as exc:  # noqa: BLE001 - one odd request must not lose the others
            self.dropped += 1
            log.warning("request log of %s not recorded: %s", raw[5], type(exc).__name__)

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
    (created, method, path, status, latency_ms, request_id, account, livemode, key, params, dialect, data,
     truncated) = raw
    text = data.decode("utf-8", "replace")
    response = None
    if text.startswith("{") and not truncated:
        if plain_json(data):
            response = text  # nothing in it the redactor would change (most bodies): stored as sent
        else:
            with contextlib.suppress(ValueError):
                body = json.loads(text)
                response = redact_json(text, body) if isinstance(body, dict) else None
    if response is None:
        response = redact(text) + (TRUNCATED if truncated else "")
    stored_path, path_ids = _path(path)
    ids = [*path_ids, *_ids_in_body(text), *(_ids_in_body(params) if params is not None else ())]
    return {
        "id": request_id,
        "account_id": account,
        "livemode": livemode,
        "created": created,
        "method": _scrub(method)[:16],
        "path": stored_path,
        "status": status,
        "latency_ms": round(latency_ms, 3),
        "idempotency_key": redact(key)[:255] if key else None,
        "dialect": dialect,
        "object_ids": " ".join(list(dict.fromkeys(ids))[:MAX_OBJECT_IDS]),
        "params": _params_text(params) if params is not None else None,
        "response_body": response,
    }


# `plain_json`: the bytes of a JSON text, classed: digits `9`, word characters `a` (letters, `_`), `"` and
# `:` as they are, anything else a space.
_CLASSES = bytes(ord("9") if chr(c).isdigit() and c < 128 else ord("a") if chr(c).isalpha() and c < 128
                 or c == ord("_") else c if c in (ord('"'), ord(":")) else ord(" ") for c in range(256))
_NINE, _WORD, _COLON, _SPACE = ord("9"), ord("a"), ord(":"), ord(" ")
_NINES = re.compile(rb"9+")
_TIME_KEY = re.compile(rb'[{,]"(?:created|gte?|lte?|[a-z_]+_at)"$')
_CVC_NEXT = frozenset(b"\"'=]: \t\r\n\f\v")


def plain_json(data: bytes) -> bool:
    """True only when `paykeep.logs.redact` would change no key, string or number of this JSON text (one
    that json.dumps or our encoder wrote): then it is stored as it is, without parsing it or running the
    redactor's patterns over each value (~10x cheaper; most bodies are such). Every pattern of the redactor
    needs something this looks for with bytes operations:
    - a card number starts with a run of 4+ digits after a non-word character (or none): each such run is
      looked at, and it may only be 4-11 digits not followed by a space or a hyphen (no card number can start
      there), or a millisecond time of 12-13 digits as the value of `created`, `*_at` or a `created[…]` filter
      (what `redact_value` keeps too);
    - API keys and webhook secrets need `k_` or `whsec_`, client secrets `_secret_`, a CVC field `cvc` then
      one of its separators;
    - text that needs decoding first (a backslash escape, non-ASCII digits) is never plain."""
    if not data.isascii() or b"\\" in data or b"k_" in data or b"whsec_" in data or b"_secret_" in data:
        return False
    if b"vc" in data or b"VC" in data or b"Vc" in data or b"vC" in data:
        lowered = data.lower()
        at = lowered.find(b"cvc")
        while at != -1:
            if lowered[at + 3:at + 4] and lowered[at + 3] in _CVC_NEXT:
                return False
            at = lowered.find(b"cvc", at + 3)
    classes = data.translate(_CLASSES)
    at = classes.find(b"9999")
    while at != -1:
        run = _NINES.match(classes, at)
        assert run is not None
        start, end = at, run.end()
        while start > 0 and classes[start - 1] == _NINE:
            start -= 1
        before = classes[start - 1] if start > 0 else _SPACE
        if before != _WORD:  # a run glued to a word (an id's digits) is no card number to the redactor
            if data[end:end + 1] in (b" ", b"-"):
                return False
            if end - start >= 12 and not (end - start <= 13 and before == _COLON
                                          and _TIME_KEY.search(data, max(0, start - 41), start - 1)):
                return False
        at = classes.find(b"9999", end)
    return True


_PATHS: dict[str, tuple[str, list[str]]] = {}  # the same paths come back (an object polled, a list paged)
_PATHS_LIMIT = 4096


def _path(path: str) -> tuple[str, list[str]]:
    """The path as stored (redacted) and the object ids in it."""
    found = _PATHS.get(path)
    if found is None:
        segments = path.split("/")
        found = ("/".join([_scrub(segment) for segment in segments]),
                 [segment for segment in segments if _is_object_id(segment)])
        if len(_PATHS) >= _PATHS_LIMIT:
            _PATHS.clear()
        _PATHS[path] = found
    return found


def _json_or_none(params: Any) -> str | None:
    if params is None:
        return None
    try:
        return _ENCODER.encode(params)
    except (TypeError, ValueError):  # (decoded from a form or JSON body: always encodable)
        return None


def _params_text(text: str) -> str:
    """The parameters (their JSON) without card data (`without_card_data`: only where a key may name some,
    that is where the text holds `cvc`, `cvv`, `cvn` or `number` at all), redacted (as one text when
    plain)."""
    if text == "{}":
        return text
    lowered = text.lower()
    params = None
    if "cvc" in lowered or "cvv" in lowered or "cvn" in lowered or "number" in lowered:
        params = without_card_data(json.loads(text))
        text = _ENCODER.encode(params)
    if plain_json(text.encode()):
        return text
    return redact_json(text, json.loads(text) if params is None else params)


def redact_json(text: str, value: Any) -> str:
    """The JSON `text` of `value`, redacted value by value (`redact_value`): a number is masked as a whole, a
    millisecond time is not, and the text is written again only when something changed."""
    redacted = redact_value(value)
    return text if redacted is value else _ENCODER.encode(redacted)


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
    millisecond time in a `created` or `*_at` field stays: its 13 digits are no card number). What needs no
    change comes back as the same object, so a caller can tell nothing changed (`is`)."""
    kind = type(value)
    if kind is str:
        return _scrub(value)
    if kind is dict:
        out = {}
        changed = False
        for k, v in value.items():
            name = k if k in _PLAIN_KEYS else _scrub_key(k)
            item = v if v is None or type(v) is bool else redact_value(v, k)
            changed = changed or name is not k or item is not v
            out[name] = item
        return out if changed else value
    if kind is list:
        items = [redact_value(item, key) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if kind is int and abs(value) >= 10**11:
        digits = str(value)
        if 0 < value < 10**13 and (key in _TIME_KEYS or key.endswith("_at")):
            return value
        masked = redact(digits)
        return value if masked == digits else masked
    return value


# What `paykeep.logs.redact` can change: a card number needs a run of 4 digits (its pattern starts with one)
# and is never glued to an id's prefix; keys, secrets and CVC fields need their literal parts (a CVC: digits
# too). A string with none of them comes back as it is without running the redactor's patterns (ids, emails,
# names and statuses are most of a body: ~10x cheaper).
_DIGITS = re.compile(r"\d{3}")
_AN_ID = re.compile(r"[a-z]{2,5}_[0-9]{19}(?:[A-Za-z0-9]{5})?")
_TIME_KEYS = frozenset({"created", "gt", "gte", "lt", "lte"})
_PLAIN_KEYS: set[Any] = set()  # keys seen to need nothing (field names: the same few hundred every time)
_PLAIN_KEYS_LIMIT = 4096


def _scrub(text: str) -> str:
    if _DIGITS.search(text) is None:
        if "k_" not in text and "whsec_" not in text and "_secret_" not in text:
            return text
    elif _AN_ID.fullmatch(text) is not None:
        return text
    masked = redact(text)
    return text if masked == text else masked


def _scrub_key(key: Any) -> Any:
    if type(key) is not str:
        return key
    name = _scrub(key)
    if name is key and len(_PLAIN_KEYS) < _PLAIN_KEYS_LIMIT:
        _PLAIN_KEYS.add(key)
    return name


def _is_object_id(value: Any) -> bool:
    return (type(value) is str and len(value) >= 22 and value.partition("_")[0] in OBJECT_PREFIXES
            and _AN_ID.fullmatch(value) is not None)


_ID_DIGITS = re.compile(r"_[0-9]{19}")
_LISTS = ('{"object":"list"', '{"object":"search_result"')


def _ids_in_body(text: str) -> list[str]:
    """The object ids the response names, as JSON strings anywhere in it (its `id`, its id fields, an
    expanded object's, an error's embedded object's, an event's object's), in order; none for a list (its
    items are not what the request was about)."""
    if text.startswith(_LISTS):
        return []
    found = []
    for digits in _ID_DIGITS.finditer(text):
        at, end = digits.start(), digits.end()
        start = text.rfind('"', max(0, at - 6), at)
        if start < 0 or text[start + 1:at] not in OBJECT_PREFIXES:
            continue
        if text.startswith('"', end):
            found.append(text[start + 1:end])
        elif text.startswith('"', end + 5) and text[end:end + 5].isalnum() and text[end:end + 5].isascii():
            found.append(text[start + 1:end + 5])  # the Stripe dialect's form
    return found


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
