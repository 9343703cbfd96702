"""Shared fixtures: a real paykeep server per test module (or per test when state must be fresh)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support import databases  # noqa: E402
from support.server import PaykeepServer  # noqa: E402

# Tests in these folders, or using these fixtures, touch storage: they run once per backend (scripts/test).
_STORAGE_DIRS = ("api", "integration", "contract", "browser")
_STORAGE_FIXTURES = {"server", "fresh_server", "api", "database_url"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "storage: touches a database; runs on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "sqlite_only: about SQLite itself (files, pragmas); not on PostgreSQL")
    # scripts/test stops a pass it runs in the background with SIGINT, so that pytest tears its servers down
    # and drops its databases. A shell may have started it with SIGINT ignored, which Python keeps.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark storage-touching tests; on PAYKEEP_TEST_BACKEND=postgres keep only those (less sqlite_only)."""
    tests_dir = Path(__file__).parent.resolve()
    for item in items:
        path = Path(str(item.path)).resolve()
        folder = path.relative_to(tests_dir).parts[0] if path.is_relative_to(tests_dir) else ""
        if folder in _STORAGE_DIRS or _STORAGE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.storage)
    if databases.BACKEND != "postgres":
        return
    keep = [i for i in items if i.get_closest_marker("storage") and not i.get_closest_marker("sqlite_only")]
    kept = {id(i) for i in keep}
    dropped = [i for i in items if id(i) not in kept]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    databases.drop_all_created()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    """One running server shared by a test module (state accumulates: use unique data)."""
    srv = PaykeepServer(tmp_path_factory.mktemp("server")).start()
    yield srv
    srv.close()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[PaykeepServer]:
    """A server on an empty database, for tests that kill, restart or count everything."""
    srv = PaykeepServer(tmp_path / "server").start()
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
