"""What a newcomer and a cardholder see first and last, in Chromium at 375 px (issue 19): the server's front
page, Checkout after a failed 3-D Secure (the reason in the cardholder's words, the form keeping name and
expiry), and the "Already answered" challenge page with its way back to the merchant. Each is checked as a
person would see it and screenshotted (docs/screenshots/, with PAYKEEP_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from support.merchant_site import MerchantSite
from support.screenshots import screenshot_dir

pytestmark = pytest.mark.browser

SCREENSHOTS = screenshot_dir()
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture(scope="module")
def merchant() -> Iterator[MerchantSite]:
    site = MerchantSite(lambda path: "Card saved" if path.startswith("/success") else "Checkout canceled")
    yield site
    site.close()


def screenshot(tab: Any, name: str) -> None:
    tab.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    assert (SCREENSHOTS / name).stat().st_size < 400_000


def fits(tab: Any) -> None:
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"


def test_the_front_page_at_375_px(phone: Any, server: Any) -> None:
    phone.goto(server.base_url + "/")
    assert phone.inner_text("h1") == "paykeep is running"
    assert phone.title() == "paykeep"
    fits(phone)
    for link in ("#link-dashboard", "#link-test-cards", "#link-docs", "#link-openapi"):
        box = phone.locator(link).bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], link
    # the favicon, drawn in the page's header: it loaded (the CSP allows it) and decoded as an image
    assert phone.evaluate("document.querySelector('.brand img').naturalWidth") == 32
    screenshot(phone, "front-page-375.png")
    phone.click("#link-test-cards")
    phone.wait_for_url("**/test-cards")
    assert phone.inner_text("h1") == "Test cards" and "4000000000000002" in phone.inner_text("#test-cards")
    fits(phone)


def test_checkout_after_a_failed_challenge_and_the_already_answered_page(phone: Any, api: httpx.Client,
                                                                         merchant: MerchantSite) -> None:
    resp = api.post("/v1/checkout/sessions/setup", json={
        "success_url": merchant.base_url + "/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": merchant.base_url + "/cancel", "customer_email": "ada@example.com"})
    assert resp.status_code == 200, resp.text
    cs = resp.json()
    phone.goto(cs["url"])
    phone.locator("#number").press_sequentially("4462030000000000", delay=5)
    phone.fill("#exp_month", "07")
    phone.fill("#exp_year", "2034")
    phone.fill("#cvc", "123")
    phone.fill("#name", "Ada Lovelace")
    with phone.expect_navigation(url=re.compile(r"/3ds/")):
        phone.click("#submit")
    challenge_url = phone.url
    with phone.expect_navigation(url=re.compile(re.escape(cs["url"]))):
        phone.click("button[value=fail]")

    # Back on Checkout: why, in the cardholder's words; name and expiry still there; number and CVC empty.
    message = phone.inner_text("#form-error")
    assert message.startswith("Your bank could not confirm that it was you"), message
    assert "latest attempt" not in phone.inner_text("body")
    assert phone.is_visible("#form-error")
    assert (phone.input_value("#name"), phone.input_value("#exp_month"), phone.input_value("#exp_year")) \
        == ("Ada Lovelace", "07", "2034")
    assert phone.input_value("#number") == "" and phone.input_value("#cvc") == ""
    assert phone.is_visible("#cancel")  # the way back to the merchant stays
    fits(phone)
    screenshot(phone, "checkout-failure-375.png")
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "requires_payment_method"

    # The challenge link again (the back button, a second tab): answered, and a way back to the merchant.
    phone.goto(challenge_url)
    assert phone.inner_text("h1") == "Already answered"
    back = phone.locator("#back-link")
    assert back.inner_text() == "Return to paykeep test merchant"
    box = back.bounding_box()
    assert box is not None and box["height"] >= 40 and box["x"] + box["width"] <= PHONE["width"]
    fits(phone)
    screenshot(phone, "challenge-answered-375.png")
    with phone.expect_navigation(url=re.compile(re.escape(cs["url"]))):
        back.click()
    assert phone.inner_text("#form-error").startswith("Your bank could not confirm")  # the page it left

    # The card saved with a second try: the answered page then leads on to the merchant's success page.
    phone.locator("#number").press_sequentially("4242424242424242", delay=5)
    phone.fill("#cvc", "123")
    with phone.expect_navigation(url=re.compile(re.escape(merchant.base_url) + "/success")):
        phone.click("#submit")
    assert phone.inner_text("#title") == "Card saved"
