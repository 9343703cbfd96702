"""Shared fixtures: a real paykeep server per test module (or per test when state must be fresh), in each
dialect for the API tests (tests/support/dialects.py)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support import databases, dialects  # noqa: E402
from support.dialects import Dialect  # noqa: E402
from support.server import PaykeepServer  # noqa: E402

# Tests in these folders, or using these fixtures, touch storage: they run once per backend (scripts/test).
_STORAGE_DIRS = ("api", "integration", "contract", "browser")
_STORAGE_FIXTURES = {"server", "fresh_server", "api", "database_url"}
# Tests in these folders run once per dialect (PAYKEEP_TEST_DIALECTS); elsewhere only if marked `dialects`.
_DIALECT_DIRS = ("api",)


def _folder(path: object) -> str:
    tests_dir = Path(__file__).parent.resolve()
    resolved = Path(str(path)).resolve()
    return resolved.relative_to(tests_dir).parts[0] if resolved.is_relative_to(tests_dir) else ""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "storage: touches a database; runs on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "sqlite_only: about SQLite itself (files, pragmas); not on PostgreSQL")
    config.addinivalue_line("markers", "dialects(*names): run once per named dialect (wooshpay, stripe) that "
                            "PAYKEEP_TEST_DIALECTS selects; tests/api default to both, others to wooshpay")
    try:
        dialects.selected()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    # scripts/test stops a pass it runs in the background with SIGINT, so that pytest tears its servers down
    # and drops its databases. A shell may have started it with SIGINT ignored, which Python keeps.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a test that starts a server (or asks for `dialect`) once per dialect: every such test under
    tests/api, and any test marked `@pytest.mark.dialects(...)`; not one parametrising dialect_name itself."""
    if "dialect_name" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        argnames = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [name.strip() for name in argnames.split(",")]
        if "dialect_name" in argnames:
            return
    marker = metafunc.definition.get_closest_marker("dialects")
    if marker is not None:
        names = dialects.check(list(marker.args))
    elif _folder(metafunc.definition.path) in _DIALECT_DIRS:
        names = dialects.NAMES
    else:
        return
    metafunc.parametrize("dialect_name", names, indirect=True, scope="module", ids=list(names))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark storage-touching tests; on PAYKEEP_TEST_BACKEND=postgres keep only those (less sqlite_only).
    Deselect the runs in dialects PAYKEEP_TEST_DIALECTS leaves out."""
    for item in items:
        if _folder(item.path) in _STORAGE_DIRS or _STORAGE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.storage)
    wanted = set(dialects.selected())
    keep = [i for i in items if _dialect_of(i) in wanted | {None}]  # None: not run per dialect
    if databases.BACKEND == "postgres":
        keep = [i for i in keep if i.get_closest_marker("storage")
                and not i.get_closest_marker("sqlite_only")]
    kept = {id(i) for i in keep}
    dropped = [i for i in items if id(i) not in kept]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _dialect_of(item: pytest.Item) -> str | None:
    """The dialect a test runs in, when it runs once per dialect (else None)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    return str(params["dialect_name"]) if "dialect_name" in params else None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    databases.drop_all_created()


@pytest.fixture(scope="module")
def dialect_name(request: pytest.FixtureRequest) -> str:
    """The dialect of this test's servers: its parameter (see pytest_generate_tests), else wooshpay."""
    return str(getattr(request, "param", dialects.DEFAULT))


@pytest.fixture(scope="module")
def dialect(dialect_name: str) -> Dialect:
    """What the test needs to assert values rendered in its servers' dialect (tests/support/dialects.py)."""
    return Dialect(dialect_name)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, dialect_name: str) -> Iterator[PaykeepServer]:
    """One running server shared by a test module (state accumulates: use unique data), per dialect."""
    srv = PaykeepServer(tmp_path_factory.mktemp(f"server-{dialect_name}"), dialect=dialect_name).start()
    yield srv
    srv.close()


@pytest.fixture
def fresh_server(tmp_path: Path, dialect_name: str) -> Iterator[PaykeepServer]:
    """A server on an empty database, for tests that kill, restart or count everything."""
    srv = PaykeepServer(tmp_path / "server", dialect=dialect_name).start()
    yield srv
    srv.close()


@pytest.fixture
def api(server: PaykeepServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database on the backend under test (a SQLite file, or a new PostgreSQL database)."""
    url = databases.new_database_url(tmp_path)
    yield url
    databases.drop_database(url)
