"""Hosted pages speak to the cardholder (issue 19): every failure on the Checkout page in the cardholder's
words, never the API's developer message; what can be kept is kept (name, expiry; never the number or CVC);
every terminal page has a way back to the merchant; a favicon is served and linked."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from support.dialects import Dialect
from support.server import PaykeepServer

SUCCESS = "https://merchant.example/done?cs={CHECKOUT_SESSION_ID}"
CANCEL = "https://merchant.example/cancel"
GOOD = {"exp_month": "07", "exp_year": "2034", "cvc": "123", "name": "Ada Lovelace"}
# Words of the API, not of a cardholder: none may reach a hosted page.
JARGON = ("latest attempt", "payment method", "paymentmethod", "setupintent", "setup_intent",
          "card_declined", "_decline", "insufficient_funds", "authentication_failure", "processing_error",
          "incorrect_cvc", "expired_card", "error.", "api")


def new_session(api: httpx.Client, **params: Any) -> dict[str, Any]:
    resp = api.post("/v1/checkout/sessions/setup", json={"success_url": SUCCESS, "cancel_url": CANCEL,
                                                         **params})
    assert resp.status_code == 200, resp.text
    return resp.json()


def submit(browser: httpx.Client, url: str, fields: dict[str, str]) -> httpx.Response:
    page = browser.get(url).text
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert csrf, page
    return browser.post(url, data={**fields, "csrf_token": csrf.group(1)})


def form_error(page: str) -> str:
    found = re.search(r'<div class="form-error" id="form-error" role="alert">([^<]*)</div>', page)
    assert found, "no visible form error"
    return html.unescape(found.group(1))


def value_of(page: str, field: str) -> str:
    found = re.search(rf'<input id="{field}" name="{field}"[^>]*>', page, re.S)
    assert found, field
    value = re.search(r'value="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value else ""


def assert_for_a_cardholder(message: str, api_message: str | None) -> None:
    lowered = message.lower()
    for word in JARGON:
        assert word not in lowered, (word, message)
    assert message != api_message


@pytest.fixture
def browser() -> Any:
    with httpx.Client(timeout=20, follow_redirects=False) as client:
        yield client


@pytest.mark.parametrize(("number", "wording"), [
    ("4000000000000002", "Your card was declined. Try another card"),
    ("4000000000009987", "Your card was declined. Try another card"),  # lost card: an ordinary decline
    ("4000000000009995", "insufficient funds. Try another card"),
    ("4000000000000069", "Your card has expired. Check the expiry date"),
    ("4000000000000127", "The security code is incorrect"),
    ("4000000000000119", "Something went wrong while checking your card, and nothing was saved"),
])
def test_each_decline_is_worded_for_the_cardholder_and_the_form_keeps_name_and_expiry(
        api: httpx.Client, browser: httpx.Client, number: str, wording: str) -> None:
    cs = new_session(api)
    resp = submit(browser, cs["url"], {**GOOD, "number": number})
    assert resp.status_code == 402
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    message = form_error(resp.text)
    assert wording in message
    assert_for_a_cardholder(message, seti["last_setup_error"]["message"])
    assert value_of(resp.text, "name") == "Ada Lovelace"
    assert (value_of(resp.text, "exp_month"), value_of(resp.text, "exp_year")) == ("07", "2034")
    assert value_of(resp.text, "number") == "" and value_of(resp.text, "cvc") == ""
    assert number not in resp.text


def _through_challenge(api: httpx.Client, browser: httpx.Client, number: str, outcome: str,
                       ) -> tuple[dict[str, Any], str, httpx.Response]:
    cs = new_session(api)
    sent = submit(browser, cs["url"], {**GOOD, "number": number})
    assert sent.status_code == 303 and "/3ds/" in sent.headers["location"]
    challenge = sent.headers["location"]
    answered = browser.post(challenge, data={"outcome": outcome})
    assert answered.status_code == 303
    back = browser.get(answered.headers["location"])
    return cs, challenge, back


@pytest.mark.parametrize(("number", "outcome", "wording"), [
    ("4462030000000000", "fail", "Your bank could not confirm that it was you, so your card was not saved"),
    ("4000008260003178", "complete", "insufficient funds. Try another card"),
])
def test_after_a_failed_challenge_checkout_says_why_and_keeps_name_and_expiry(
        api: httpx.Client, browser: httpx.Client, number: str, outcome: str, wording: str) -> None:
    cs, _challenge, back = _through_challenge(api, browser, number, outcome)
    assert back.status_code == 200 and "<form" in back.text
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "requires_payment_method"
    message = form_error(back.text)
    assert wording in message
    assert_for_a_cardholder(message, seti["last_setup_error"]["message"])
    assert "The latest attempt to set up the payment method has failed" not in back.text
    assert value_of(back.text, "name") == "Ada Lovelace"
    assert (value_of(back.text, "exp_month"), value_of(back.text, "exp_year")) == ("07", "2034")
    assert value_of(back.text, "number") == "" and value_of(back.text, "cvc") == ""
    assert number not in back.text


def test_an_answered_challenge_links_back_to_the_merchant(api: httpx.Client, browser: httpx.Client) -> None:
    cs, challenge, _back = _through_challenge(api, browser, "4462030000000000", "complete")
    again = browser.get(challenge)
    assert again.status_code == 409 and "Already answered" in again.text
    link = re.search(r'<a class="back" id="back-link" href="([^"]+)">([^<]+)</a>', again.text)
    assert link, again.text
    assert html.unescape(link.group(2)) == "Return to paykeep test merchant"
    url = html.unescape(link.group(1))
    assert url.startswith(cs["url"] + "&setup_intent=" + cs["setup_intent"])
    assert parse_qs(urlsplit(url).query)["redirect_status"] == ["succeeded"]
    onward = browser.get(url)  # the Checkout page sends the cardholder on to the merchant's success_url
    assert onward.status_code == 303
    assert onward.headers["location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", cs["id"])
    posted = browser.post(challenge, data={"outcome": "fail"})  # answering twice: same page, same way back
    assert posted.status_code == 409 and 'id="back-link"' in posted.text


def test_a_payment_challenge_answered_twice_links_to_the_return_url(api: httpx.Client, browser: httpx.Client,
                                                                    dialect: Dialect) -> None:
    customer = api.post("/v1/customers", data={"email": "twice@example.com"}).json()["id"]
    resp = api.post("/v1/payment_intents", json={
        "amount": 1200, "currency": "usd", "confirm": True, "customer": customer,
        "payment_method_data": {"type": "card", "card": {"number": "4462030000000000", "exp_month": 7,
                                                         "exp_year": 2034, "cvc": "123"}},
        "return_url": "https://merchant.example/paid?order=7"})
    pi = resp.json()
    assert pi["status"] == "requires_action", resp.text
    challenge = dialect.challenge_url(pi)
    assert browser.post(challenge, data={"outcome": "fail"}).status_code == 303
    again = browser.get(challenge)
    link = re.search(r'id="back-link" href="([^"]+)"', again.text)
    assert again.status_code == 409 and link
    query = parse_qs(urlsplit(html.unescape(link.group(1))).query)
    assert query["order"] == ["7"] and query["payment_intent"] == [pi["id"]]
    assert query["redirect_status"] == ["failed"]


def test_an_unknown_challenge_link_has_no_merchant_to_link(browser: httpx.Client,
                                                           server: PaykeepServer) -> None:
    page = browser.get(server.base_url + "/3ds/tds_1234567890123456789_secret_" + "a" * 32)
    assert page.status_code == 404 and 'id="back-link"' not in page.text


def test_an_expired_session_without_cancel_url_links_to_the_merchants_site(api: httpx.Client,
                                                                           browser: httpx.Client) -> None:
    resp = api.post("/v1/checkout/sessions/setup", json={"success_url": SUCCESS})
    cs = resp.json()
    assert api.post(f"/v1/checkout/sessions/{cs['id']}/expire").status_code == 200
    page = browser.get(cs["url"])
    assert page.status_code == 410
    assert 'id="closed-link" href="https://merchant.example/"' in page.text


def test_the_favicon_is_served_and_linked_from_hosted_pages(api: httpx.Client, browser: httpx.Client,
                                                            server: PaykeepServer) -> None:
    icon = browser.get(server.base_url + "/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    cs = new_session(api)
    assert '<link rel="icon" href="/favicon.ico">' in browser.get(cs["url"]).text
    sent = submit(browser, cs["url"], {**GOOD, "number": "4462030000000000"})
    assert '<link rel="icon" href="/favicon.ico">' in browser.get(sent.headers["location"]).text
