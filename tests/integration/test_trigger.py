"""`paykeep trigger EVENT` (API.md §11): every event type paykeep emits can be made to happen for real, and
each one reaches the account's webhook endpoints like any other, signed, in each endpoint's dialect.

One server for the module; every event is triggered twice: over HTTP against the server (`--url`/`--api-key`,
the account's dialect) and on its database in this process (`--db`/`--key-file`, `--dialect stripe`), the
second delivered by the server's own worker. The command runs in-process (typer's runner: the same code as
`paykeep trigger` minus the interpreter's start-up); its error cases run as the real `paykeep` process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe
from typer.testing import CliRunner

from paykeep.cli import app
from paykeep.domain.events import EVENT_TYPES
from paykeep.webhooks import construct_event
from support.receiver import Receiver
from support.server import PaykeepServer

RECEIVE_TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    server = PaykeepServer(tmp_path_factory.mktemp("trigger")).start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def receivers(srv: PaykeepServer) -> Iterator[dict[str, tuple[Receiver, str]]]:
    """An endpoint subscribed to every event in each dialect: {dialect: (receiver, its secret)}."""
    made: dict[str, tuple[Receiver, str]] = {}
    for dialect in ("wooshpay", "stripe"):
        receiver = Receiver()
        resp = httpx.post(srv.base_url + "/v1/webhook_endpoints", auth=(srv.sk, ""), timeout=30,
                          headers={"Paykeep-Dialect": dialect},
                          data={"url": receiver.url, "enabled_events[]": "*"})
        assert resp.status_code == 200, resp.text
        made[dialect] = (receiver, resp.json()["secret"])
    yield made
    for receiver, _secret in made.values():
        receiver.close()


def run(*args: str) -> dict[str, Any]:
    """`paykeep trigger … --json` in this process: its one JSON object."""
    result = CliRunner().invoke(app, ["trigger", *args, "--json"])
    assert result.exit_code == 0, (args, result.output)
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    return dict(json.loads(lines[0]))


def paykeep(srv: PaykeepServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "paykeep", *args], env=srv.env, cwd=srv.dir,
                          capture_output=True, text=True, timeout=120, check=False)


def test_list_names_every_event_paykeep_emits(srv: PaykeepServer) -> None:
    listed = paykeep(srv, "trigger", "--list")
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == list(EVENT_TYPES)  # API.md §5's list, in its order, each once
    assert all(len(line.split(None, 1)) == 2 for line in listed.stdout.splitlines())  # with what it does


def test_every_event_arrives_at_the_receivers(srv: PaykeepServer,
                                              receivers: dict[str, tuple[Receiver, str]]) -> None:
    made: dict[str, list[str]] = {}  # event id -> [type, how]
    for event in EVENT_TYPES:
        remote = run(event, "--url", srv.base_url, "--api-key", srv.sk)
        local = run(event, "--db", srv.db_url, "--key-file", str(srv.key_file), "--dialect", "stripe")
        for how, result in (("remote", remote), ("local", local)):
            assert result["event"] == event
            assert result["events"], (event, how, result)
            objects = result["objects"]
            assert objects and all(o["id"].startswith(_PREFIX[o["object"]]) for o in objects), result
            for event_id in result["events"]:
                made[event_id] = [event, how]
        # the local run spoke Stripe's dialect: its objects' ids are Stripe's form (24 characters after the
        # prefix; test clocks keep one form), the remote one WooshPay's (19 digits)
        for result, length in ((local, 24), (remote, 19)):
            assert all(len(o["id"].partition("_")[2]) == length for o in result["objects"]
                       if o["object"] != "test_helpers.test_clock"), result

    for dialect, (receiver, secret) in receivers.items():
        got = receiver.wait_for(lambda reqs: set(made) <= {_event_id(r.body) for r in reqs},
                                timeout=RECEIVE_TIMEOUT_S)
        for request in got:
            event_id = _event_id(request.body)
            if event_id not in made:
                continue
            event = _verified(dialect, request.body, request.headers, secret)
            assert event["type"] == made[event_id][0], (event_id, made[event_id])
            obj = event["data"]["object"]
            if dialect == "stripe":
                assert isinstance(event["created"], int) and event["created"] < 10**11  # seconds
            else:
                assert event["created"] > 10**12  # milliseconds
            assert obj["id"]
    # each flow's objects say what they were made for
    customers = httpx.get(srv.base_url + "/v1/customers", auth=(srv.sk, ""), params={"limit": 5}).json()
    assert all(c["metadata"].get("paykeep_trigger") in EVENT_TYPES for c in customers["data"])


def _event_id(body: bytes) -> str:
    try:
        return str(json.loads(body)["id"])
    except (ValueError, KeyError, TypeError):
        return ""


def _verified(dialect: str, body: bytes, headers: dict[str, str], secret: str) -> dict[str, Any]:
    lower = {name.lower(): value for name, value in headers.items()}
    if dialect == "stripe":
        assert "wooshpay-signature" not in lower
        return stripe.Webhook.construct_event(body.decode(), lower["stripe-signature"], secret).to_dict()
    assert "stripe-signature" not in lower
    return construct_event(body, lower["wooshpay-signature"], secret)


_PREFIX = {"customer": "cus_", "payment_method": "pm_", "setup_intent": "seti_", "payment_intent": "pi_",
           "charge": "ch_", "refund": "re_", "checkout.session": "cs_", "test_helpers.test_clock": "clock_",
           "product": "prod_", "price": "price_"}


def test_unknown_event_is_one_line_with_close_matches_and_exit_2(srv: PaykeepServer) -> None:
    result = paykeep(srv, "trigger", "payment_intent.succeded")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unknown event 'payment_intent.succeded'" in lines[0] and "payment_intent.succeeded" in lines[0]
    assert result.stdout == ""


def test_a_wrong_key_is_a_clear_error_and_exit_2(srv: PaykeepServer) -> None:
    result = paykeep(srv, "trigger", "customer.created", "--url", srv.base_url, "--api-key", "sk_test_wrong")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "401" in lines[0] and "Invalid API Key" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_server_is_a_clear_error_and_exit_2(srv: PaykeepServer) -> None:
    result = CliRunner().invoke(app, ["trigger", "customer.created", "--url", "http://127.0.0.1:1",
                                      "--api-key", srv.sk])
    assert result.exit_code == 2
    assert "cannot reach http://127.0.0.1:1: connection refused" in result.output
