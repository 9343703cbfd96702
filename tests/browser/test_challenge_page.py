"""Chromium (Debian's, driven by Playwright) answers the 3-D Secure challenge page and lands on the merchant's
return page, served by this test on loopback; the intent's status is then checked through the API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from support.cards import card
from support.merchant_site import MerchantSite

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    """The merchant's return page."""
    site = MerchantSite()
    yield site.base_url + "/saved"
    site.close()


def start_setup(api: httpx.Client, number: str, return_url: str) -> dict[str, Any]:
    cus = api.post("/v1/customers", data={"email": "browser@example.com"}).json()["id"]
    resp = api.post("/v1/setup_intents", json={
        "confirm": True, "customer": cus, "payment_method_types": ["card"], "usage": "on_session",
        "payment_method_data": {"type": "card", "card": card(number)}, "return_url": return_url})
    seti = resp.json()
    assert seti["status"] == "requires_action", resp.text
    return seti


@pytest.mark.parametrize(("button", "status", "redirect_status"), [
    ("complete", "succeeded", "succeeded"),
    ("fail", "requires_payment_method", "failed"),
])
def test_answer_the_challenge_in_chromium(api: httpx.Client, chromium: Any, shop: str, button: str,
                                          status: str, redirect_status: str) -> None:
    seti = start_setup(api, "4462030000000000", shop + "?order=1234")
    page = chromium.new_page()
    try:
        page.goto(seti["next_action"]["challenge_redirect"]["url"])
        assert "•••• 0000" in page.inner_text("body")
        assert "paykeep test merchant" in page.inner_text("body")
        page.click(f'button[name="outcome"][value="{button}"]')
        page.wait_for_url(shop + "?*", timeout=15_000)
        assert page.inner_text("#title") == "Back at the shop"
        query = parse_qs(urlsplit(page.url).query)
    finally:
        page.close()
    assert query == {"order": ["1234"], "setup_intent": [seti["id"]], "redirect_status": [redirect_status],
                     "setup_intent_client_secret": [seti["client_secret"]]}
    after = api.get(f"/v1/setup_intents/{seti['id']}").json()
    assert after["status"] == status
    if status == "succeeded":
        saved = api.get(f"/v1/customers/{seti['customer']}/payment_methods").json()["data"]
        assert [pm["id"] for pm in saved] == [seti["payment_method"]]
    else:
        assert after["last_setup_error"]["code"] == "setup_intent_authentication_failure"


def test_a_second_answer_gets_the_error_page(api: httpx.Client, chromium: Any, shop: str) -> None:
    seti = start_setup(api, "4000002760003184", shop)
    url = seti["next_action"]["challenge_redirect"]["url"]
    page = chromium.new_page()
    try:
        page.goto(url)
        page.click('button[value="complete"]')
        page.wait_for_url(shop + "?*", timeout=15_000)
        response = page.goto(url)
        assert response is not None and response.status == 409
        assert "Already answered" in page.inner_text("h1")
        assert page.locator("button").count() == 0
    finally:
        page.close()
    assert api.get(f"/v1/setup_intents/{seti['id']}").json()["status"] == "succeeded"


def test_the_page_cannot_be_framed(api: httpx.Client, chromium: Any, shop: str, server: Any) -> None:
    seti = start_setup(api, "4000000000003220", shop)
    url = seti["next_action"]["challenge_redirect"]["url"]
    page = chromium.new_page()
    try:
        page.set_content(f'<iframe id="f" src="{url}"></iframe>', wait_until="load")
        child = page.frames[1]
        assert child.url.startswith("chrome-error://")  # Chromium refused to render it in a frame
        assert page.frame_locator("#f").locator("button").count() == 0
    finally:
        page.close()
    assert api.get(f"/v1/setup_intents/{seti['id']}").json()["status"] == "requires_action"
