"""The dialect from the command line (API.md §8), run as a user would: `paykeep init --dialect stripe` makes
requests without a Paykeep-Dialect header speak Stripe (seconds, `usd`, Stripe-style ids, Stripe-Version);
`PAYKEEP_DIALECT=stripe paykeep serve` and `serve --dialect` do too; `paykeep account set --dialect` on a
running server takes effect on its next request; `paykeep account show` prints JSON. An unknown dialect is one
line on stderr and exit status 2 (CLI), or a 400 naming `Paykeep-Dialect` that changes nothing (API)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.server import PaykeepServer, free_port

STRIPE_ID = r"^{}_\d{{19}}[A-Za-z0-9]{{5}}$"
NO_DIALECT_ENV = {"PAYKEEP_DIALECT": ""}  # whatever the environment running the tests says


def _is_stripe_id(value: str, prefix: str) -> bool:
    return re.match(STRIPE_ID.format(prefix), value) is not None


def _is_wooshpay_id(value: str, prefix: str) -> bool:
    rest = value.removeprefix(prefix + "_")
    return rest != value and len(rest) == 19 and rest.isdigit()


def _customer(srv: PaykeepServer, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(srv.base_url + "/v1/customers", auth=(srv.sk, ""), headers=headers or {}, timeout=30,
                      data={"email": f"cli-{uuid.uuid4().hex[:10]}@example.com"})


def _pay(srv: PaykeepServer) -> httpx.Response:
    return httpx.post(srv.base_url + "/v1/payment_intents", auth=(srv.sk, ""), timeout=30, json={
        "amount": 1500, "currency": "USD", "confirm": True, "payment_method_types": ["card"],
        "payment_method_data": {"type": "card", "card": {"number": "4242424242424242", "exp_month": 4,
                                                         "exp_year": 2036, "cvc": "314"}}})


def assert_speaks_stripe(srv: PaykeepServer) -> None:
    made = _customer(srv)
    assert made.status_code == 200, made.text
    assert made.headers.get("stripe-version") == "2024-06-20"
    customer = made.json()
    assert _is_stripe_id(customer["id"], "cus"), customer["id"]
    assert abs(customer["created"] - time.time()) < 60  # Unix seconds
    paid = _pay(srv)
    assert paid.status_code == 200, paid.text
    intent = paid.json()
    assert intent["currency"] == "usd" and intent["status"] == "succeeded"
    assert _is_stripe_id(intent["id"], "pi") and abs(intent["created"] - time.time()) < 60


def assert_speaks_wooshpay(srv: PaykeepServer) -> None:
    made = _customer(srv)
    assert made.status_code == 200, made.text
    assert "stripe-version" not in made.headers
    customer = made.json()
    assert _is_wooshpay_id(customer["id"], "cus"), customer["id"]
    assert abs(customer["created"] / 1000 - time.time()) < 60  # Unix ms
    paid = _pay(srv)
    assert paid.status_code == 200, paid.text
    assert paid.json()["currency"] == "USD" and _is_wooshpay_id(paid.json()["id"], "pi")


def account_show(srv: PaykeepServer) -> dict[str, Any]:
    shown = srv.cli("account", "show")
    lines = shown.stdout.strip().splitlines()
    assert len(lines) == 1, shown.stdout
    settings = json.loads(lines[0])
    assert isinstance(settings, dict)
    return settings


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def serve(srv: PaykeepServer, *args: str, env: dict[str, str] | None = None) -> PaykeepServer:
    """`paykeep serve` alone (no `init` before it) on the server's database, until /healthz answers."""
    srv.stop()
    command = [sys.executable, "-m", "paykeep", "serve", "--host", "127.0.0.1", "--port", str(srv.port),
               *args]
    log = srv.log_path.open("ab")
    srv.proc = subprocess.Popen(command, env={**srv.env, **(env or {})}, cwd=srv.dir, stdout=log,
                                stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if srv.proc.poll() is not None:
            raise AssertionError(f"paykeep serve exited early:\n{srv.logs()}")
        try:
            if httpx.get(srv.base_url + "/healthz", timeout=1).status_code == 200:
                return srv
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError("paykeep serve did not become healthy in 60 s")


@pytest.fixture(scope="module")
def stripe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    """A server whose database was made by `paykeep init --dialect stripe` (then `serve`)."""
    srv = PaykeepServer(tmp_path_factory.mktemp("cli-dialect"), env=NO_DIALECT_ENV)
    made = srv.cli("init", "--dialect", "stripe", "--json")
    assert made.returncode == 0, made.stderr
    srv.start()  # `init --json` again (no --dialect: the account keeps its dialect), then `serve`
    yield srv
    srv.close()


def test_init_dialect_stripe_makes_new_requests_speak_stripe(stripe_server: PaykeepServer) -> None:
    srv = stripe_server
    srv.cli("account", "set", "--dialect", "stripe")  # as `init --dialect stripe` left it
    shown = account_show(srv)
    assert shown["dialect"] == "stripe" and shown["account"].startswith("acct_")
    assert_speaks_stripe(srv)
    # the header still chooses per request
    assert_header = _customer(srv, {"Paykeep-Dialect": "wooshpay"})
    assert assert_header.status_code == 200 and _is_wooshpay_id(assert_header.json()["id"], "cus")


def test_account_set_on_a_running_server_takes_effect_on_the_next_request(
        stripe_server: PaykeepServer) -> None:
    srv = stripe_server
    srv.cli("account", "set", "--dialect", "stripe")
    assert_speaks_stripe(srv)
    before = _customer(srv).json()
    changed = srv.cli("account", "set", "--dialect", "wooshpay")
    assert changed.returncode == 0 and "wooshpay" in changed.stdout
    assert account_show(srv)["dialect"] == "wooshpay"
    assert_speaks_wooshpay(srv)  # the same server process, no restart
    again = httpx.get(f"{srv.base_url}/v1/customers/{before['id']}", auth=(srv.sk, ""), timeout=30)
    assert again.status_code == 200 and again.json()["id"] == before["id"]  # its Stripe-style id is kept
    assert again.json()["created"] // 1000 == before["created"]  # now in ms
    srv.cli("account", "set", "--dialect", "Stripe")  # any case
    assert account_show(srv)["dialect"] == "stripe"
    assert_speaks_stripe(srv)


def test_account_show_prints_the_account_as_json(stripe_server: PaykeepServer) -> None:
    srv = stripe_server
    shown = account_show(srv)
    assert set(shown) >= {"account", "name", "dialect"}
    assert shown["dialect"] in ("stripe", "wooshpay") and shown["name"]
    assert shown["account"] == account_show(srv)["account"]  # the one account


def test_paykeep_dialect_env_and_the_serve_flag_set_the_default(stripe_server: PaykeepServer) -> None:
    srv = stripe_server
    srv.cli("account", "set", "--dialect", "wooshpay")
    try:
        serve(srv, env={"PAYKEEP_DIALECT": "stripe"})
        assert_speaks_stripe(srv)
        assert account_show(srv)["dialect"] == "stripe"  # kept in the database
        serve(srv, "--dialect", "wooshpay", env={"PAYKEEP_DIALECT": "stripe"})  # the flag wins
        assert_speaks_wooshpay(srv)
        assert account_show(srv)["dialect"] == "wooshpay"
        serve(srv)  # neither: the account keeps what it has
        assert_speaks_wooshpay(srv)
    finally:
        if srv.proc is None or srv.proc.poll() is not None:  # the module's other tests need it running
            serve(srv)


def _bare_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PAYKEEP_DATABASE_URL", "PAYKEEP_KEY_FILE", "PAYKEEP_MASTER_KEY", "PAYKEEP_DIALECT")}
    return {**env, **extra}


def _paykeep(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "paykeep", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.parametrize("command", ["init", "serve"])
@pytest.mark.parametrize("how", ["flag", "env"])
def test_an_unknown_dialect_at_start_up_is_one_line_and_status_2(tmp_path: Path, command: str,
                                                                  how: str) -> None:
    db = tmp_path / "paykeep.db"
    args = [command, "--db", f"sqlite:///{db}", "--key-file", str(tmp_path / "paykeep.key")]
    if command == "serve":
        args += ["--host", "127.0.0.1", "--port", str(free_port())]
    env = _bare_env()
    if how == "flag":
        args += ["--dialect", "klingon"]
    else:
        env["PAYKEEP_DIALECT"] = "klingon"
    line = assert_one_line_error(_paykeep(*args, cwd=tmp_path, env=env), "klingon")
    assert "wooshpay" in line and "stripe" in line  # says what is accepted
    assert list(tmp_path.iterdir()) == []  # nothing was made


def test_an_unknown_dialect_for_a_running_server_is_refused_and_changes_nothing(
        stripe_server: PaykeepServer) -> None:
    srv = stripe_server
    srv.cli("account", "set", "--dialect", "stripe")
    for args, env in ((["account", "set", "--dialect", "klingon"], {}),
                      (["account", "set", "--dialect", ""], {}),
                      (["init", "--dialect", "STRIPE2"], {}),
                      (["init"], {"PAYKEEP_DIALECT": "klingon"})):
        result = subprocess.run([sys.executable, "-m", "paykeep", *args], env={**srv.env, **env}, cwd=srv.dir,
                                capture_output=True, text=True, timeout=120, check=False)
        assert_one_line_error(result)
    assert account_show(srv)["dialect"] == "stripe"
    assert_speaks_stripe(srv)


@pytest.mark.parametrize("value", ["klingon", "", "stripe,wooshpay", "strípe"])
def test_an_unknown_paykeep_dialect_header_is_a_400_and_changes_nothing(stripe_server: PaykeepServer,
                                                                        value: str) -> None:
    srv = stripe_server
    email = f"refused-{uuid.uuid4().hex[:10]}@example.com"
    bad = value.encode("utf-8")
    headers: dict[str, str | bytes] = {"Paykeep-Dialect": bad, "Idempotency-Key": uuid.uuid4().hex}
    with httpx.Client(base_url=srv.base_url, auth=(srv.sk, ""), timeout=30) as api:
        default = api.get("/v1/customers", params={"limit": 1}).headers.get("stripe-version")
        refused = api.post("/v1/customers", data={"email": email}, headers=headers)
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["type"] == "invalid_request_error" and error["param"] == "Paykeep-Dialect"
        assert "Paykeep-Dialect" in error["message"]
        listed = api.get("/v1/customers", params={"email": email}, headers={"Paykeep-Dialect": "wooshpay"})
        assert listed.status_code == 200 and listed.json()["data"] == []  # nothing was made
        read = api.get("/v1/customers", headers={"Paykeep-Dialect": bad})
        assert read.status_code == 400 and read.json()["error"]["param"] == "Paykeep-Dialect"
        # the same idempotency key, now with a good header, makes the customer once: nothing was kept
        made = api.post("/v1/customers", data={"email": email},
                        headers={**headers, "Paykeep-Dialect": "stripe"})
        assert made.status_code == 200 and made.json()["email"] == email
        assert api.get("/v1/customers", params={"email": email}).json()["data"][0]["id"] == made.json()["id"]
        # the account's default is as it was
        assert api.get("/v1/customers", params={"limit": 1}).headers.get("stripe-version") == default
