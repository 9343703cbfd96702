"""`paykeep listen --forward-to URL`: follow a running paykeep's events and POST each one to URL, signed with
a session secret, as `stripe listen` does (API.md §11).

- The events come from GET /v1/test_helpers/events/stream (web/api/routes/event_stream.py), rendered by the
  server in the account's dialect (or `--dialect`): the body forwarded is the bytes the server sent, signed
  with `t=<unix s>,v1=<HMAC-SHA256 of "<t>.<body>">` (adapters/webhooks/signing.py) under the session secret,
  in the dialect's header (`Stripe-Signature` or `Wooshpay-Signature`).
- The session secret (`whsec_…`) is derived from the API key (an HMAC of a fixed label under the key): the
  same key always gives the same secret, so `--print-secret` prints the one the next `listen` with that key
  uses, in any directory and with nothing stored. Rolling the key changes it.
- The key and server: `--api-key` (PAYKEEP_API_KEY) and `--url`; without a key, the test secret key of the
  local database's account (`--db` / `--key-file` as the other commands) and its server's URL (`--public-url`
  / PAYKEEP_PUBLIC_URL, else http://127.0.0.1:8420).
- When the stream ends or breaks (the server restarted, the network went away), it reconnects with back-off
  (0.2 s doubling to at most 5 s) and resumes after the last event it received (Last-Event-ID): events made
  meanwhile arrive then. Repeats (the server may resend a few after a reconnect) are dropped by event id. It
  gives up after `--give-up-after` seconds without reaching the server (default 600; 0 = never).
- A refused key (401/403) or a refused request (400) is one line on stderr and exit status 2; Ctrl-C (or
  SIGTERM) stops it cleanly with exit status 0.
- A forward that fails (connection refused, a non-2xx) is printed and not retried, as `stripe listen` does.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
import signal
import sys
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.client import HTTPException, HTTPResponse
from pathlib import Path
from typing import Annotated, Any, NoReturn
from urllib.parse import urlsplit

import typer

STREAM_PATH = "/v1/test_helpers/events/stream"
SECRET_LABEL = b"paykeep listen: the webhook signing secret of this API key"
BACKOFF_START_S = 0.2
BACKOFF_MAX_S = 5.0
STEADY_S = 10.0  # a stream that lasted this long was healthy: the next reconnect starts the back-off again
READ_TIMEOUT_S = 45.0  # the server sends a heartbeat every 15 s
FORWARD_TIMEOUT_S = 10.0
REMEMBERED = 10_000  # event ids kept to drop repeats


def register(app: typer.Typer) -> None:
    app.command("listen")(listen)


def session_secret(api_key: str) -> str:
    """The `whsec_…` secret `listen` signs with for this API key (always the same one for the same key)."""
    return "whsec_" + hmac.new(api_key.encode("utf-8"), SECRET_LABEL, hashlib.sha256).hexdigest()


def listen(
    forward_to: Annotated[str | None, typer.Option(
        "--forward-to", help="Where to POST each event, e.g. http://localhost:4242/webhook")] = None,
    events: Annotated[str | None, typer.Option(
        "--events", help="Only these event types, comma-separated (default: all)")] = None,
    url: Annotated[str | None, typer.Option("--url", help="The paykeep server to follow")] = None,
    api_key: Annotated[str | None, typer.Option(
        "--api-key", envvar="PAYKEEP_API_KEY", show_envvar=True,
        help="The account's secret key (default: the local database's test key)")] = None,
    dialect: Annotated[str | None, typer.Option(
        "--dialect", help="Render and sign the events in this dialect (wooshpay or stripe) instead of the "
        "account's")] = None,
    print_secret: Annotated[bool, typer.Option(
        "--print-secret", help="Print the webhook signing secret listen uses with this key; exit")] = False,
    give_up_after: Annotated[float, typer.Option(
        "--give-up-after", min=0, help="Seconds without reaching the server before giving up (0 = never)")]
    = 600.0,
    db: Annotated[str | None, typer.Option(
        "--db", help="Without --api-key: sqlite:///path or postgresql://… (PAYKEEP_DATABASE_URL)")] = None,
    key_file: Annotated[Path | None, typer.Option(
        "--key-file", help="Without --api-key: the master key file (PAYKEEP_KEY_FILE)")] = None,
) -> None:
    """Follow the account's events on a running paykeep and POST each to --forward-to, signed with a session
    secret (whsec_…) printed at the start; reconnects and resumes after a restart; Ctrl-C stops it."""
    from paykeep.testkit.commands import checked_dialect, fail

    chosen = checked_dialect(dialect)
    types = _event_types(events)
    if not print_secret:
        target = urlsplit(forward_to or "")
        if not forward_to:
            fail("give --forward-to URL (where to POST the events), or --print-secret")
        if target.scheme not in ("http", "https") or not target.netloc:
            fail(f"--forward-to must be an http:// or https:// URL, not {forward_to!r}")
    key, base_url = _resolve(url, api_key, db, key_file)
    secret = session_secret(key)
    if print_secret or not forward_to:
        sys.stdout.write(secret + "\n")
        return
    listener = Listener(base_url=base_url, key=key, secret=secret, forward_to=forward_to,
                        types=types, dialect=chosen, give_up_after=give_up_after)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        listener.run()
    except KeyboardInterrupt:
        listener.say(f"Stopped: {listener.forwarded} event(s) forwarded.")
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(_signum: int, _frame: Any) -> NoReturn:
    raise KeyboardInterrupt


def _resolve(url: str | None, api_key: str | None, db: str | None, key_file: Path | None) -> tuple[str, str]:
    """(key, server URL): as given, else the local database's test secret key and its server's URL."""
    from paykeep.testkit.commands import fail, local_test_key, open_runtime, settings

    if api_key:
        base = url or "http://127.0.0.1:8420"
    else:
        runtime = open_runtime(db, key_file)
        try:
            api_key = local_test_key(runtime)
        finally:
            runtime.close()
        base = url or settings(db, key_file).base_url
    if not base.startswith(("http://", "https://")):
        fail(f"--url must be an http:// or https:// URL, not {base!r}")
    return api_key, base.rstrip("/")


def _event_types(given: str | None) -> list[str]:
    from paykeep.domain.events import ALL, EVENT_TYPES
    from paykeep.testkit.commands import fail

    if not given:
        return []
    names = [name.strip() for name in given.split(",") if name.strip()]
    for name in names:
        if name != ALL and name not in EVENT_TYPES:
            close = difflib.get_close_matches(name, EVENT_TYPES, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            fail(f"--events: unknown event type {name!r}{hint}")
    return [] if ALL in names else list(dict.fromkeys(names))


class Refused(Exception):
    """The server refused the stream (a bad key, a bad parameter): reconnecting would not help."""


class Lost(Exception):
    """The server could not be reached, or broke off: reconnect."""


@dataclass
class Message:
    id: str | None = None
    event: str | None = None
    data: list[bytes] = field(default_factory=list)


@dataclass
class Listener:
    base_url: str
    key: str
    secret: str
    forward_to: str
    types: list[str]
    dialect: str | None
    give_up_after: float
    forwarded: int = 0
    last_id: str | None = None

    def __post_init__(self) -> None:
        from paykeep.testkit.http import opener

        self._opener = opener()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._ready = False

    # -- output ------------------------------------------------------------------------------------
    def say(self, line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def _stamp(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S")

    # -- the loop ----------------------------------------------------------------------------------
    def run(self) -> None:
        from paykeep.testkit.commands import fail

        delay = BACKOFF_START_S
        lost_since: float | None = None
        while True:
            try:
                resp = self._connect()
            except Refused as exc:
                fail(str(exc))
            except Lost as exc:
                now = time.monotonic()
                if lost_since is None:
                    lost_since = now
                    self.say(f"{self._stamp()}  {exc}; trying again (Ctrl-C to quit)")
                if self.give_up_after and now - lost_since >= self.give_up_after:
                    fail(f"{exc}; gave up after {self.give_up_after:g} s")
                time.sleep(delay)
                delay = min(BACKOFF_MAX_S, delay * 2)
                continue
            connected_at = time.monotonic()
            self._connected(resp, reconnected=lost_since is not None)
            lost_since = None
            try:
                self._follow(resp)
                why = "the server ended the stream"
            except (OSError, HTTPException) as exc:
                why = f"the stream broke off ({type(exc).__name__})"
            finally:
                resp.close()
            lost_since = time.monotonic()
            self.say(f"{self._stamp()}  {why}; reconnecting")
            if time.monotonic() - connected_at >= STEADY_S:
                delay = BACKOFF_START_S
            time.sleep(delay)
            delay = min(BACKOFF_MAX_S, delay * 2)

    def _connect(self) -> HTTPResponse:
        from paykeep.testkit.http import USER_AGENT, describe, encode_form

        url = self.base_url + STREAM_PATH
        if self.types:
            url += "?" + encode_form({"types": self.types}).decode()
        headers = {"Authorization": f"Bearer {self.key}", "Accept": "text/event-stream",
                   "Cache-Control": "no-cache", "User-Agent": USER_AGENT}
        if self.last_id:
            headers["Last-Event-ID"] = self.last_id
        if self.dialect:
            headers["Paykeep-Dialect"] = self.dialect
        try:
            resp: HTTPResponse = self._opener.open(urllib.request.Request(url, headers=headers),
                                                   timeout=READ_TIMEOUT_S)
        except urllib.error.HTTPError as err:
            with err:
                body = err.read()
            if err.code in (400, 401, 403, 404):
                raise Refused(_refusal(err.code, body, self.base_url)) from None
            raise Lost(f"{self.base_url} answered {err.code}") from None
        except (urllib.error.URLError, OSError, HTTPException) as exc:
            raise Lost(describe(url, exc)) from None
        if not resp.headers.get("content-type", "").startswith("text/event-stream"):
            resp.close()
            raise Refused(f"{self.base_url}{STREAM_PATH} is not an event stream: is it a paykeep server?")
        return resp

    def _connected(self, resp: HTTPResponse, *, reconnected: bool) -> None:
        self._dialect = (resp.headers.get("paykeep-dialect") or "wooshpay").strip().lower()
        if not self._ready:
            self._ready = True
            only = f" ({', '.join(self.types)})" if self.types else ""
            self.say(f"Ready! Forwarding the events{only} of {self.base_url} to {self.forward_to}, in the "
                     f"{self._dialect} dialect. Your webhook signing secret is {self.secret} "
                     "(Ctrl-C to quit)")
        elif reconnected:
            after = f" after {self.last_id}" if self.last_id else ""
            self.say(f"{self._stamp()}  reconnected to {self.base_url}; resuming{after}")

    def _follow(self, resp: HTTPResponse) -> None:
        for message in messages(resp):
            if message.event == "error":
                self.say(f"{self._stamp()}  the server: {b''.join(message.data).decode(errors='replace')}")
                return
            if message.id is None or not message.data:
                continue
            if message.id in self._seen:
                continue
            self._forward(message)
            self._remember(message.id)
            self.last_id = message.id

    def _remember(self, event_id: str) -> None:
        self._seen[event_id] = None
        while len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)

    # -- forwarding --------------------------------------------------------------------------------
    def _forward(self, message: Message) -> None:
        from paykeep.adapters.webhooks.signing import signature_headers
        from paykeep.domain.dialects import Dialect
        from paykeep.testkit.http import describe

        body = b"\n".join(message.data)
        header = Dialect(self._dialect).signature_header if self._dialect in ("stripe", "wooshpay") \
            else Dialect.WOOSHPAY.signature_header
        signature = signature_headers(self.secret, int(time.time()), body, header)
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "paykeep-listen",
                   **signature}
        self.say(f"{self._stamp()}   --> {message.event} [{message.id}]")
        request = urllib.request.Request(self.forward_to, data=body, method="POST", headers=headers)
        try:
            with self._opener.open(request, timeout=FORWARD_TIMEOUT_S) as resp:
                status = f"[{resp.status}]"
        except urllib.error.HTTPError as err:
            err.close()
            status = f"[{err.code}]"
        except (urllib.error.URLError, OSError, HTTPException) as exc:
            status = f"[ERR] {describe(self.forward_to, exc)}:"
        self.forwarded += 1
        self.say(f"{self._stamp()}  <--  {status} POST {self.forward_to} [{message.id}]")


def messages(resp: Any) -> Iterator[Message]:
    """The server-sent events of a response, as the EventSource spec reads them (fields `id`, `event`,
    `data`; comments and `retry` ignored); ends at the end of the stream."""
    current = Message()
    while True:
        line = resp.readline()
        if not line:
            return
        line = line.rstrip(b"\r\n")
        if not line:
            if current.data or current.id is not None:
                yield current
            current = Message()
            continue
        if line.startswith(b":"):
            continue
        name, _, value = line.partition(b":")
        value = value[1:] if value.startswith(b" ") else value
        if name == b"id":
            current.id = value.decode("utf-8", errors="replace")
        elif name == b"event":
            current.event = value.decode("utf-8", errors="replace")
        elif name == b"data":
            current.data.append(value)


def _refusal(status: int, body: bytes, base_url: str) -> str:
    try:
        message = json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = body[:200].decode("utf-8", errors="replace").strip() or "no message"
    if status == 404:
        return f"{base_url} has no event stream ({STREAM_PATH}: 404): is it a paykeep server of this version?"
    what = {401: "refused the API key", 403: "refused the API key (a secret key is needed)"}.get(
        status, "refused the request")
    return f"{base_url} {what} ({status}): {message}"
