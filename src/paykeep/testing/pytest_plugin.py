"""paykeep's pytest plugin (API.md §11), loaded through the `pytest11` entry point `paykeep` of the installed
package (`-p no:paykeep` turns it off). docs/testing-your-integration.md shows a suite from zero.

Fixtures:
- `paykeep_server` (session): a real `paykeep serve --test-helpers` process on 127.0.0.1, a free port, a
  fresh temporary SQLite database and master key, short webhook retry delays; `.url`, `.create_account()`.
  `--paykeep-url URL` (with `--paykeep-token` or PAYKEEP_TEST_HELPERS_TOKEN) uses a running server instead.
  `--paykeep-dialect wooshpay|stripe`: the dialect of the server's accounts.
- `paykeep_account` (function): a fresh isolated account: `.secret_key`, `.publishable_key`, `.id`,
  `.dialect`, `.stripe` (a `stripe.StripeClient` on it), `.request(...)`, `.answer_challenge(intent)`.
- `paykeep_webhooks` (function): a receiver on 127.0.0.1 subscribed to every event of that account:
  `.events`, `.wait_for(type, timeout=5)`, signatures verified with the endpoint's secret.

With pytest-xdist every worker has its own server (the worker id is in its temporary directory's name). The
server is launched before it is asked for, so that it comes up while pytest collects: at start-up when the
run names `--paykeep-dialect` (as a suite's `addopts` does), else as soon as collection shows a test will
use it; the fixture waits only for what is left. A run that uses none of these fixtures (and names none of
their options) starts nothing: the plugin then only adds its three options.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from paykeep.testing.kit import (
    DIALECTS,
    TOKEN_ENV,
    PaykeepAccount,
    PaykeepServer,
    ServerProcess,
    WebhookInbox,
    unsubscribe,
)

FIXTURES = frozenset({"paykeep_server", "paykeep_account", "paykeep_webhooks"})


@dataclass
class _State:
    process: ServerProcess | None = None
    server: PaykeepServer | None = None


_STATE = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("paykeep", "paykeep test kit (paykeep_server, paykeep_account, paykeep_webhooks)")
    group.addoption("--paykeep-url", dest="paykeep_url", default=None, metavar="URL",
                    help="use this running paykeep (started with `serve --test-helpers`) instead of "
                         "starting one")
    group.addoption("--paykeep-token", dest="paykeep_token", default=None, metavar="TOKEN",
                    help=f"the test-helpers token of --paykeep-url's server (default: ${TOKEN_ENV})")
    group.addoption("--paykeep-dialect", dest="paykeep_dialect", default=None, choices=DIALECTS,
                    help="the dialect of the accounts paykeep_account makes (default: the server's)")


def pytest_configure(config: pytest.Config) -> None:
    """A run that names --paykeep-dialect is one that uses the fixtures (e.g. `addopts` in the suite's
    pytest.ini): its server is launched now, to come up while the run collects."""
    config.stash[_STATE] = state = _State()
    if config.getoption("paykeep_dialect") is not None and _may_start(config):
        state.process = _new_process(config).launch()


def _may_start(config: pytest.Config) -> bool:
    """Not for an external server, a run that only lists or explains, or xdist's controller (its workers
    start their own)."""
    option = config.option
    if config.getoption("paykeep_url") or any(getattr(option, name, False) for name in (
            "collectonly", "help", "showfixtures", "show_fixtures_per_test", "markers")):
        return False
    return not (getattr(option, "numprocesses", None) and not hasattr(config, "workerinput"))


def _worker(config: pytest.Config) -> str:
    return str(getattr(config, "workerinput", {}).get("workerid", "main"))


def _new_process(config: pytest.Config) -> ServerProcess:
    return ServerProcess(dialect=config.getoption("paykeep_dialect"), label=_worker(config))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the server now if a collected test will use it (not with --paykeep-url, not --collect-only)."""
    config = session.config
    if _STATE not in config.stash or not _may_start(config):
        return
    if not any(FIXTURES & set(getattr(item, "fixturenames", ())) for item in session.items):
        return
    state = config.stash[_STATE]
    if state.process is None:
        state.process = _new_process(config).launch()


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None and state.process is not None:
        state.process.stop()
        state.process = None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    state = terminalreporter.config.stash.get(_STATE, None)
    server = state.server if state is not None else None
    if server is None or server.process is None or server.fixture_wait_s is None:
        return
    cold = server.process.cold_start_s
    terminalreporter.write_line(
        f"paykeep: {server.url} answered {server.fixture_wait_s:.3f} s after paykeep_server asked "
        f"(launched before; from process start to first answer {cold:.3f} s)")


@pytest.fixture(scope="session")
def paykeep_server(pytestconfig: pytest.Config) -> Iterator[PaykeepServer]:
    """A running paykeep for this session (or this xdist worker): `.url`, `.create_account()`."""
    asked = time.perf_counter()
    state = pytestconfig.stash[_STATE]
    dialect = pytestconfig.getoption("paykeep_dialect")
    url = pytestconfig.getoption("paykeep_url")
    if url:
        token = pytestconfig.getoption("paykeep_token") or os.environ.get(TOKEN_ENV, "")
        if not token:
            raise pytest.UsageError(f"--paykeep-url needs the server's test-helpers token: --paykeep-token "
                                    f"or {TOKEN_ENV} (what `paykeep serve --test-helpers` printed or was "
                                    "given)")
        state.server = PaykeepServer(url.rstrip("/"), token, dialect)
        yield state.server
        return
    process = state.process or _new_process(pytestconfig).launch()
    state.process = process
    try:
        process.wait_ready()
    except Exception:
        state.process = None
        raise
    state.server = PaykeepServer(process.url, process.token, dialect, process,
                                 fixture_wait_s=time.perf_counter() - asked)
    yield state.server
    process.stop()
    state.process = None


@pytest.fixture
def paykeep_account(paykeep_server: PaykeepServer) -> PaykeepAccount:
    """A fresh isolated account with its own keys: `.secret_key`, `.publishable_key`, `.id`, `.stripe`."""
    return paykeep_server.create_account()


@pytest.fixture
def paykeep_webhooks(paykeep_account: PaykeepAccount) -> Iterator[WebhookInbox]:
    """A local receiver subscribed to every event of `paykeep_account`: `.events`, `.wait_for(type)`."""
    inbox = WebhookInbox().subscribe(paykeep_account)
    try:
        yield inbox
    finally:
        unsubscribe(paykeep_account, inbox)
        inbox.close()
