"""`paykeep listen --forward-to URL` (API.md §11), run as a user runs it: a real `paykeep listen` process
following a real server's event stream and POSTing each event to a receiver, signed with the secret it
printed; through a server restart nothing is lost; a wrong key or an unknown event type is one line on stderr
and exit status 2; Ctrl-C ends it quietly."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from paykeep.webhooks import construct_event
from support.receiver import Receiver, wait_until
from support.server import PaykeepServer

READY_TIMEOUT_S = 90.0
RECEIVE_TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    server = PaykeepServer(tmp_path_factory.mktemp("listen")).start()
    yield server
    server.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver()
    yield got
    got.close()


class Listening:
    """A `paykeep listen` process whose output is read line by line as it comes."""

    def __init__(self, srv: PaykeepServer, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "paykeep", "listen", *args], env=srv.env,
                                     cwd=srv.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.ended = threading.Event()  # its stdout is closed: every line is in `lines`
        assert self.proc.stdout is not None
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))
        self.ended.set()

    def wait_for(self, pattern: str, timeout: float = READY_TIMEOUT_S) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.ended.is_set() and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"no line matching {pattern!r}; got {self.seen}; stderr: {self.stderr()}")

    def secret(self) -> str:
        return self.wait_for(r"Ready! .* signing secret is (whsec_\w+)").group(1)

    def interrupt(self) -> tuple[int, str]:
        """Ctrl-C: its exit status and what it wrote on stderr."""
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(30)
        return code, self.stderr()

    def stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        return self.proc.stderr.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def listening() -> Iterator[list[Listening]]:
    started: list[Listening] = []
    yield started
    for item in started:
        item.close()


def customer(srv: PaykeepServer) -> str:
    resp = httpx.post(srv.base_url + "/v1/customers", auth=(srv.sk, ""), data={"email": "l@example.com"},
                      timeout=30)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["id"])


def event_of(srv: PaykeepServer, object_id: str, event_type: str = "customer.created") -> dict[str, Any]:
    resp = httpx.get(srv.base_url + "/v1/events", auth=(srv.sk, ""), timeout=30,
                     params={"limit": 100, "type": event_type})
    found = [e for e in resp.json()["data"] if e["data"]["object"]["id"] == object_id]
    assert len(found) == 1, found
    return dict(found[0])


def paykeep(srv: PaykeepServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "paykeep", *args], env=srv.env, cwd=srv.dir,
                          capture_output=True, text=True, timeout=120, check=False)


def test_forwards_each_event_signed_with_the_printed_secret(srv: PaykeepServer, receiver: Receiver,
                                                            listening: list[Listening]) -> None:
    printed = paykeep(srv, "listen", "--print-secret")  # the local database's key, as `listen` below
    assert printed.returncode == 0, printed.stderr
    secret = printed.stdout.strip()
    assert re.fullmatch(r"whsec_\w{32,}", secret), printed.stdout
    woosh = Listening(srv, "--forward-to", receiver.url, "--url", srv.base_url)
    listening.append(woosh)
    assert woosh.secret() == secret  # --print-secret said which one this listen would use
    # the Stripe dialect, for one event type only, with the key given
    stripe_receiver = Receiver()
    try:
        strip = Listening(srv, "--forward-to", stripe_receiver.url, "--url", srv.base_url,
                          "--api-key", srv.sk, "--dialect", "stripe", "--events", "customer.created")
        listening.append(strip)
        assert strip.secret() == secret  # same key, same secret

        made = customer(srv)
        httpx.delete(srv.base_url + f"/v1/customers/{made}", auth=(srv.sk, ""), timeout=30)
        created = event_of(srv, made)
        got = receiver.wait_for(lambda reqs: len(reqs) >= 2, timeout=RECEIVE_TIMEOUT_S)
        first = got[0]
        assert first.path == "/hooks"
        event = construct_event(first.body, first.headers.get("Wooshpay-Signature"), secret)
        assert event["id"] == created["id"] and event["type"] == "customer.created"
        assert event["data"] == created["data"] and event["created"] == created["created"]  # ms, as stored
        assert json.loads(got[1].body)["type"] == "customer.deleted"
        woosh.wait_for(r"<--  \[200\] POST " + re.escape(receiver.url) + r" \[" + created["id"] + r"\]")

        got_stripe = stripe_receiver.wait_for(lambda reqs: len(reqs) >= 1, timeout=RECEIVE_TIMEOUT_S)
        request = got_stripe[0]
        assert "Wooshpay-Signature" not in request.headers
        verified = stripe.Webhook.construct_event(request.body.decode(), request.headers["Stripe-Signature"],
                                                  secret)
        assert verified["id"] == created["id"] and verified["type"] == "customer.created"
        assert verified["created"] == created["created"] // 1000 and verified["api_version"] == "2024-06-20"
        strip.wait_for(r"<--  \[200\]")
        assert len(stripe_receiver.snapshot()) == 1  # customer.deleted is not among its --events
    finally:
        stripe_receiver.close()
    for item in listening:
        code, stderr = item.interrupt()
        assert code == 0, stderr
        assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
        item.wait_for(r"^Stopped: \d+ event\(s\) forwarded\.$")


def test_a_server_restart_mid_stream_loses_nothing(srv: PaykeepServer, receiver: Receiver,
                                                   listening: list[Listening]) -> None:
    follower = Listening(srv, "--forward-to", receiver.url, "--url", srv.base_url, "--api-key", srv.sk)
    listening.append(follower)
    secret = follower.secret()
    before = customer(srv)
    receiver.wait_for(lambda reqs: len(reqs) >= 1, timeout=RECEIVE_TIMEOUT_S)

    started = time.monotonic()
    srv.stop()  # SIGTERM: the open stream must not hold the graceful shutdown (30 s) up
    assert time.monotonic() - started < 9, "the event stream held the server's shutdown up"
    follower.wait_for(r"reconnecting")
    # while the server is down, on its database (the local mode of `paykeep trigger`)
    down = paykeep(srv, "trigger", "customer.created", "--json")
    assert down.returncode == 0, down.stderr
    while_down = json.loads(down.stdout)["events"]
    srv.start()
    after = customer(srv)
    follower.wait_for(r"reconnected to .* resuming after evt_")

    expected = {event_of(srv, before)["id"], *while_down, event_of(srv, after)["id"]}
    got = receiver.wait_for(lambda reqs: expected <= {json.loads(r.body)["id"] for r in reqs},
                            timeout=RECEIVE_TIMEOUT_S)
    ids = [json.loads(r.body)["id"] for r in got]
    assert len(ids) == len(set(ids)), "an event was forwarded twice"
    for request in got:
        construct_event(request.body, request.headers.get("Wooshpay-Signature"), secret)
    code, stderr = follower.interrupt()
    assert code == 0 and "Traceback" not in stderr, stderr


def test_a_wrong_key_is_one_line_and_exit_2(srv: PaykeepServer, receiver: Receiver) -> None:
    result = paykeep(srv, "listen", "--forward-to", receiver.url, "--url", srv.base_url,
                     "--api-key", "sk_test_not_a_key")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "refused the API key (401)" in lines[0] and "Invalid API Key" in lines[0]
    assert "Traceback" not in result.stderr
    publishable = paykeep(srv, "listen", "--forward-to", receiver.url, "--url", srv.base_url,
                          "--api-key", srv.pk)
    assert publishable.returncode == 2 and "(403)" in publishable.stderr, publishable.stderr
    assert receiver.snapshot() == []


def test_an_unknown_event_type_is_one_line_and_exit_2(srv: PaykeepServer, receiver: Receiver) -> None:
    result = paykeep(srv, "listen", "--forward-to", receiver.url,
                     "--events", "customer.created,charge.refundd")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unknown event type 'charge.refundd'" in lines[0] and "charge.refunded" in lines[0]


def test_the_stream_refuses_bad_input_with_the_api_error_shape(srv: PaykeepServer) -> None:
    stream = srv.base_url + "/v1/test_helpers/events/stream"
    cases = [({}, {"after": "cus_123"}, 400, "after"), ({"Last-Event-ID": "nope"}, {}, 400, "Last-Event-ID"),
             ({}, {"types[]": "customer.nope"}, 400, "types[0]")]
    for headers, params, status, param in cases:
        resp = httpx.get(stream, auth=(srv.sk, ""), headers=headers, params=params, timeout=30)
        assert resp.status_code == status, resp.text
        assert resp.json()["error"]["param"] == param
    assert httpx.get(stream, timeout=30).status_code == 401


def test_the_stream_ends_when_the_client_goes_away(srv: PaykeepServer) -> None:
    with httpx.stream("GET", srv.base_url + "/v1/test_helpers/events/stream", auth=(srv.sk, ""),
                      timeout=30) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        assert resp.headers["paykeep-dialect"] == "wooshpay"
        request_id = resp.headers["request-id"]
        assert next(resp.iter_lines()) == "retry: 1000"
    # the server's access line for a request is written when its response ends: here, once the client left
    wait_until(lambda: f'"request_id":"{request_id}"' in srv.logs(), timeout=20)
