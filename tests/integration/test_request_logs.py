"""Request logs on a running server: a 402 and a 400 recorded with their request ids, account, mode, key and
object ids; no card number, CVC or secret stored whatever the request sent (JSON, form, query; 200, 400 and
402); `paykeep logs tail` (--status 4xx, --object, --json, --follow); nothing recorded with
PAYKEEP_REQUEST_LOGS=0; what is buffered written on shutdown; records purged after 7 days, by the service on
an injected clock and by the timed jobs of a server whose clock runs 8 days ahead."""

from __future__ import annotations

import contextlib
import json
import queue
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import MetaData, select

from paykeep.services import request_logs
from paykeep.services.request_logs import RequestLog
from support.cards import luhn_complete, post, standalone
from support.receiver import wait_until
from support.runtime import manual_runtime, open_runtime
from support.server import PaykeepServer

DAY_MS = 24 * 3600 * 1000
DECLINED = "4000000000000002"
CVC3, CVC4 = "947", "8361"
CUS = "cus_2128537421620584448"


def sentinel_visa(rng: random.Random) -> str:
    """A Luhn-valid Visa number outside the test-card table (so it goes through), ending in no CVC."""
    while True:
        number = luhn_complete("4" + "".join(rng.choice("0123456789") for _ in range(14)))
        if not number.endswith((CVC3, CVC4)):
            return number


def logged(server: PaykeepServer, *request_ids: str) -> dict[str, dict[str, Any]]:
    """The stored records of these requests (those written so far), by request id."""
    with open_runtime(server) as runtime, runtime.deps.begin(write=False) as uow:
        return {row["id"]: row for row in uow.request_logs.find(None, id__in=list(request_ids))}


def wait_logged(server: PaykeepServer, *request_ids: str) -> list[dict[str, Any]]:
    """The records of these requests, once the flusher has written them (bounded: it runs every 200 ms)."""

    def complete() -> dict[str, dict[str, Any]] | None:
        found = logged(server, *request_ids)
        return found if len(found) == len(set(request_ids)) else None

    rows = wait_until(complete, timeout=30, interval=0.1)
    return [rows[request_id] for request_id in request_ids]


def table_text(server: PaykeepServer) -> str:
    """Every value of the request log tables, as text."""
    with open_runtime(server) as runtime:
        return table_text_of(runtime.db.engine)


def table_text_of(engine: Any) -> str:
    meta = MetaData()
    meta.reflect(engine, only=["request_logs", "request_log_objects"])
    with engine.connect() as conn:
        return "\n".join(str(value) for table in meta.sorted_tables
                         for row in conn.execute(select(table)) for value in row)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    server = PaykeepServer(tmp_path_factory.mktemp("request-logs")).start()
    yield server
    server.close()


@pytest.fixture
def api(srv: PaykeepServer) -> Iterator[httpx.Client]:
    with srv.client() as client:
        yield client


def customer(api: httpx.Client) -> str:
    made = api.post("/v1/customers", data={"email": f"{uuid.uuid4().hex[:8]}@example.com"})
    assert made.status_code == 200, made.text
    return str(made.json()["id"])


def test_a_402_and_a_400_appear_with_their_request_ids(srv: PaykeepServer, api: httpx.Client) -> None:
    cus = customer(api)
    key = uuid.uuid4().hex
    declined = api.post("/v1/payment_intents", headers={"Idempotency-Key": key}, json={
        "amount": 1500, "currency": "usd", "confirm": True, "customer": cus,
        "payment_method_data": {"type": "card", "card": {"number": DECLINED, "exp_month": 4, "exp_year": 2036,
                                                         "cvc": CVC3}}})
    assert declined.status_code == 402, declined.text
    intent = declined.json()["error"]["payment_intent"]
    missing = api.post("/v1/payment_intents", data={"currency": "usd", "customer": cus})
    assert missing.status_code == 400, missing.text
    read = api.get(f"/v1/payment_intents/{intent['id']}")

    ids = [r.headers["request-id"] for r in (declined, missing, read)]
    row402, row400, row200 = wait_logged(srv, *ids)
    for row in (row402, row400, row200):
        assert row["account_id"] == srv.keys["account"] and row["livemode"] is False
        assert row["dialect"] == "wooshpay" and 0 < row["latency_ms"] < 30_000
        assert abs(row["created"] - time.time() * 1000) < 120_000
    assert (row402["method"], row402["path"], row402["status"], row402["idempotency_key"]) == (
        "POST", "/v1/payment_intents", 402, key)
    card = declined.json()["error"]["payment_method"]["id"]
    assert {intent["id"], cus, card} <= set(row402["object_ids"].split())
    stored = json.loads(row402["response_body"])["error"]
    assert (stored["code"], stored["payment_intent"]["id"]) == ("card_declined", intent["id"])
    assert (row400["status"], row400["idempotency_key"], row400["object_ids"]) == (400, None, cus)
    assert json.loads(row400["params"]) == {"currency": "usd", "customer": cus}
    assert json.loads(row400["response_body"])["error"]["param"] == "amount"
    assert (row200["method"], row200["status"]) == ("GET", 200)
    assert row200["path"] == f"/v1/payment_intents/{intent['id']}"
    assert intent["id"] in row200["object_ids"].split()
    assert "_secret_[redacted]" in row200["response_body"]  # the intent's client secret, masked
    assert read.json()["client_secret"].split("_secret_")[1] not in table_text(srv)


def test_no_card_number_cvc_or_secret_is_stored(srv: PaykeepServer, api: httpx.Client) -> None:
    rng = random.Random()
    visa, other = sentinel_visa(rng), sentinel_visa(rng)
    cus = customer(api)
    good = {"number": visa, "exp_month": 7, "exp_year": 2031, "cvc": CVC3}
    sent: list[httpx.Response] = []
    for encoding in ("json", "form"):
        sent += [
            # 200: saved, and charged
            post(api, "/v1/setup_intents", {"confirm": True, "customer": cus,
                                            "payment_method_data": {"type": "card", "card": good}}, encoding),
            post(api, "/v1/payment_methods", {"type": "card", "card": {**good, "number": other}},
                 encoding),
            # 402: a card error about the sentinel card, a decline about a test card with the sentinel CVC
            post(api, "/v1/payment_intents", {"amount": 900, "currency": "usd", "confirm": True,
                                              "payment_method_data": {"type": "card", "card": {
                                                  **good, "exp_month": 13}}}, encoding),
            post(api, "/v1/payment_intents", {"amount": 900, "currency": "usd", "confirm": True,
                                              "payment_method_data": {"type": "card", "card": {
                                                  **good, "number": DECLINED, "cvc": CVC4}}}, encoding),
            # 400: unknown parameters around the card data, and the card where no card belongs
            post(api, "/v1/payment_methods", {"type": "card", "card": {**good, "pin": visa}}, encoding),
            post(api, "/v1/customers", {"email": "x@example.com", "card": good, "cvc": CVC3}, encoding),
            post(api, "/v1/payment_intents", {"amount": visa, "currency": "usd"}, encoding),
        ]
    sent.append(api.get("/v1/customers", params={"card[number]": visa, "card[cvc]": CVC4}))
    sent.append(api.post("/v1/payment_methods", content=f'{{"type":"card","card":{{"number":"{visa}"',
                         headers={"Content-Type": "application/json"}))  # broken JSON: no parameters at all
    hook = api.post("/v1/webhook_endpoints", data={"url": "https://shop.example/hooks",
                                                   "enabled_events[]": ["customer.created"]})
    sent.append(hook)
    statuses = sorted({r.status_code for r in sent})
    assert statuses == [200, 400, 402], [(r.status_code, r.text[:80]) for r in sent]

    rows = wait_logged(srv, *[r.headers["request-id"] for r in sent])
    text = table_text(srv)
    for number in (visa, other, DECLINED):
        assert number not in text and number[:12] not in text, f"card number ••••{number[-4:]} stored"
    for cvc in (CVC3, CVC4):
        found = standalone(cvc).search(text)
        assert found is None, f"CVC {cvc} stored: …{text[max(0, found.start() - 60):found.end() + 20]!r}…"
    secret = hook.json()["secret"]
    assert secret.startswith("whsec_") and secret.removeprefix("whsec_") not in text
    assert "whsec_[redacted]" in rows[-1]["response_body"]
    for row in rows:
        params = json.loads(row["params"]) if row["params"] else {}
        assert "cvc" not in json.dumps(params)
        card = params.get("card") or params.get("payment_method_data", {}).get("card") or {}
        assert "number" not in card
    assert json.loads(rows[0]["params"])["payment_method_data"]["card"] == {"exp_month": 7, "exp_year": 2031}
    assert f'"last4":"{other[-4:]}"' in rows[1]["response_body"]  # the card's last four, as the API shows


def run_tail(server: PaykeepServer, *args: str) -> subprocess.CompletedProcess[str]:
    return server.cli("logs", "tail", *args, check=False)


def test_logs_tail_prints_only_what_the_filters_ask(srv: PaykeepServer, api: httpx.Client) -> None:
    cus = customer(api)
    bad = api.post(f"/v1/customers/{cus}", data={"nonsense": "1"})
    missing = api.get("/v1/customers/cus_0000000000000000000")
    fine = api.get(f"/v1/customers/{cus}")
    assert (bad.status_code, missing.status_code, fine.status_code) == (400, 404, 200)
    wait_logged(srv, *[r.headers["request-id"] for r in (bad, missing, fine)])

    done = run_tail(srv, "--status", "4xx", "--limit", "1000")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    statuses = [line.split()[2] for line in lines]
    assert lines and all(s.startswith("4") and len(s) == 3 for s in statuses), done.stdout
    assert bad.headers["request-id"] in done.stdout and missing.headers["request-id"] in done.stdout
    assert fine.headers["request-id"] not in done.stdout

    exact = run_tail(srv, "--status", "404", "--json", "--limit", "1000")
    records = [json.loads(line) for line in exact.stdout.splitlines()]
    assert records and {r["status"] for r in records} == {404}
    assert missing.headers["request-id"] in {r["id"] for r in records}

    about = run_tail(srv, "--object", cus, "--json")
    ids = [json.loads(line)["id"] for line in about.stdout.splitlines()]
    assert len(ids) == 3 and ids[1:] == [bad.headers["request-id"], fine.headers["request-id"]]  # + created
    assert ids == sorted(ids)  # oldest first, as a tail

    wrong = run_tail(srv, "--status", "4x")
    assert wrong.returncode == 2 and "Invalid status" in wrong.stderr and wrong.stdout == ""


def test_logs_tail_follow_prints_new_requests_and_ends_on_ctrl_c(srv: PaykeepServer,
                                                                  api: httpx.Client) -> None:
    wait_logged(srv, customer_request(api))  # so that there is a last one to print first
    proc = subprocess.Popen([sys.executable, "-m", "paykeep", "logs", "tail", "--follow", "--interval", "0.1",
                             "--path", "/v1/customers", "--limit", "1"], env=srv.env, cwd=srv.dir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or ()], daemon=True).start()
    try:
        wait_until(lambda: lines.qsize() >= 1, timeout=60)  # the last one so far: it is running
        while not lines.empty():
            lines.get()
        first, second = customer_request(api), customer_request(api)
        seen: list[str] = []
        deadline = time.monotonic() + 20
        while not {first, second} <= {line.split()[5] for line in seen} and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                seen.append(lines.get(timeout=1))
        assert {first, second} <= {line.split()[5] for line in seen}, seen
        assert all(line.split()[4].startswith("/v1/customers") for line in seen), seen
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")


def customer_request(api: httpx.Client) -> str:
    made = api.post("/v1/customers", data={"email": "follow@example.com"})
    assert made.status_code == 200
    return made.headers["request-id"]


def test_off_on_shutdown_and_7_days_later_on_a_running_server(tmp_path: Path) -> None:
    """One server, restarted: with PAYKEEP_REQUEST_LOGS=0 nothing is recorded; on, a stop right after the
    requests loses none of them (the buffer is written on the way out); 7 days later the timed jobs purge
    them and keep the new day's."""
    server = PaykeepServer(tmp_path / "lifecycle", env={"PAYKEEP_REQUEST_LOGS": "0",
                                                        "PAYKEEP_TIMED_JOBS_INTERVAL": "0.2"}).start()
    try:
        with server.client() as api:
            cus = customer(api)
        server.stop()  # a graceful stop: a buffer, were there one, would be written now
        assert table_text(server) == ""

        server.env["PAYKEEP_REQUEST_LOGS"] = "1"
        server.start()
        with server.client() as api:
            old = [api.get(f"/v1/customers/{cus}", params={"expand[]": "default_source"} if n % 2 else {})
                   .headers["request-id"] for n in range(25)]
        server.stop()  # at once: what the flusher had not written yet is written on the way out
        with open_runtime(server) as runtime, runtime.deps.begin(write=False) as uow:
            assert {r["id"] for r in uow.request_logs.find(None)} == set(old)

        server.env["PAYKEEP_CLOCK_OFFSET_MS"] = str(7 * DAY_MS + 3600_000)  # the same server, 7 days later
        server.start()
        with server.client() as api:
            new = api.get(f"/v1/customers/{cus}").headers["request-id"]
        wait_logged(server, new)
        wait_until(lambda: not logged(server, *old), timeout=30, interval=0.2)
        with open_runtime(server) as runtime, runtime.deps.begin(write=False) as uow:
            assert [r["id"] for r in uow.request_logs.find(None, object_id=cus)] == [new]
    finally:
        server.close()


def test_records_go_after_7_days_on_an_injected_clock(database_url: str, tmp_path: Path) -> None:
    with manual_runtime(database_url, tmp_path) as (runtime, clock, caller):
        log = RequestLog(runtime.deps)
        for n, path in enumerate([f"/v1/customers/{CUS}", "/v1/customers", "/v1/payment_intents"]):
            scope = {"method": "GET", "path": path, "headers": [], "state": {"caller": caller}}
            log.finish(log.begin(scope), scope, 200, 0.0, f"req_{2128537421306011648 + n}")  # type: ignore[arg-type]
            clock.advance(1000)
        assert log.flush() == 3
        clock.advance(request_logs.RETENTION_MS - 3000)
        assert request_logs.purge_expired(runtime.deps) == 0  # the first is exactly 7 days old: kept
        clock.advance(1001)
        assert request_logs.purge_expired(runtime.deps, batch=1, max_batches=5) == 2
        with runtime.deps.begin(write=False) as uow:
            assert [r["path"] for r in uow.request_logs.find(None)] == ["/v1/payment_intents"]
            assert uow.request_logs.count(None, object_id=CUS) == 0
        assert CUS not in table_text_of(runtime.db.engine)  # its request_log_objects row went too
