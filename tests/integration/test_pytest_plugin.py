"""The merchant's pytest plugin (paykeep.testing.pytest_plugin, entry point `pytest11 = paykeep`): loaded in
every pytest run of an environment with paykeep installed, this one included, where it must cost nothing;
its fixtures run in suites of their own here (a pytest subprocess per case), as a merchant's suite runs them:
under pytest-xdist with a server per worker, and against an external server with --paykeep-url."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from support.server import PaykeepServer

pytestmark = pytest.mark.sqlite_only  # the plugin's servers use SQLite whatever the backend under test


def run_suite(tmp_path: Path, source: str, *args: str,
              timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m pytest` on one test file in `tmp_path`, with the installed plugin and nothing of this
    repository's test setup (no conftest, a rootdir and ini of its own)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider -p no:benchmark\n")
    (tmp_path / "test_suite.py").write_text(textwrap.dedent(source))
    report_file = tmp_path / "reports.jsonl"
    report_file.unlink(missing_ok=True)
    env = {**os.environ, "REPORT_FILE": str(report_file)}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", *args, str(tmp_path)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=timeout)


def reports(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    """What the suite's tests wrote with `report(...)` (a file: xdist workers' output is not shown)."""
    path = Path(str(result.args[-1])) / "reports.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


REPORT = '''
    import json, os


    def report(**values):
        with open(os.environ["REPORT_FILE"], "a") as out:
            out.write(json.dumps(values) + "\\n")
'''


# -- in this run: loaded, idle ---------------------------------------------------------------------
def test_the_entry_point_loads_the_plugin_here_and_it_starts_nothing(pytestconfig: pytest.Config) -> None:
    (entry,) = metadata.entry_points(group="pytest11", name="paykeep")
    assert entry.value == "paykeep.testing.pytest_plugin"
    assert pytestconfig.pluginmanager.has_plugin("paykeep")
    from paykeep.testing import pytest_plugin

    state = pytestconfig.stash[pytest_plugin._STATE]
    assert state.process is None and state.server is None  # no test of this run asks for its fixtures
    assert pytestconfig.getoption("paykeep_url") is None


def test_loading_the_plugin_imports_no_server_code() -> None:
    """What the entry point costs a run that does not use it: the standard library and pytest."""
    code = ("import sys, paykeep.testing.pytest_plugin; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('paykeep', 'sqlalchemy', 'fastapi', 'starlette', 'pydantic', 'httpx', 'stripe', 'uvicorn')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            timeout=120).stdout
    assert eval(loaded) == ["paykeep", "paykeep.testing", "paykeep.testing.kit",  # noqa: S307
                            "paykeep.testing.pytest_plugin"]


# -- a suite of its own ----------------------------------------------------------------------------
SUITE = REPORT + '''
    import time, urllib.error, urllib.request

    from paykeep.testing import verify_signature


    def test_account_and_webhooks(paykeep_server, paykeep_account, paykeep_webhooks, worker_id):
        assert paykeep_server.url.startswith("http://127.0.0.1:")
        assert paykeep_account.secret_key.startswith("sk_test_")
        assert paykeep_account.publishable_key.startswith("pk_test_")
        assert paykeep_account.id.startswith("acct_")
        customer = paykeep_account.stripe.v1.customers.create(params={"email": "plugin@example.com"})
        event = paykeep_webhooks.wait_for("customer.created", object_id=customer.id)
        raw = paykeep_webhooks.raw[0]
        headers = {k.lower(): v for k, v in raw["headers"].items()}
        signature = headers.get("stripe-signature") or headers["wooshpay-signature"]
        assert verify_signature(raw["body"], signature, paykeep_webhooks.secret)
        assert not verify_signature(raw["body"], signature, paykeep_webhooks.secret + "x")
        report(worker=worker_id, url=paykeep_server.url, dir=str(paykeep_server.process.dir),
               account=paykeep_account.id, dialect=paykeep_account.dialect, event=event["type"],
               header="stripe-signature" if "stripe-signature" in headers else "wooshpay-signature",
               created=customer.created)


    def test_a_forged_delivery_is_refused(paykeep_webhooks, worker_id):
        request = urllib.request.Request(paykeep_webhooks.url, data=b'{"id": "evt_1", "type": "x"}',
                                         headers={"Stripe-Signature": "t=1,v1=00"}, method="POST")
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status == 400
        assert len(paykeep_webhooks.rejected) == 1 and paykeep_webhooks.events == []
        report(worker=worker_id, forged=status)


    def test_a_500_is_retried_quickly(paykeep_account, paykeep_webhooks, worker_id):
        paykeep_webhooks.reply_status = 500
        customer = paykeep_account.stripe.v1.customers.create()
        first = paykeep_webhooks.wait_for("customer.created", object_id=customer.id)
        paykeep_webhooks.reply_status = 200
        again = [d for d in paykeep_webhooks.deliveries if d["id"] == first["id"]]
        # the retry comes after the plugin's short delay (0.1 s): wait for the second attempt, bounded
        deadline = time.monotonic() + 10
        while len(again) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            again = [d for d in paykeep_webhooks.deliveries if d["id"] == first["id"]]
        assert len(again) >= 2 and len(paykeep_webhooks.events) == 1
        report(worker=worker_id, attempts=len(again))


    def test_wait_for_says_what_arrived(paykeep_webhooks, worker_id):
        try:
            paykeep_webhooks.wait_for("payment_intent.succeeded", timeout=0.2)
        except AssertionError as exc:
            message = str(exc)
        assert "no payment_intent.succeeded webhook within 0.2 s" in message
        report(worker=worker_id, timeout_message=message)


    def test_accounts_are_fresh(paykeep_server, paykeep_account, worker_id):
        other = paykeep_server.create_account(dialect="wooshpay")
        assert other.id != paykeep_account.id and other.dialect == "wooshpay"
        listed = paykeep_account.request("GET", "/v1/customers", {"limit": 100}).json()
        assert listed["data"] == []
        report(worker=worker_id, fresh=paykeep_account.id)
'''


def test_a_suite_under_xdist_gets_a_server_per_worker(tmp_path: Path) -> None:
    """Every test on both workers (`--dist each`): each worker has its own server, in a temporary directory
    named after the worker, removed at the end; accounts are fresh per test; webhooks verified."""
    result = run_suite(tmp_path, SUITE, "-n", "2", "--dist", "each", "--paykeep-dialect", "stripe")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 passed" in result.stdout
    found = reports(result)
    flows = {str(r["worker"]): r for r in found if "url" in r}
    assert set(flows) == {"gw0", "gw1"}
    assert flows["gw0"]["url"] != flows["gw1"]["url"]
    for worker, flow in flows.items():
        assert flow["dialect"] == "stripe" and flow["header"] == "stripe-signature"
        assert isinstance(flow["created"], int) and flow["created"] < 10**11  # Stripe's seconds
        assert f"paykeep-{worker}-" in str(flow["dir"])  # the worker id in the server's temp path
        assert not Path(str(flow["dir"])).exists()  # removed with the server at the end of the session
    accounts = [r["account"] for r in found if "account" in r] + [r["fresh"] for r in found if "fresh" in r]
    assert len(set(accounts)) == len(accounts) == 4  # one per test
    assert [r["forged"] for r in found if "forged" in r] == [400, 400]
    assert all(r["attempts"] >= 2 for r in found if "attempts" in r)


def test_paykeep_url_uses_a_running_server_and_its_printed_token(tmp_path: Path) -> None:
    """`paykeep serve --test-helpers` without PAYKEEP_TEST_HELPERS_TOKEN makes a token and prints it; a suite
    given --paykeep-url and that token makes its accounts there and starts no server of its own."""
    server = PaykeepServer(tmp_path / "server", env={"PAYKEEP_TEST_HELPERS": "1"}).start()
    try:
        match = re.search(r"test helpers open: POST (\S+)/v1/test_helpers/accounts with Authorization: "
                          r"Bearer (pkth_\S+)", server.logs())
        assert match is not None, server.logs()
        assert match.group(1) == server.base_url
        token = match.group(2)
        source = textwrap.dedent(REPORT) + textwrap.dedent('''
            def test_external(paykeep_server, paykeep_account):
                assert paykeep_server.process is None
                customer = paykeep_account.request("POST", "/v1/customers", {"email": "ext@example.com"})
                assert customer.status == 200
                report(url=paykeep_server.url, account=paykeep_account.id, customer=customer.json()["id"])
        ''')
        suite = tmp_path / "suite"
        suite.mkdir()
        result = run_suite(suite, source, f"--paykeep-url={server.base_url}/", f"--paykeep-token={token}")
        assert result.returncode == 0, result.stdout + result.stderr
        (found,) = reports(result)
        assert found["url"] == server.base_url
        with server.client(server.sk) as first:  # made in an account of its own, not the first one
            assert first.get(f"/v1/customers/{found['customer']}").status_code == 404

        wrong = run_suite(suite, source, f"--paykeep-url={server.base_url}", "--paykeep-token=pkth_wrong")
        assert wrong.returncode == 1
        assert "answered 401" in wrong.stdout and "PAYKEEP_TEST_HELPERS_TOKEN" in wrong.stdout
    finally:
        server.close()


def test_paykeep_url_without_a_token_is_a_usage_error(tmp_path: Path) -> None:
    source = '''
        def test_external(paykeep_account):
            pass
    '''
    result = run_suite(tmp_path, source, "--paykeep-url=http://127.0.0.1:9")
    assert result.returncode != 0
    assert "--paykeep-url needs the server's test-helpers token" in result.stdout + result.stderr


def test_a_server_without_test_helpers_is_named_in_the_error(tmp_path: Path, server: PaykeepServer) -> None:
    """A default server (no --test-helpers): the plugin says how to start one that has them."""
    source = '''
        def test_external(paykeep_account):
            pass
    '''
    result = run_suite(tmp_path, source, f"--paykeep-url={server.base_url}", "--paykeep-token=pkth_any")
    assert result.returncode == 1
    assert "has no test helpers: start it with `paykeep serve --test-helpers`" in result.stdout


def test_the_plugin_can_be_turned_off(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "def test_x(paykeep_account):\n    pass\n", "-p", "no:paykeep")
    assert result.returncode == 1
    assert "fixture 'paykeep_account' not found" in result.stdout
