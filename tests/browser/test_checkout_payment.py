"""Hosted Checkout in payment mode in a real browser (Playwright driving Debian's Chromium), at 375 px.

paykeep (a real server process), a webhook receiver subscribed to every event and a tiny merchant site run on
127.0.0.1. Each scenario pays a two-line cart on the hosted page and checks where the browser ends up, the
session and its PaymentIntent through the API, and the webhook events delivered: frictionless, 3-D Secure
completed and failed, declined then paid with another card, and paid and saved (then charged off-session).
Screenshots of the page (375 px and desktop) are written to docs/screenshots/.
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
PHONE = {"width": 375, "height": 740}
FRICTIONLESS, THREE_DS, DECLINED = "4242424242424242", "4000002760003184", "4000000000000002"


@pytest.fixture(scope="module")
def merchant() -> Iterator[MerchantSite]:
    site = MerchantSite(lambda path: "Thanks for your order" if path.startswith("/success") else "Cart")
    yield site
    site.close()


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    """A tab 375 px wide, as a phone."""
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


# -- helpers -------------------------------------------------------------------------------------------------
def cart(api: httpx.Client, merchant: MerchantSite, **params: Any) -> dict[str, Any]:
    """A two-line cart: 2 x T-shirt (a Price) at 20.00 and 1 x Mug (inline price_data) at 5.00."""
    price = api.post("/v1/prices", json={"currency": "usd", "unit_amount": 2000,
                                         "product_data": {"name": "T-shirt"}}).json()
    resp = api.post("/v1/checkout/sessions", json={
        "mode": "payment", "success_url": merchant.base_url + "/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": merchant.base_url + "/cart", "metadata": {"order_id": "order-7"},
        "line_items": [{"price": price["id"], "quantity": 2},
                       {"price_data": {"currency": "usd", "unit_amount": 500,
                                       "product_data": {"name": "Mug"}}, "quantity": 1}], **params})
    assert resp.status_code == 200, resp.text
    return resp.json()


def type_card(page: Any, number: str) -> None:
    page.locator("#number").press_sequentially(number, delay=5)
    page.fill("#exp_month", "12")
    page.fill("#exp_year", "34")
    page.fill("#cvc", "123")
    page.fill("#name", "Ada Lovelace")


def check_the_page(page: Any) -> None:
    """The cart and the total are shown, and nothing is wider than the phone."""
    assert page.title().startswith("Pay")
    items = [re.sub(r"\s+", " ", t).strip() for t in page.locator("#items .item").all_inner_texts()]
    assert items == ["T-shirt × 2 40.00 USD", "Mug 5.00 USD", "Total due 45.00 USD"], items
    assert page.text_content("#submit") == "Pay 45.00 USD"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def pay(page: Any, number: str, until: str) -> None:
    type_card(page, number)
    with page.expect_navigation(url=re.compile(until)):
        page.click("#submit")


def events_about(hooks: tuple[Receiver, str], ids: set[str], wanted: set[str]) -> list[str]:
    """Wait until every `wanted` event type about one of `ids` has arrived (signed); return their types."""
    receiver, secret = hooks

    def about(reqs: list[Any]) -> list[dict[str, Any]]:
        return [e for e in (r.event for r in reqs) if e["data"]["object"].get("id") in ids]

    got = receiver.wait_for(lambda reqs: wanted <= {e["type"] for e in about(reqs)}, 15)
    for request in got:
        construct_event(request.body, request.signature, secret)
    return sorted(e["type"] for e in about(got))


def assert_paid(api: httpx.Client, cs: dict[str, Any], page: Any, merchant: MerchantSite) -> dict[str, Any]:
    assert page.url.startswith(merchant.base_url + "/success")
    assert parse_qs(urlsplit(page.url).query) == {"session_id": [cs["id"]]}
    session = api.get(f"/v1/checkout/sessions/{cs['id']}").json()
    assert session["status"] == "complete" and session["payment_status"] == "paid"
    intent = api.get(f"/v1/payment_intents/{cs['payment_intent']}").json()
    assert intent["status"] == "succeeded" and intent["amount_received"] == 4500
    return intent


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


# -- scenarios -----------------------------------------------------------------------------------------------
def test_a_two_line_cart_paid_frictionless(chromium: Any, phone: Any, api: httpx.Client,
                                          merchant: MerchantSite, hooks: tuple[Receiver, str]) -> None:
    cs = cart(api, merchant, customer_email="ada@example.com")
    phone.goto(cs["url"])
    check_the_page(phone)
    screenshot(phone, "checkout-payment-375.png")
    desktop = chromium.new_context(viewport={"width": 1024, "height": 800})
    try:
        tab = desktop.new_page()
        tab.goto(cs["url"])
        screenshot(tab, "checkout-payment-desktop.png")
    finally:
        desktop.close()
    pay(phone, FRICTIONLESS, re.escape(merchant.base_url) + "/success")
    intent = assert_paid(api, cs, phone, merchant)
    assert phone.text_content("h1") == "Thanks for your order"
    types = events_about(hooks, {cs["id"], intent["id"], intent["latest_charge"]},
                         {"payment_intent.created", "payment_intent.succeeded", "charge.succeeded",
                          "checkout.session.completed"})
    assert types.count("checkout.session.completed") == 1 and "payment_intent.payment_failed" not in types


def test_paid_with_3d_secure_completed(phone: Any, api: httpx.Client, merchant: MerchantSite,
                                       hooks: tuple[Receiver, str]) -> None:
    cs = cart(api, merchant)
    phone.goto(cs["url"])
    check_the_page(phone)
    pay(phone, THREE_DS, r"/3ds/")
    assert api.get(f"/v1/payment_intents/{cs['payment_intent']}").json()["status"] == "requires_action"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with phone.expect_navigation(url=re.compile(re.escape(merchant.base_url) + "/success")):
        phone.click("button[value=complete]")
    intent = assert_paid(api, cs, phone, merchant)
    events_about(hooks, {cs["id"], intent["id"]},
                 {"payment_intent.requires_action", "payment_intent.succeeded", "checkout.session.completed"})


def test_3d_secure_failed_then_the_form_again(phone: Any, api: httpx.Client, merchant: MerchantSite,
                                              hooks: tuple[Receiver, str]) -> None:
    cs = cart(api, merchant)
    phone.goto(cs["url"])
    pay(phone, THREE_DS, r"/3ds/")
    with phone.expect_navigation(url=re.compile(r"/checkout/pay/")):
        phone.click("button[value=fail]")
    assert phone.is_visible("#form-error") and phone.text_content("#form-error")
    assert phone.input_value("#name") == "Ada Lovelace" and phone.input_value("#number") == ""
    check_the_page(phone)
    screenshot(phone, "checkout-payment-failure-375.png")
    session = api.get(f"/v1/checkout/sessions/{cs['id']}").json()
    assert session["status"] == "open" and session["payment_status"] == "unpaid"
    intent = api.get(f"/v1/payment_intents/{cs['payment_intent']}").json()
    assert intent["status"] == "requires_payment_method" and intent["last_payment_error"]
    events_about(hooks, {intent["id"]}, {"payment_intent.payment_failed"})


def test_declined_then_paid_with_another_card(phone: Any, api: httpx.Client, merchant: MerchantSite,
                                              hooks: tuple[Receiver, str]) -> None:
    cs = cart(api, merchant)
    phone.goto(cs["url"])
    type_card(phone, DECLINED)
    with phone.expect_navigation():
        phone.click("#submit")
    assert "/checkout/pay/" in phone.url and "declined" in (phone.text_content("#form-error") or "").lower()
    assert DECLINED not in re.sub(r"\D", "", phone.content())
    check_the_page(phone)
    phone.fill("#number", "")
    pay(phone, FRICTIONLESS, re.escape(merchant.base_url) + "/success")
    intent = assert_paid(api, cs, phone, merchant)
    types = events_about(hooks, {cs["id"], intent["id"]},
                         {"payment_intent.payment_failed", "payment_intent.succeeded",
                          "checkout.session.completed"})
    assert types.count("payment_intent.succeeded") == 1


def test_paid_and_saved_then_charged_off_session(phone: Any, api: httpx.Client, merchant: MerchantSite,
                                                 hooks: tuple[Receiver, str]) -> None:
    cs = cart(api, merchant, customer_email="saver@example.com",
              payment_intent_data={"setup_future_usage": "off_session"})
    phone.goto(cs["url"])
    check_the_page(phone)
    assert "keep this card on file" in phone.text_content(".card")
    pay(phone, FRICTIONLESS, re.escape(merchant.base_url) + "/success")
    intent = assert_paid(api, cs, phone, merchant)
    pm = intent["payment_method"]
    cards = api.get(f"/v1/customers/{cs['customer']}/payment_methods").json()["data"]
    assert [c["id"] for c in cards] == [pm] and cards[0]["card"]["last4"] == "4242"
    later = api.post("/v1/payment_intents", json={"amount": 1200, "currency": "usd",
                                                  "customer": cs["customer"], "payment_method": pm,
                                                  "confirm": True, "off_session": True})
    assert later.status_code == 200 and later.json()["status"] == "succeeded", later.text
    events_about(hooks, {cs["id"], intent["id"], pm, later.json()["id"]},
                 {"payment_method.attached", "checkout.session.completed", "payment_intent.succeeded"})
