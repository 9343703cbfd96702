"""@stripe/react-stripe-js and @stripe/stripe-js (from the npm registry, pinned by
tests/browser/dropin_merchant/react/package-lock.json) against paykeep.js: a React page built with Vite, whose
only paykeep-specific line loads `<paykeep>/v3/` before the bundle (docs/dropin.md). In Chromium, on an origin
of its own: a card saved with <CardElement> and with <PaymentElement>, and the webhook received.

The app is built once per lock file and source into a temporary directory (`npm ci`, then `vite build`),
so the work tree gets no node_modules. Skipped only when `node` is not on PATH."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dropin_merchant.site import Site, merchant_csp, type_card

from support.payments import customer
from support.receiver import Receiver
from support.server import PaykeepServer

APP = Path(__file__).resolve().parent / "dropin_merchant" / "react"
SOURCES = ("package.json", "package-lock.json", "vite.config.js", "index.html", "src/main.jsx")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH"),
]


def _build() -> Path:
    digest = hashlib.sha256(b"".join((APP / name).read_bytes() for name in SOURCES)).hexdigest()[:16]
    work = Path(tempfile.gettempdir()) / f"paykeep-dropin-react-{digest}"
    dist = work / "dist"
    if (dist / "index.html").exists():
        return dist
    for name in SOURCES:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(APP / name, work / name)
    npm = shutil.which("npm")
    assert npm is not None, "node is on PATH but npm is not"
    if not (work / "node_modules" / "vite").exists():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=work, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    built = subprocess.run(
        [str(work / "node_modules" / ".bin" / "vite"), "build"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0 and (dist / "index.html").exists(), (
        f"vite build:\n{built.stdout}\n{built.stderr}"
    )
    return dist


@pytest.fixture(scope="module")
def dist() -> Path:
    return _build()


@pytest.fixture(scope="module", params=["wooshpay", "stripe"])
def paykeep(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PaykeepServer]:
    srv = PaykeepServer(
        tmp_path_factory.mktemp(f"dropin-react-{request.param}"), dialect=request.param
    ).start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def shop(dist: Path, paykeep: PaykeepServer) -> Iterator[Site]:
    index = (
        (dist / "index.html")
        .read_text()
        .replace("__PAYKEEP__", paykeep.base_url)
        .replace("__PK__", paykeep.pk)
    )
    pages = {"/": ("text/html; charset=utf-8", index)}
    for asset in (dist / "assets").iterdir():
        kind = "text/javascript; charset=utf-8" if asset.suffix == ".js" else "text/css; charset=utf-8"
        pages[f"/assets/{asset.name}"] = (kind, asset.read_text())
    site = Site(pages, {"Content-Security-Policy": merchant_csp(paykeep.base_url)})
    yield site
    site.close()


@pytest.fixture(scope="module")
def hooks(paykeep: PaykeepServer) -> Iterator[Receiver]:
    receiver = Receiver()
    with paykeep.client() as api:
        made = api.post(
            "/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "setup_intent.succeeded"}
        )
        assert made.status_code == 200, made.text
    yield receiver
    receiver.close()


def _save(page: Any, shop: Site, paykeep: PaykeepServer, hooks: Receiver, mode: str) -> None:
    with paykeep.client() as api:
        cus = customer(api)
        seti = api.post("/v1/setup_intents", json={"customer": cus}).json()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{shop.base_url}/?mode={mode}&cs={seti['client_secret']}")
    page.wait_for_selector("iframe[data-paykeep-element]")
    if mode == "card":
        type_card(page, "4242424242424242", container=".field", postal=None)
    else:
        type_card(page, "4242424242424242", container="form")
    page.click("#save:not([disabled])")
    page.wait_for_function("() => document.getElementById('status').textContent !== ''")
    status = page.inner_text("#status")
    assert status.startswith("succeeded pm_"), (status, errors)
    with paykeep.client() as api:
        saved = api.get(f"/v1/customers/{cus}/payment_methods").json()["data"]
    assert [pm["id"] for pm in saved] == [status.split()[1]]
    hooks.wait_for(lambda got: any(r.event["data"]["object"]["id"] == seti["id"] for r in got))
    assert not errors, errors
    assert "4242424242424242" not in page.content().replace(" ", "")
    assert not any("4242" in r["path"] + r["body"] for r in shop.requests)


def test_card_element_saves_a_card(page: Any, shop: Site, paykeep: PaykeepServer, hooks: Receiver) -> None:
    _save(page, shop, paykeep, hooks, "card")


def test_payment_element_saves_a_card(page: Any, shop: Site, paykeep: PaykeepServer, hooks: Receiver) -> None:
    _save(page, shop, paykeep, hooks, "payment")


def test_the_bundle_is_stripe_js_s_own_code(dist: Path) -> None:
    """The page's bundle is @stripe/stripe-js's loader, unchanged: it would load js.stripe.com if paykeep.js
    were not on the page first."""
    bundle = "".join(p.read_text() for p in (dist / "assets").glob("*.js"))
    assert "https://js.stripe.com" in bundle and "paykeep" not in bundle.lower()
