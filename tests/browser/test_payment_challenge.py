"""The 3-D Secure challenge of a PaymentIntent in a real browser (Playwright driving Debian's Chromium).

paykeep and a tiny merchant site (the return_url) run on 127.0.0.1. The page must show the merchant, the
amount and the masked card; "complete" sends the browser back with payment_intent,
payment_intent_client_secret and redirect_status=succeeded and the payment succeeds; "fail" sends it back
with redirect_status=failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from support.merchant_site import MerchantSite
from support.payments import card
from support.screenshots import screenshot_dir
from support.server import PaykeepServer

pytestmark = pytest.mark.browser

SCREENSHOTS = screenshot_dir()


@pytest.fixture(scope="module")
def paykeep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    srv = PaykeepServer(tmp_path_factory.mktemp("payment-challenge")).start()
    yield srv
    srv.stop()


class Shop(MerchantSite):
    """The merchant's return page: /pay/complete?order=77 (paykeep adds what it sends back)."""

    @property
    def return_url(self) -> str:
        return self.base_url + "/pay/complete?order=77"


@pytest.fixture(scope="module")
def shop() -> Iterator[Shop]:
    site = Shop()
    yield site
    site.close()


def _challenged(api: httpx.Client, shop: Shop, number: str, **params: Any) -> dict[str, Any]:
    resp = api.post("/v1/payment_intents", json={
        "amount": 4599, "currency": "eur", "confirm": True, "return_url": shop.return_url,
        "payment_method_data": {"type": "card", "card": card(number)}, **params})
    assert resp.status_code == 200, resp.text
    pi = resp.json()
    assert pi["status"] == "requires_action"
    return pi


def _page_text(page: Any) -> str:
    return re.sub(r"\s+", " ", page.inner_text("body"))


def test_complete_the_payment_challenge(page: Any, api: httpx.Client, shop: Shop) -> None:
    pi = _challenged(api, shop, "4000002500003155")
    page.goto(pi["next_action"]["challenge_redirect"]["url"])
    text = _page_text(page)
    assert "45.99" in text and "3155" in text
    assert "4000002500003155" not in page.content().replace(" ", "")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "payment-challenge.png"), full_page=True)
    with page.expect_navigation(url=re.compile(re.escape(shop.return_url.split("?")[0]))):
        page.click('button[name="outcome"][value="complete"]')
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"order": ["77"], "payment_intent": [pi["id"]],
                     "payment_intent_client_secret": [pi["client_secret"]], "redirect_status": ["succeeded"]}
    assert page.text_content("h1") == "Back at the shop"
    done = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert done["status"] == "succeeded" and done["amount_received"] == 4599
    # the link is spent: going back to it shows a refusal and changes nothing
    page.goto(pi["next_action"]["challenge_redirect"]["url"])
    assert "Already answered" in _page_text(page)
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == "succeeded"


def test_fail_the_payment_challenge(page: Any, api: httpx.Client, shop: Shop) -> None:
    pi = _challenged(api, shop, "4000000000003220", capture_method="manual")
    page.goto(pi["next_action"]["challenge_redirect"]["url"])
    with page.expect_navigation(url=re.compile(re.escape(shop.return_url.split("?")[0]))):
        page.click('button[name="outcome"][value="fail"]')
    query = parse_qs(urlsplit(page.url).query)
    assert query["payment_intent"] == [pi["id"]] and query["redirect_status"] == ["failed"]
    failed = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    assert failed["amount_capturable"] == 0 and failed["latest_charge"] is None


def test_complete_with_manual_capture_lands_on_requires_capture(page: Any, api: httpx.Client,
                                                                shop: Shop) -> None:
    pi = _challenged(api, shop, "4000000000003220", capture_method="manual")
    page.goto(pi["next_action"]["challenge_redirect"]["url"])
    with page.expect_navigation(url=re.compile(re.escape(shop.return_url.split("?")[0]))):
        page.click('button[name="outcome"][value="complete"]')
    assert parse_qs(urlsplit(page.url).query)["redirect_status"] == ["succeeded"]
    held = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert held["status"] == "requires_capture" and held["amount_capturable"] == 4599
