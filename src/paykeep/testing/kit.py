"""The pieces behind the pytest plugin (pytest_plugin.py), usable without pytest too: a `paykeep serve`
process for tests, fresh accounts on it, a local webhook receiver that checks signatures, and the answer to a
3-D Secure challenge over HTTP.

The standard library only (and `stripe`, imported when `.stripe` is first asked for): loading the plugin in a
test run that does not use it costs next to nothing, and nothing here imports paykeep's server code: the
server runs in its own process, reached over HTTP as a merchant's code reaches it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

DIALECTS = ("wooshpay", "stripe")
ACCOUNTS_PATH = "/v1/test_helpers/accounts"
TOKEN_ENV = "PAYKEEP_TEST_HELPERS_TOKEN"
START_TIMEOUT_S = 60.0  # a 2-core machine under load was seen taking >30 s for `paykeep serve` to answer
# Short webhook retries: a test that answers 500 sees the next attempt within a second, not in an hour.
RETRY_DELAYS = "0.1,0.2,0.5,1"
SIGNATURE_TOLERANCE_S = 300


class KitError(RuntimeError):
    """Something the test kit could not do (the server would not start, a request was refused)."""


# -- HTTP ------------------------------------------------------------------------------------------
class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 303 from the challenge page is the answer itself: nobody follows it to return_url


_OPENER = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(method: str, url: str, *, data: Mapping[str, Any] | None = None, bearer: str | None = None,
         headers: Mapping[str, str] | None = None, timeout: float = 30.0) -> Reply:
    """One request (form-encoded body, as the official SDKs send); any status comes back as a Reply."""
    body = encode_form(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if bearer is not None:
        request.add_header("Authorization", f"Bearer {bearer}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            headers_ = {k.lower(): v for k, v in response.headers.items()}
            return Reply(response.status, headers_, response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


def encode_form(data: Mapping[str, Any], prefix: str = "") -> str:
    """Stripe's form encoding: `a[b]=1`, lists as `list[0]=x&list[1]=y` (as stripe-python sends them)."""
    parts: list[str] = []

    def add(key: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for inner, item in value.items():
                add(f"{key}[{inner}]", item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                add(f"{key}[{index}]", item)
        elif isinstance(value, bool):
            parts.append(f"{quote(key)}={'true' if value else 'false'}")
        elif value is not None:
            parts.append(f"{quote(key)}={quote(str(value), safe='')}")

    for name, value in data.items():
        add(f"{prefix}[{name}]" if prefix else str(name), value)
    return "&".join(parts)


# -- the server ------------------------------------------------------------------------------------
def free_port() -> int:
    """A loopback port parked in TIME_WAIT, so that no other `bind(("127.0.0.1", 0))` is handed it for about a
    minute while `paykeep serve` (SO_REUSEADDR) can take it at once (as tests/support/server.py does)."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        address = listener.getsockname()
        with socket.create_connection(address, timeout=5) as client:
            accepted, _ = listener.accept()
            accepted.close()
            client.recv(1)
        return int(address[1])


class ServerProcess:
    """`paykeep serve --test-helpers` on 127.0.0.1, a free port, a fresh SQLite database and master key in a
    temporary directory of its own, short webhook retry delays. `launch()` returns at once; `wait_ready()`
    returns when the server answers (GET /healthz). PAYKEEP_* variables of the caller's environment are not
    passed on (they would point the server at another database); `env` adds to what is."""

    def __init__(self, *, dialect: str | None = None, label: str = "", env: Mapping[str, str] | None = None,
                 python: str = sys.executable) -> None:
        if dialect is not None and dialect not in DIALECTS:
            raise KitError(f"unknown dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
        self.dialect = dialect
        self.token = "pkth_" + secrets.token_urlsafe(24)
        self.dir = Path(tempfile.mkdtemp(prefix=f"paykeep-{label or 'server'}-"))
        self.log_path = self.dir / "server.log"
        self.extra_env = dict(env or {})
        self.python = python
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.url = ""
        self.launched_at = 0.0  # time.perf_counter() when the process was started
        self.ready_at: float | None = None
        self._attempts = 0

    @property
    def cold_start_s(self) -> float | None:
        """From starting the process to its first answered request."""
        return None if self.ready_at is None else self.ready_at - self.launched_at

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAYKEEP_")}
        env.update({
            "PAYKEEP_DATABASE_URL": f"sqlite:///{self.dir / 'paykeep.db'}",
            "PAYKEEP_KEY_FILE": str(self.dir / "paykeep.key"),
            TOKEN_ENV: self.token,
            "PAYKEEP_WEBHOOK_RETRY_DELAYS": RETRY_DELAYS,
            "PAYKEEP_WEBHOOK_TIMEOUT": "5",
            "PAYKEEP_WORKER_POLL_INTERVAL": "0.05",
            "PAYKEEP_SQLITE_SYNCHRONOUS": "OFF",  # a throwaway database: no fsync per commit
            "PAYKEEP_LOG_LEVEL": "warning",
        })
        env.update(self.extra_env)
        return env

    def launch(self) -> ServerProcess:
        self._attempts += 1
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [self.python, "-m", "paykeep", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--test-helpers"]
        if self.dialect is not None:
            args += ["--dialect", self.dialect]
        with self.log_path.open("ab") as log:
            self.launched_at = time.perf_counter()
            self.proc = subprocess.Popen(args, env=self._env(), cwd=self.dir, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> ServerProcess:
        """Poll until GET /healthz answers 200 (every 10 ms, at most `timeout` s). A port someone took in
        between (the server exits saying it cannot listen) is tried again on another port, twice."""
        if self.ready_at is not None:
            return self
        if self.proc is None:
            self.launch()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                if "cannot listen on" in self.logs() and self._attempts < 3:
                    self.launch()
                    continue
                raise KitError(f"paykeep serve exited ({self.proc.returncode}) before answering; its log "
                               f"({self.log_path}):\n{self._tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
                if http("GET", self.url + "/healthz", timeout=5).status == 200:
                    self.ready_at = time.perf_counter()
                    return self
            except OSError:
                pass
            time.sleep(0.01)
        self.stop(keep_files=True)
        raise KitError(f"paykeep serve did not answer within {timeout:.0f} s; its log ({self.log_path}):\n"
                       f"{self._tail()}")

    def stop(self, *, keep_files: bool = False) -> None:
        """SIGTERM (in-flight requests and webhook deliveries finish), SIGKILL after 15 s; the temporary
        directory goes unless `keep_files`."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        if not keep_files:
            shutil.rmtree(self.dir, ignore_errors=True)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _tail(self, lines: int = 40) -> str:
        return "\n".join(self.logs().splitlines()[-lines:])


@dataclass
class PaykeepServer:
    """A paykeep a test suite talks to: `url`, and `create_account()` through its test helpers."""

    url: str
    token: str
    dialect: str | None = None  # the dialect new accounts get (None: the server's first account's)
    process: ServerProcess | None = None  # None: an external server (--paykeep-url)
    fixture_wait_s: float | None = None  # what the paykeep_server fixture waited for it to answer

    @property
    def api_url(self) -> str:
        return self.url + "/v1"

    def create_account(self, *, name: str | None = None, dialect: str | None = None) -> PaykeepAccount:
        """A fresh isolated account with its own four keys (POST /v1/test_helpers/accounts)."""
        params = {"name": name, "dialect": dialect or self.dialect}
        reply = http("POST", self.url + ACCOUNTS_PATH, data=params, bearer=self.token)
        if reply.status == 404:
            raise KitError(f"{self.url} has no test helpers: start it with `paykeep serve --test-helpers` "
                           "(or PAYKEEP_TEST_HELPERS=1)")
        if reply.status != 200:
            raise KitError(f"POST {ACCOUNTS_PATH} answered {reply.status}: {reply.body[:500]!r}"
                           + (" (the token: --paykeep-token or PAYKEEP_TEST_HELPERS_TOKEN)"
                              if reply.status == 401 else ""))
        body = reply.json()
        return PaykeepAccount(
            id=body["id"], url=self.url, dialect=body["dialect"],
            secret_key=body["test"]["secret_key"], publishable_key=body["test"]["publishable_key"],
            live_secret_key=body["live"]["secret_key"], live_publishable_key=body["live"]["publishable_key"])


@dataclass
class PaykeepAccount:
    """One fresh account: its test keys (`secret_key`, `publishable_key`), its live ones, its `dialect`."""

    id: str
    url: str
    dialect: str
    secret_key: str = field(repr=False)
    publishable_key: str = field(repr=False)
    live_secret_key: str = field(repr=False)
    live_publishable_key: str = field(repr=False)
    _stripe: Any = field(default=None, repr=False)

    @property
    def stripe(self) -> Any:
        """A `stripe.StripeClient` for this account's test secret key, pointed at paykeep (the official
        `stripe` package must be installed). Responses are in the account's dialect: Stripe's objects with
        `--paykeep-dialect stripe`."""
        if self._stripe is None:
            try:
                import stripe
            except ImportError as exc:
                raise KitError("paykeep_account.stripe needs the official stripe package: "
                               "pip install stripe") from exc
            self._stripe = stripe.StripeClient(self.secret_key, base_addresses={"api": self.url},
                                               max_network_retries=0)
        return self._stripe

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None, *,
                key: str | None = None, headers: Mapping[str, str] | None = None) -> Reply:
        """A raw API call with this account's test secret key (or `key`): `request("POST", "/v1/customers",
        {"email": …})`. Parameters go in the query for GET and DELETE."""
        url = self.url + path
        if method.upper() in ("GET", "DELETE") and params:
            url += "?" + encode_form(params)
            params = None
        return http(method.upper(), url, data=params, bearer=key or self.secret_key, headers=headers)

    def answer_challenge(self, intent: Any, outcome: str = "complete") -> Reply:
        """Answer an intent's 3-D Secure challenge as the cardholder would, over HTTP: POST `outcome=complete`
        (or `fail`) to its challenge URL. `intent`: the intent as returned (a dict or a stripe object) or the
        URL itself. The answer is a 303 to the intent's return_url (not followed), or 200 without one."""
        if outcome not in ("complete", "fail"):
            raise KitError("outcome is complete or fail")
        return http("POST", challenge_url(intent), data={"outcome": outcome})


def challenge_url(intent: Any) -> str:
    """The 3-D Secure challenge URL of an intent in `requires_action`, in either dialect's next_action
    (`redirect_to_url.url`, `challenge_redirect.url`, `use_stripe_sdk.stripe_js`)."""
    if isinstance(intent, str):
        return intent
    if callable(getattr(intent, "to_dict", None)):  # a stripe object
        intent = intent.to_dict()
    action = intent.get("next_action") or {}
    kind = action.get("type")
    if kind in ("redirect_to_url", "challenge_redirect"):
        return str(action[kind]["url"])
    if kind == "use_stripe_sdk":
        return str(action["use_stripe_sdk"]["stripe_js"])
    raise KitError(f"no 3-D Secure challenge to answer: status {intent.get('status')!r}, "
                   f"next_action {kind!r}")


# -- webhooks --------------------------------------------------------------------------------------
def verify_signature(body: bytes, header: str | None, secret: str, *,
                     tolerance: float | None = SIGNATURE_TOLERANCE_S, now: float | None = None) -> bool:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (Wooshpay-Signature or Stripe-Signature),
    any of several v1 values, compared in constant time, with `t` no further than `tolerance` from now."""
    if not header:
        return False
    items = [part.partition("=") for part in header.split(",")]
    stamps = [value for name, _, value in items if name.strip() == "t"]
    signatures = [value.strip() for name, _, value in items if name.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not signatures:
        return False
    stamp = int(stamps[0].strip())
    if tolerance is not None and abs((now if now is not None else time.time()) - stamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), str(stamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value) for value in signatures)


class WebhookInbox:
    """A receiver on 127.0.0.1 (its own thread) for one webhook endpoint: every delivery whose signature
    verifies with `secret` is kept (`events`: the parsed events, once per event id, in arrival order;
    `deliveries`: every attempt, parsed; `raw`: every attempt as received, `{"path", "headers", "body"}`);
    others are answered 400 and kept in `rejected`. `reply_status` (200) is what verified deliveries are
    answered with: 500 makes paykeep retry (after the plugin's short delays)."""

    def __init__(self) -> None:
        self.secret = ""
        self.endpoint_id = ""
        self.events: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.raw: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.reply_status = 200
        self._seen: set[str] = set()
        self._handed_out: set[int] = set()
        self._changed = threading.Condition()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                inbox._receive(self.path, dict(self.headers.items()), self.rfile.read(length), self)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"
        self._thread = threading.Thread(target=self._server.serve_forever, name="paykeep-webhooks",
                                        daemon=True)
        self._thread.start()

    def _receive(self, path: str, headers: dict[str, str], body: bytes,
                 handler: BaseHTTPRequestHandler) -> None:
        lower = {k.lower(): v for k, v in headers.items()}
        signature = lower.get("stripe-signature") or lower.get("wooshpay-signature")
        record: dict[str, Any] = {"path": path, "headers": headers, "body": body}
        verified = bool(self.secret) and verify_signature(body, signature, self.secret)
        with self._changed:  # kept before it is answered: whoever got the answer finds it here
            status = self.reply_status if verified else 400
            if not verified:
                self.rejected.append(record)
            else:
                event = json.loads(body)
                self.raw.append(record)
                self.deliveries.append(event)
                if event.get("id") not in self._seen:
                    self._seen.add(event.get("id"))
                    self.events.append(event)
            self._changed.notify_all()
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def subscribe(self, account: PaykeepAccount, events: Iterable[str] = ("*",)) -> WebhookInbox:
        """Make the account's webhook endpoint for this receiver (every event by default); its secret is
        the one signatures are checked with."""
        reply = account.request("POST", "/v1/webhook_endpoints",
                                {"url": self.url, "enabled_events": list(events),
                                 "description": "paykeep_webhooks (pytest)"})
        if reply.status != 200:
            raise KitError(f"creating the webhook endpoint answered {reply.status}: {reply.body[:500]!r}")
        body = reply.json()
        self.secret, self.endpoint_id = body["secret"], body["id"]
        return self

    @property
    def types(self) -> list[str]:
        with self._changed:
            return [str(e.get("type")) for e in self.events]

    def wait_for(self, type: str, timeout: float = 5.0, *, object_id: str | None = None,  # noqa: A002
                 where: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
        """The first event of `type` (and `data.object.id == object_id`, and `where(event)`) that no
        earlier wait_for returned, waiting for it up to `timeout` seconds (woken by each delivery, no
        polling); AssertionError naming what did arrive if none does."""

        def match() -> dict[str, Any] | None:
            for index, event in enumerate(self.events):
                if index in self._handed_out or event.get("type") != type:
                    continue
                obj = (event.get("data") or {}).get("object") or {}
                if object_id is not None and obj.get("id") != object_id:
                    continue
                if where is not None and not where(event):
                    continue
                self._handed_out.add(index)
                return event
            return None

        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = match()
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    wanted = type + (f" for {object_id}" if object_id else "")
                    raise AssertionError(
                        f"no {wanted} webhook within {timeout:g} s; received: "
                        f"{[e.get('type') for e in self.events] or 'nothing'}"
                        + (f"; {len(self.rejected)} delivery(ies) refused: bad signature"
                           if self.rejected else ""))
                self._changed.wait(remaining)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def unsubscribe(account: PaykeepAccount, inbox: WebhookInbox) -> None:
    """Delete the receiver's endpoint (best effort: the server may be gone already)."""
    if inbox.endpoint_id:
        with contextlib.suppress(OSError):
            account.request("DELETE", f"/v1/webhook_endpoints/{inbox.endpoint_id}")
