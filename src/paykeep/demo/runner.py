"""`paykeep demo`: the seed guide end to end, narrated for a newcomer.

Against `--base-url`/`--key`, or against a server it starts itself (`paykeep serve` on a free 127.0.0.1 port,
on a database in a temporary directory that is removed afterwards). It starts a webhook receiver on 127.0.0.1,
subscribes it, saves a card without and with 3-D Secure (answering the challenge page over HTTP, no browser),
charges the saved cards off-session and on-session, and prints each request, the interesting part of each
response, the verified webhooks and a summary. Card numbers and CVCs are masked in everything it prints.

`--dialect stripe` runs the same guide with the official `stripe` Python package (stripe_sdk.py) in the Stripe
dialect; every request names its dialect (`Paykeep-Dialect`), so the account's default does not matter.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from rich.console import Console
from rich.table import Table

from paykeep.domain.money import format_amount
from paykeep.webhooks import SignatureVerificationError, construct_event

FRICTIONLESS_CARD = "4761344136141390"  # the seed's card (TEST_CARDS of the simulated network)
CHALLENGE_CARD = "4462030000000000"  # WooshPay's 3-D Secure test card (TEST_CARDS)
RETURN_URL = "https://yourwebsite.com/return"
WEBHOOK_WAIT_S = 20.0
SERVER_START_S = 60.0
# Settings of the caller's own paykeep that must not leak into the demo's server.
_FOREIGN_SETTINGS = ("PAYKEEP_MASTER_KEY", "PAYKEEP_PUBLIC_URL", "PAYKEEP_DATABASE_URL",
                     "PAYKEEP_CLOCK_OFFSET_MS", "PAYKEEP_DIALECT")


class DemoFailed(Exception):
    """A step did not answer as the guide says: the message says which and what came back."""


# -- the local webhook receiver ---------------------------------------------------------------------------
Verifier = Callable[[bytes, "str | None", str], "dict[str, Any] | None"]


def verify_wooshpay(body: bytes, signature: str | None, secret: str) -> dict[str, Any] | None:
    """The event, if `Wooshpay-Signature` verifies (paykeep's own helper, paykeep.webhooks)."""
    try:
        return construct_event(body, signature, secret)
    except SignatureVerificationError:
        return None


@dataclass
class WebhookReceiver:
    """POSTs to http://127.0.0.1:<port>/webhooks, verified with the endpoint secret once it is known: the
    signature `header` checked by `verify` (the WooshPay dialect's by default)."""

    secret: str | None = None
    header: str = "Wooshpay-Signature"
    verify: Verifier = verify_wooshpay
    events: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._raw: list[tuple[bytes, str | None]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver._raw.append((body, self.headers.get(receiver.header)))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"

    def verified(self) -> list[dict[str, Any]]:
        """Every delivery so far whose signature verifies, deduplicated on the event id (at-least-once)."""
        with self._lock:
            raw, self._raw = self._raw, []
        for body, signature in raw:
            event = self.verify(body, signature, self.secret or "")
            if event is None:
                self.rejected += 1
                continue
            if all(e["id"] != event["id"] for e in self.events):
                self.events.append(event)
        return self.events

    def wait_for(self, event_type: str, object_id: str,
                 timeout: float = WEBHOOK_WAIT_S) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.verified():
                if event["type"] == event_type and event["data"]["object"].get("id") == object_id:
                    return event
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- a server of its own ------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def own_server(console: Console, dialect: str = "wooshpay") -> Iterator[tuple[str, str]]:
    """`paykeep init` + `paykeep serve` on a temporary SQLite database, whose account speaks `dialect` by
    default; yields (base_url, test secret key)."""
    workdir = Path(tempfile.mkdtemp(prefix="paykeep-demo-"))
    port = _free_port()
    db = f"sqlite:///{workdir / 'paykeep.db'}"
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_SETTINGS}
    env["PAYKEEP_KEY_FILE"] = str(workdir / "paykeep.key")
    env.setdefault("PAYKEEP_WEBHOOK_RETRY_DELAYS", "1,2,5")
    base = [sys.executable, "-m", "paykeep"]
    proc: subprocess.Popen[bytes] | None = None
    log_path = workdir / "server.log"
    try:
        dialect_args = [] if dialect == "wooshpay" else ["--dialect", dialect]
        init = subprocess.run([*base, "init", "--json", "--db", db, *dialect_args], env=env, cwd=workdir,
                              capture_output=True, text=True, timeout=120)
        if init.returncode != 0:
            raise DemoFailed(f"`paykeep init` failed:\n{init.stderr[-2000:]}")
        key = json.loads(init.stdout)["test"]["secret_key"]
        base_url = f"http://127.0.0.1:{port}"
        with log_path.open("wb") as log:
            proc = subprocess.Popen([*base, "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db],
                                    env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
        console.print(f"[dim]Started paykeep on {base_url} (temporary database in {workdir})[/dim]")
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise DemoFailed(f"paykeep serve exited early:\n{tail}")
            try:
                if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() >= deadline:
                raise DemoFailed(f"paykeep serve did not answer /healthz within {SERVER_START_S:.0f} s")
            time.sleep(0.1)
        yield base_url, key
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        shutil.rmtree(workdir, ignore_errors=True)


# -- printing ---------------------------------------------------------------------------------------------
def _masked(value: Any) -> Any:
    """The request as printed: card numbers down to their last four, CVCs hidden."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "number" and isinstance(v, str):
                out[k] = "•••• " + v[-4:]
            elif k == "cvc":
                out[k] = "•••"
            else:
                out[k] = _masked(v)
        return out
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _pick(obj: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: obj.get(n) for n in names if n in obj}


class Demo:
    """The guide in the WooshPay dialect, over raw HTTP (httpx): each request is printed as it is sent.

    The narration and the checks live here; the requests are the methods under "the API", which the Stripe
    dialect's demo (stripe_sdk.StripeDemo) makes with the official SDK instead."""

    dialect = "wooshpay"
    currency = "USD"
    next_action = "challenge_redirect"  # the 3-D Secure next_action type, holding {url, return_url}
    verified_by = "signature verified"  # how a webhook was checked, as printed

    def __init__(self, console: Console, api: httpx.Client | None, receiver: WebhookReceiver) -> None:
        self.console = console
        self.api = api
        self.receiver = receiver
        self.step = 0
        self.cards: list[dict[str, Any]] = []
        self.payments: list[dict[str, Any]] = []
        self.customer: dict[str, Any] = {}
        self.webhooks_missing: list[str] = []
        self.endpoint_id: str | None = None

    def title(self, text: str, why: str) -> None:
        self.step += 1
        self.console.rule(f"[bold]Step {self.step}. {text}")
        self.console.print(f"[italic]{why}[/italic]")

    def show_request(self, line: str, body: dict[str, Any] | None) -> None:
        self.console.print(f"[cyan]→ {line}[/cyan]")
        if body is not None:
            self.console.print_json(json.dumps(_masked(body)))

    def show_response(self, status: int | str, data: dict[str, Any], show: tuple[str, ...]) -> None:
        shown = _pick(data, *show) if show else data
        self.console.print(f"[green]← {status}[/green]", json.dumps(shown, ensure_ascii=False))

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *, show: tuple[str, ...] = (),
             expect: int = 200) -> dict[str, Any]:
        assert self.api is not None
        self.show_request(f"{method} {path}", body)
        resp = self.api.request(method, path, json=body)
        data: dict[str, Any] = resp.json()
        if resp.status_code != expect:
            raise DemoFailed(f"{method} {path} answered {resp.status_code}: {json.dumps(data)[:800]}")
        self.show_response(resp.status_code, data, show)
        return data

    # -- the API (the Stripe demo overrides these) -----------------------------------------------------------
    def create_webhook_endpoint(self, params: dict[str, Any], show: tuple[str, ...]) -> dict[str, Any]:
        return self.call("POST", "/v1/webhook_endpoints", params, show=show)

    def create_customer(self, params: dict[str, Any], show: tuple[str, ...]) -> dict[str, Any]:
        return self.call("POST", "/v1/customers", params, show=show)

    def create_setup_intent(self, params: dict[str, Any], show: tuple[str, ...]) -> dict[str, Any]:
        return self.call("POST", "/v1/setup_intents", params, show=show)

    def retrieve_setup_intent(self, seti: str) -> dict[str, Any]:
        assert self.api is not None
        data: dict[str, Any] = self.api.get(f"/v1/setup_intents/{seti}").json()
        return data

    def list_payment_methods(self, customer: str, show: tuple[str, ...]) -> dict[str, Any]:
        return self.call("GET", f"/v1/customers/{customer}/payment_methods", show=show)

    def create_payment_intent(self, params: dict[str, Any], show: tuple[str, ...]) -> dict[str, Any]:
        return self.call("POST", "/v1/payment_intents", params, show=show)

    def retrieve_payment_intent(self, pi: str) -> dict[str, Any]:
        assert self.api is not None
        data: dict[str, Any] = self.api.get(f"/v1/payment_intents/{pi}").json()
        return data

    def delete_webhook_endpoint(self, endpoint: str, show: tuple[str, ...]) -> dict[str, Any]:
        return self.call("DELETE", f"/v1/webhook_endpoints/{endpoint}", show=show)

    def more_steps(self) -> None:
        """Steps of this dialect's demo before the clean-up (the WooshPay demo has none)."""

    def more_rows(self, table: Table) -> None:
        """Rows of this dialect's demo in the summary, after the payments."""

    # -- narration helpers -----------------------------------------------------------------------------------
    def challenge_url(self, intent: dict[str, Any]) -> str:
        action = intent.get("next_action") or {}
        if action.get("type") != self.next_action:
            raise DemoFailed(f"expected next_action.type {self.next_action}, got {json.dumps(action)[:400]}")
        url: str = action[self.next_action]["url"]
        return url

    def challenge(self, url: str) -> dict[str, list[str]]:
        self.console.print(f"[cyan]→ GET {url}[/cyan]  (the bank's page, shown to the cardholder)")
        page = httpx.get(url, timeout=30)
        if page.status_code != 200 or 'value="complete"' not in page.text:
            raise DemoFailed(f"the challenge page answered {page.status_code}")
        self.console.print("[cyan]→ POST[/cyan] outcome=complete  (the cardholder passes the challenge)")
        resp = httpx.post(url, data={"outcome": "complete"}, timeout=30, follow_redirects=False)
        if resp.status_code != 303:
            raise DemoFailed(f"answering the challenge gave {resp.status_code}, not a 303 redirect")
        location = resp.headers["location"]
        self.console.print(f"[green]← 303[/green] to {location.split('?')[0]}?…")
        query = parse_qs(urlsplit(location).query)
        self.console.print("   redirect_status =", query.get("redirect_status", ["?"])[0])
        return query

    def webhook(self, event_type: str, object_id: str) -> None:
        event = self.receiver.wait_for(event_type, object_id)
        if event is None:
            self.webhooks_missing.append(f"{event_type} {object_id}")
            self.console.print(f"[yellow]! no {event_type} for {object_id} arrived at {self.receiver.url} "
                               f"within {WEBHOOK_WAIT_S:.0f} s (can the server reach this machine?)[/yellow]")
            return
        obj = event["data"]["object"]
        self.console.print(f"[magenta]⚡ webhook {event['type']}[/magenta] {event['id']} "
                           f"({self.verified_by}): "
                           + json.dumps(_pick(obj, "id", "status", "customer", "payment_method")))

    # -- the guide ------------------------------------------------------------------------------------------
    def run(self) -> None:
        self.title("Subscribe a webhook endpoint",
                   "Webhooks are the source of truth: a local receiver gets every event, signed with the "
                   "secret.")
        endpoint = self.create_webhook_endpoint(
            {"url": self.receiver.url, "enabled_events": ["*"], "description": "paykeep demo"},
            show=("id", "url", "enabled_events", "status"))
        self.receiver.secret = endpoint["secret"]
        self.endpoint_id = endpoint["id"]

        self.title("Create a customer", "Cards are saved to a customer (POST /v1/customers).")
        self.customer = self.create_customer({"email": "jenny.rosen@example.com", "name": "Jenny Rosen"},
                                             show=("id", "email", "name"))
        cus = self.customer["id"]

        self.title("Save a card (frictionless)",
                   "The seed's SetupIntent: create and confirm with the card data in one request.")
        plain = self.create_setup_intent(self._setup_body(cus, FRICTIONLESS_CARD),
                                         show=("id", "status", "payment_method", "next_action"))
        self.webhook("setup_intent.succeeded", plain["id"])

        self.title("Save a card that needs 3-D Secure",
                   "The issuer wants the cardholder: the SetupIntent waits in requires_action with a "
                   "challenge URL.")
        seti = self.create_setup_intent(self._setup_body(cus, CHALLENGE_CARD),
                                        show=("id", "status", "next_action"))
        if seti["status"] != "requires_action":
            raise DemoFailed(f"expected requires_action, got {seti['status']}")

        self.title("Complete the challenge",
                   "The cardholder answers the bank's page and is sent back to return_url (no browser "
                   "needed here).")
        self.challenge(self.challenge_url(seti))
        self.webhook("setup_intent.succeeded", seti["id"])
        seti = self.retrieve_setup_intent(seti["id"])

        self.title("List the saved cards",
                   "GET /v1/customers/{id}/payment_methods: what you can charge later.")
        listed = self.list_payment_methods(cus, show=("object", "has_more"))
        self.cards = listed["data"]
        for card in self.cards:
            self.console.print(f"   {card['id']}  {card['card']['brand']} •••• {card['card']['last4']}")

        self.title("Charge the 3-D Secure card off-session",
                   "No cardholder present (off_session: true): the card saved with a challenge needs no "
                   "new one.")
        self._pay(cus, seti["payment_method"], off_session=True)

        self.title("Charge the other card on-session",
                   "The guide's step 4 with off_session: false (the customer is at checkout).")
        self._pay(cus, plain["payment_method"], off_session=False)

        self.more_steps()

        self.title("Clean up", "Delete the demo's webhook endpoint.")
        self.delete_webhook_endpoint(self.endpoint_id, show=("id", "deleted"))

    def _setup_body(self, customer: str, number: str) -> dict[str, Any]:
        card = {"exp_month": "04", "exp_year": "2034", "number": number, "cvc": "022", "name": "XX XXX"}
        return {"confirm": True, "customer": customer, "payment_method_types": ["card"],
                "payment_method_data": {"type": "card", "card": card},
                "usage": "on_session", "return_url": RETURN_URL}

    def _pay(self, customer: str, pm: str, *, off_session: bool) -> None:
        pi = self.create_payment_intent({
            "amount": 2500, "currency": self.currency, "confirm": True, "off_session": off_session,
            "customer": customer, "payment_method": pm, "return_url": RETURN_URL,
        }, show=("id", "status", "amount", "currency", "amount_received", "latest_charge", "next_action"))
        if pi["status"] == "requires_action":
            self.challenge(self.challenge_url(pi))
            pi = self.retrieve_payment_intent(pi["id"])
        self.payments.append(pi)
        self.webhook("payment_intent.succeeded", pi["id"])

    def summary(self) -> None:
        self.console.rule("[bold]Summary")
        table = Table(show_header=True, header_style="bold")
        table.add_column("What")
        table.add_column("Details")
        table.add_row("Customer", f"{self.customer.get('id')} ({self.customer.get('email')})")
        for card in self.cards:
            table.add_row("Saved card", f"{card['id']}  {card['card']['brand']} •••• {card['card']['last4']}")
        for pi in self.payments:
            amount = format_amount(pi["amount"], pi["currency"].upper())
            table.add_row("Payment",
                          f"{pi['id']}  {amount}  {pi['status']}  off_session={pi.get('off_session')}")
        self.more_rows(table)
        counts: dict[str, int] = {}
        for event in self.receiver.verified():
            counts[event["type"]] = counts.get(event["type"], 0) + 1
        table.add_row("Events received", "\n".join(f"{n} × {t}" for t, n in sorted(counts.items())) or "none")
        if self.receiver.rejected:
            table.add_row("Rejected deliveries", f"{self.receiver.rejected} (bad signature)")
        self.console.print(table)
