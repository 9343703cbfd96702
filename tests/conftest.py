"""Shared fixtures: a real paykeep server per test module (or per test when state must be fresh)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support.server import PaykeepServer  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    """One running server shared by a test module (state accumulates: use unique data)."""
    srv = PaykeepServer(tmp_path_factory.mktemp("server")).start()
    yield srv
    srv.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[PaykeepServer]:
    """A server on an empty database, for tests that kill, restart or count everything."""
    srv = PaykeepServer(tmp_path / "server").start()
    yield srv
    srv.stop()


@pytest.fixture
def api(server: PaykeepServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client
