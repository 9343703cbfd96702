"""The hosted Checkout page over plain HTTP (no browser): the link's key, security headers, the form token,
server-side validation with the API's messages, declines, 3-D Secure round trip, and no card data echoed."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from support.cards import shows_card_digits
from support.dialects import Dialect
from support.server import PaykeepServer

SUCCESS = "https://merchant.example/done?cs={CHECKOUT_SESSION_ID}"
CANCEL = "https://merchant.example/cancel"
GOOD = {"number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": "34", "cvc": "123",
        "name": "Ada Lovelace"}
MESSAGES = {
    "number": "Your card number is incorrect.",
    "exp_month": "Your card's expiration month is invalid.",
    "exp_year": "Your card's expiration year is invalid.",
    "cvc": "Your card's security code is invalid.",
}


def new_session(api: httpx.Client, **params: Any) -> dict[str, Any]:
    body = {"success_url": SUCCESS, "cancel_url": CANCEL, **params}
    resp = api.post("/v1/checkout/sessions/setup", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, html
    return match.group(1)


def submit(browser: httpx.Client, url: str, fields: dict[str, str],
           csrf: str | None = None) -> httpx.Response:
    if csrf is None:
        csrf = csrf_of(browser.get(url).text)
    return browser.post(url, data={**fields, "csrf_token": csrf})


def error_after(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error slot for {field}"
    return match.group(1).replace("&#39;", "'")


def assert_hosted_headers(resp: httpx.Response) -> None:
    csp = resp.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["referrer-policy"] == "no-referrer"
    assert resp.headers["cache-control"] == "no-store"


@pytest.fixture
def browser() -> Any:
    with httpx.Client(timeout=20, follow_redirects=False) as client:
        yield client


def test_page_shows_a_labelled_form_with_autocomplete_tokens(api: httpx.Client,
                                                             browser: httpx.Client) -> None:
    cs = new_session(api, customer_email="ada@example.com")
    resp = browser.get(cs["url"])
    assert resp.status_code == 200
    assert_hosted_headers(resp)
    html = resp.text
    for field, token in (("number", "cc-number"), ("exp_month", "cc-exp-month"), ("exp_year", "cc-exp-year"),
                         ("cvc", "cc-csc"), ("name", "cc-name")):
        assert re.search(rf'<label[^>]* for="{field}">', html), field
        assert re.search(rf'<input id="{field}" name="{field}"[^>]*autocomplete="{token}"', html), field
    assert "<script src=\"/static/checkout.js\" defer></script>" in html
    assert "<script>" not in html and " on" + "click=" not in html, "no inline script"
    assert 'method="post"' in html and f'href="{CANCEL}"' in html
    assert "ada@example.com" in html
    for message in MESSAGES.values():
        assert message.replace("'", "&#39;") in html, "the JS gets the API's own messages"


def test_static_files_are_served(server: PaykeepServer, browser: httpx.Client) -> None:
    css = browser.get(server.base_url + "/static/checkout.css")
    js = browser.get(server.base_url + "/static/checkout.js")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "@media" in css.text and "brandOf" in js.text


@pytest.mark.parametrize("mangle", ["wrong-key", "no-key", "bad-id", "other-session"])
def test_a_wrong_link_is_not_found(api: httpx.Client, browser: httpx.Client, mangle: str) -> None:
    cs = new_session(api)
    other = new_session(api)
    url = {
        "wrong-key": cs["url"][:-1] + ("0" if cs["url"][-1] != "0" else "1"),
        "no-key": cs["url"].split("?")[0],
        "bad-id": cs["url"].replace("/cs_test_", "/cs_"),
        "other-session": other["url"].split("?")[0] + "?" + cs["url"].split("?")[1],
    }[mangle]
    resp = browser.get(url)
    assert resp.status_code == 404 and "This link is not valid" in resp.text and "<form" not in resp.text
    assert_hosted_headers(resp)
    posted = browser.post(url, data={**GOOD, "csrf_token": "x"})
    assert posted.status_code == 404
    assert api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()["status"] == "requires_payment_method"


def test_a_post_without_the_form_token_saves_nothing(api: httpx.Client, browser: httpx.Client) -> None:
    cs = new_session(api)
    for token in ("", "0" * 64):
        resp = browser.post(cs["url"], data={**GOOD, "csrf_token": token})
        assert resp.status_code == 403 and "This form has expired" in resp.text
        assert not shows_card_digits(resp.text, GOOD["number"].replace(" ", ""))
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "requires_payment_method" and seti["payment_method"] is None
    assert api.get(f"/v1/customers/{cs['customer']}/payment_methods").json()["data"] == []


def test_every_field_is_checked_with_the_api_messages(api: httpx.Client, browser: httpx.Client) -> None:
    cs = new_session(api)
    resp = submit(browser, cs["url"], {"number": "4242 4242 4242 4241", "exp_month": "13", "exp_year": "30",
                                       "cvc": "12", "name": " "})
    assert resp.status_code == 400
    assert_hosted_headers(resp)
    assert error_after(resp.text, "number") == MESSAGES["number"]
    assert error_after(resp.text, "exp_month") == MESSAGES["exp_month"]
    assert error_after(resp.text, "cvc") == MESSAGES["cvc"]
    assert error_after(resp.text, "name") == "Enter the name shown on your card."
    assert 'id="number" name="number"' in resp.text and not shows_card_digits(resp.text, "4242424242424241")
    assert 'value="13"' in resp.text, "expiry and name are kept; number and CVC are not"
    past = submit(browser, cs["url"], {**GOOD, "exp_year": "2001"})
    assert past.status_code == 400 and error_after(past.text, "exp_year") == MESSAGES["exp_year"]
    # The same messages as the API's card errors.
    api_error = api.post("/v1/payment_methods", json={"type": "card", "card": {
        "number": "4242424242424241", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}).json()["error"]
    assert api_error["message"] == MESSAGES["number"]
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "requires_payment_method" and seti["last_setup_error"] is None
    assert api.get(f"/v1/customers/{cs['customer']}/payment_methods").json()["data"] == []


def test_frictionless_card_completes_the_session(api: httpx.Client, browser: httpx.Client,
                                                 server: PaykeepServer, dialect: Dialect) -> None:
    cs = new_session(api)
    resp = submit(browser, cs["url"], GOOD)
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", cs["id"])
    assert resp.headers["referrer-policy"] == "no-referrer"
    done = api.get(f"/v1/checkout/sessions/{cs['id']}").json()
    assert done["status"] == "complete" and done["url"] is None
    assert done["customer_details"]["name"] == "Ada Lovelace"
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "succeeded"
    # made by the page, in the id form of the session it is for
    assert re.fullmatch(dialect.id_re("pm"), seti["payment_method"])
    pms = api.get(f"/v1/customers/{cs['customer']}/payment_methods").json()["data"]
    assert [pm["id"] for pm in pms] == [seti["payment_method"]]
    assert pms[0]["card"]["last4"] == "4242" and pms[0]["billing_details"]["name"] == "Ada Lovelace"
    # Visiting the link again shows a clear page, not a form; posting again changes nothing.
    again = browser.get(cs["url"])
    assert again.status_code == 200 and "Your card has been saved" in again.text and "<form" not in again.text
    other_token = csrf_of(browser.get(new_session(api)["url"]).text)
    repost = browser.post(cs["url"], data={**GOOD, "csrf_token": other_token})
    assert repost.status_code in (200, 403) and "<form" not in repost.text
    assert len(api.get(f"/v1/customers/{cs['customer']}/payment_methods").json()["data"]) == 1
    events = api.get("/v1/events", params={"type": "checkout.session.completed", "limit": 100}).json()["data"]
    mine = [e for e in events if e["data"]["object"]["id"] == cs["id"]]
    assert len(mine) == 1 and mine[0]["data"]["object"]["status"] == "complete"
    assert re.fullmatch(dialect.id_re("evt"), mine[0]["id"])
    assert abs(mine[0]["created"] - dialect.now()) <= dialect.ts(60_000)
    assert mine[0]["request"]["id"] is None, "caused by the hosted page, not by an API request"
    assert "4242424242424242" not in server.logs() and "4242 4242 4242 4242" not in server.logs()


def test_a_declined_card_shows_the_decline_and_a_second_card_works(api: httpx.Client,
                                                                   browser: httpx.Client) -> None:
    cs = new_session(api)
    declined = submit(browser, cs["url"], {**GOOD, "number": "4000000000000002"})
    assert declined.status_code == 402
    assert "Your card was declined" in declined.text and "4000000000000002" not in declined.text
    # not even its last four: as a word of their own (ids and tokens on the page may hold those digits)
    assert re.search(r"(?<!\w)0002(?!\w)", declined.text) is None
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "requires_payment_method" and seti["last_setup_error"]["code"] == "card_declined"
    assert api.get(f"/v1/checkout/sessions/{cs['id']}").json()["status"] == "open"
    ok = submit(browser, cs["url"], {**GOOD, "number": "5555555555554444"})
    assert ok.status_code == 303 and cs["id"] in ok.headers["location"]
    assert api.get(f"/v1/checkout/sessions/{cs['id']}").json()["status"] == "complete"


@pytest.mark.parametrize("outcome", ["complete", "fail"])
def test_challenge_round_trip(api: httpx.Client, browser: httpx.Client, outcome: str) -> None:
    cs = new_session(api)
    resp = submit(browser, cs["url"], {**GOOD, "number": "4462030000000000"})
    assert resp.status_code == 303
    challenge_url = resp.headers["location"]
    assert "/3ds/" in challenge_url
    assert api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()["status"] == "requires_action"
    # Back on the page before answering: a link to continue the verification.
    waiting = browser.get(cs["url"])
    assert waiting.status_code == 200 and challenge_url in waiting.text
    page = browser.get(challenge_url)  # its form may lead on to the merchant's success_url (a 303 chain)
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert " https://merchant.example" in page.headers["content-security-policy"].split("form-action", 1)[1]
    answered = browser.post(challenge_url, data={"outcome": outcome})
    assert answered.status_code == 303
    back = answered.headers["location"]
    assert back.startswith(cs["url"] + "&setup_intent=" + cs["setup_intent"])
    status = "succeeded" if outcome == "complete" else "failed"
    assert parse_qs(urlsplit(back).query)["redirect_status"] == [status]
    finished = browser.get(back)
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    session = api.get(f"/v1/checkout/sessions/{cs['id']}").json()
    if outcome == "complete":
        # Straight on to the merchant's success_url, as after a card that needed no challenge.
        success = SUCCESS.replace("{CHECKOUT_SESSION_ID}", cs["id"])
        assert finished.status_code == 303 and finished.headers["location"] == success
        assert seti["status"] == "succeeded" and session["status"] == "complete"
    else:
        assert finished.status_code == 200 and "<form" in finished.text
        assert "could not confirm that it was you" in finished.text  # worded for the cardholder (issue 19)
        assert "latest attempt" not in finished.text and "Ada Lovelace" in finished.text
        assert seti["status"] == "requires_payment_method" and session["status"] == "open"
        assert api.get(f"/v1/customers/{cs['customer']}/payment_methods").json()["data"] == []


def test_an_expired_session_shows_a_clear_page(api: httpx.Client, browser: httpx.Client) -> None:
    cs = new_session(api)
    csrf = csrf_of(browser.get(cs["url"]).text)
    assert api.post(f"/v1/checkout/sessions/{cs['id']}/expire").status_code == 200
    page = browser.get(cs["url"])
    assert page.status_code == 410 and "This checkout session has expired" in page.text
    assert "<form" not in page.text and f'href="{CANCEL}"' in page.text
    assert_hosted_headers(page)
    late = submit(browser, cs["url"], GOOD, csrf=csrf)
    assert late.status_code == 410 and "<form" not in late.text
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "canceled" and seti["payment_method"] is None
