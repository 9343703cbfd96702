"""The browser every browser test drives: Debian's Chromium (never a downloaded one) through Playwright,
one per test module; each test opens its own context. (Not one per session: Playwright's sync API keeps an
event loop running on the thread while it is open, and tests elsewhere call asyncio.run.)

Also what the hosted-page tests share: one paykeep server per module (`paykeep`), an API client on it (`api`)
and a webhook receiver subscribed to every event (`hooks`: the receiver and its endpoint's secret). A module
that needs another server (a dialect per parameter, say) defines its own `paykeep`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import sync_playwright

from support.receiver import Receiver
from support.server import PaykeepServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A tab in a fresh desktop-sized context (1024 x 800), with a bounded default timeout."""
    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture(scope="module")
def paykeep(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    srv = PaykeepServer(tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2])).start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def hooks(paykeep: PaykeepServer) -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with paykeep.client() as api:
        resp = api.post("/v1/webhook_endpoints", json={"url": receiver.url, "enabled_events": ["*"]})
        assert resp.status_code == 200, resp.text
    yield receiver, resp.json()["secret"]
    receiver.close()


@pytest.fixture
def api(paykeep: PaykeepServer) -> Iterator[httpx.Client]:
    with paykeep.client() as client:
        yield client
