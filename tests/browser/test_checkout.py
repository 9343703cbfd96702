"""Hosted Checkout in a real browser (Playwright driving Debian's Chromium).

The test runs paykeep (a real server process), a webhook receiver subscribed to every event, and a tiny
merchant site with the success and cancel pages, all on 127.0.0.1. Each scenario checks where the browser
ends up, the session and SetupIntent through the API, and the webhook events received. Screenshots of the
checkout and challenge pages (desktop and 375 px) are written to docs/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from paykeep.webhooks import construct_event
from support.merchant_site import MerchantSite
from support.receiver import Receiver
from support.screenshots import screenshot_dir

pytestmark = pytest.mark.browser

SCREENSHOTS = screenshot_dir()
DESKTOP = {"width": 1024, "height": 800}
PHONE = {"width": 375, "height": 740}
CARD_ERROR = "Your card number is incorrect."


# -- the merchant's site and the webhook receiver ------------------------------------------------------------
@pytest.fixture(scope="module")
def merchant() -> Iterator[MerchantSite]:
    site = MerchantSite(lambda path: "Card saved" if path.startswith("/success") else "Checkout canceled")
    yield site
    site.close()


# -- helpers -------------------------------------------------------------------------------------------------
def new_session(api: httpx.Client, merchant: MerchantSite, **params: Any) -> dict[str, Any]:
    resp = api.post("/v1/checkout/sessions/setup", json={
        "success_url": merchant.base_url + "/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": merchant.base_url + "/cancel", "payment_method_types": ["card"],
        "metadata": {"order_id": "order123"}, **params})
    assert resp.status_code == 200, resp.text
    return resp.json()


def events_about(hooks: tuple[Receiver, str], ids: set[str], wanted: set[str],
                 timeout: float = 15) -> list[str]:
    """Wait until every `wanted` event type about one of `ids` has arrived (signed); return their types."""
    receiver, secret = hooks

    def about(reqs: list[Any]) -> list[dict[str, Any]]:
        return [e for e in (r.event for r in reqs) if e["data"]["object"].get("id") in ids]

    got = receiver.wait_for(lambda reqs: wanted <= {e["type"] for e in about(reqs)}, timeout)
    for request in got:
        construct_event(request.body, request.signature, secret)  # every delivery is signed
    return sorted(e["type"] for e in about(got))


def type_card(page: Any, number: str, *, month: str = "12", year: str = "34", cvc: str = "123",
              name: str = "Ada Lovelace") -> None:
    page.locator("#number").press_sequentially(number, delay=5)
    page.fill("#exp_month", month)
    page.fill("#exp_year", year)
    page.fill("#cvc", cvc)
    page.fill("#name", name)


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def no_card_data_in(html: str, number: str) -> None:
    digits = re.sub(r"\D", "", number)
    assert digits not in re.sub(r"[\s\u2022]", "", html), "the card number is never rendered back"


def saved_cards(api: httpx.Client, customer: str) -> list[dict[str, Any]]:
    return api.get(f"/v1/customers/{customer}/payment_methods").json()["data"]


# -- scenarios -----------------------------------------------------------------------------------------------
def test_save_a_frictionless_card_keyboard_only(page: Any, api: httpx.Client, merchant: MerchantSite,
                                                hooks: tuple[Receiver, str]) -> None:
    cs = new_session(api, merchant, customer_email="ada@example.com")
    page.goto(cs["url"])
    assert page.title().startswith("Save a card")
    # Keyboard only: Tab walks the fields in order, typing formats the number and names the brand.
    order = []
    for _ in range(7):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert order == ["number", "exp_month", "exp_year", "cvc", "name", "submit", "cancel"]
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), "the focused element shows a visible outline"
    page.focus("#number")
    page.keyboard.type("4242424242424242", delay=5)
    assert page.input_value("#number") == "4242 4242 4242 4242"
    assert page.text_content("#brand") == "Visa"
    for value in ("12", "34", "123", "Ada Lovelace"):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    with page.expect_navigation(url=re.compile(re.escape(merchant.base_url) + "/success")):
        page.keyboard.press("Enter")
    assert parse_qs(urlsplit(page.url).query) == {"session_id": [cs["id"]]}
    assert page.text_content("h1") == "Card saved"

    session = api.get(f"/v1/checkout/sessions/{cs['id']}").json()
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert session["status"] == "complete" and seti["status"] == "succeeded"
    cards = saved_cards(api, cs["customer"])
    assert [c["id"] for c in cards] == [seti["payment_method"]] and cards[0]["card"]["last4"] == "4242"
    types = events_about(hooks, {cs["id"], cs["setup_intent"], seti["payment_method"]},
                         {"setup_intent.created", "setup_intent.succeeded", "payment_method.attached",
                          "checkout.session.completed"})
    assert types.count("checkout.session.completed") == 1 and "setup_intent.setup_failed" not in types
    receiver, _ = hooks
    completed = next(r.event for r in receiver.snapshot() if r.event["type"] == "checkout.session.completed"
                     and r.event["data"]["object"]["id"] == cs["id"])
    assert completed["data"]["object"]["metadata"] == {"order_id": "order123"}


def test_save_a_challenge_card_through_the_challenge_page(chromium: Any, page: Any, api: httpx.Client,
                                                          merchant: MerchantSite,
                                                          hooks: tuple[Receiver, str]) -> None:
    cs = new_session(api, merchant)
    page.goto(cs["url"])
    type_card(page, "4462030000000000")
    assert page.text_content("#brand") == "Visa"
    with page.expect_navigation(url=re.compile(r"/3ds/")):
        page.click("#submit")
    challenge_url = page.url
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "requires_action"
    assert seti["next_action"]["challenge_redirect"]["url"] == challenge_url
    screenshot(page, "challenge-desktop.png")
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        tab = phone.new_page()
        tab.goto(challenge_url)
        assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(tab, "challenge-375.png")
    finally:
        phone.close()
    with page.expect_navigation(url=re.compile(re.escape(merchant.base_url) + "/success")):
        page.click("button[value=complete]")
    assert parse_qs(urlsplit(page.url).query) == {"session_id": [cs["id"]]}

    session = api.get(f"/v1/checkout/sessions/{cs['id']}").json()
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert session["status"] == "complete" and seti["status"] == "succeeded"
    assert [c["id"] for c in saved_cards(api, cs["customer"])] == [seti["payment_method"]]
    types = events_about(hooks, {cs["id"], cs["setup_intent"], seti["payment_method"]},
                         {"setup_intent.created", "setup_intent.requires_action", "setup_intent.succeeded",
                          "payment_method.attached", "checkout.session.completed"})
    assert types.count("checkout.session.completed") == 1


def test_a_typo_shows_the_error_inline_and_saves_nothing(chromium: Any, page: Any, api: httpx.Client,
                                                         merchant: MerchantSite,
                                                         hooks: tuple[Receiver, str]) -> None:
    cs = new_session(api, merchant)
    page.goto(cs["url"])
    type_card(page, "4242424242424241")
    # With JavaScript: the error appears next to the field as soon as it is left, and the form is not sent.
    assert page.text_content("#number-error") == CARD_ERROR
    assert page.get_attribute("#number", "aria-invalid") == "true"
    page.click("#submit")
    assert page.url == cs["url"]
    assert page.evaluate("document.activeElement.id") == "number"
    # Without JavaScript: the server checks the same rules and answers with the same message, inline.
    nojs = chromium.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        tab = nojs.new_page()
        tab.goto(cs["url"])
        type_card(tab, "4242 4242 4242 4241")
        with tab.expect_navigation():
            tab.click("#submit")
        assert tab.text_content("#number-error") == CARD_ERROR
        assert tab.input_value("#number") == "" and tab.input_value("#cvc") == ""
        assert tab.input_value("#name") == "Ada Lovelace"
        no_card_data_in(tab.content(), "4242424242424241")
    finally:
        nojs.close()
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "requires_payment_method" and seti["payment_method"] is None
    assert seti["last_setup_error"] is None
    assert saved_cards(api, cs["customer"]) == []
    assert api.get(f"/v1/checkout/sessions/{cs['id']}").json()["status"] == "open"
    types = events_about(hooks, {cs["id"], cs["setup_intent"]}, {"setup_intent.created"})
    assert types == ["setup_intent.created"], "nothing but the session's start was reported"


def test_cancel_returns_to_the_merchant_and_saves_nothing(page: Any, api: httpx.Client,
                                                          merchant: MerchantSite,
                                                          hooks: tuple[Receiver, str]) -> None:
    cs = new_session(api, merchant)
    page.goto(cs["url"])
    page.fill("#name", "Ada Lovelace")
    with page.expect_navigation(url=merchant.base_url + "/cancel"):
        page.click("#cancel")
    assert page.text_content("h1") == "Checkout canceled"
    assert api.get(f"/v1/checkout/sessions/{cs['id']}").json()["status"] == "open"
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "requires_payment_method" and seti["payment_method"] is None
    assert saved_cards(api, cs["customer"]) == []
    types = events_about(hooks, {cs["id"], cs["setup_intent"]}, {"setup_intent.created"})
    assert types == ["setup_intent.created"]


def test_an_expired_session_shows_a_clear_page(page: Any, api: httpx.Client, merchant: MerchantSite,
                                               hooks: tuple[Receiver, str]) -> None:
    cs = new_session(api, merchant)
    assert api.post(f"/v1/checkout/sessions/{cs['id']}/expire").status_code == 200
    response = page.goto(cs["url"])
    assert response.status == 410
    assert page.text_content("h1") == "This checkout session has expired"
    assert page.locator("form").count() == 0 and page.locator("input").count() == 0
    with page.expect_navigation(url=merchant.base_url + "/cancel"):
        page.click("#closed-link")
    assert api.get(f"/v1/checkout/sessions/{cs['id']}").json()["status"] == "expired"
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "canceled" and saved_cards(api, cs["customer"]) == []
    types = events_about(hooks, {cs["id"], cs["setup_intent"]},
                         {"setup_intent.created", "setup_intent.canceled", "checkout.session.expired"})
    assert "checkout.session.completed" not in types


def test_checkout_page_screenshots_and_small_screens(chromium: Any, page: Any, api: httpx.Client,
                                                     merchant: MerchantSite) -> None:
    cs = new_session(api, merchant, customer_email="ada@example.com")
    page.goto(cs["url"])
    page.locator("#number").press_sequentially("4242424242424242", delay=5)
    page.fill("#exp_month", "12")
    page.fill("#exp_year", "3")
    page.fill("#name", "Ada Lovelace")
    page.focus("#cvc")
    page.locator("#exp_year").blur()
    screenshot(page, "checkout-desktop.png")
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        tab = phone.new_page()
        tab.goto(cs["url"])
        assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
        for field in ("#number", "#exp_month", "#exp_year", "#cvc", "#name", "#submit"):
            box = tab.locator(field).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], field
            assert box["height"] >= 44, f"{field} is a comfortable touch target"
        tab.locator("#number").press_sequentially("4462030000000000", delay=5)
        screenshot(tab, "checkout-375.png")
    finally:
        phone.close()
    for name in ("checkout-desktop.png", "checkout-375.png"):
        assert (SCREENSHOTS / name).stat().st_size < 400_000
