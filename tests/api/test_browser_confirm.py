"""The API for the browser (issue 15, docs/browser-api.md): a publishable key together with an intent's
client_secret confirms that intent and reads its client-side view, as Stripe.js does (form-encoded, the key as
the `key` parameter, Stripe.js's own bookkeeping parameters tolerated); nothing else opens to it. A card that
asks for 3-D Secure gives a URL the script opens in a frame; answered there, the page tells its parent window.
In each dialect."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from support.assertions import assert_error
from support.cards import form_pairs, standalone
from support.databases import dump_database_bytes
from support.dialects import Dialect
from support.payments import RETURN_URL, card, customer
from support.server import PaykeepServer

FRICTIONLESS = "4242424242424242"
THREE_DS = "4000002760003184"
DECLINED = "4000000000000002"
SENTINEL = "4111111111111111"  # typed in a "browser" only: must never be stored, logged or answered
# what the client-side views leave out (Stripe's: no customer, no metadata, ...)
PRIVATE = ("metadata", "customer", "latest_charge", "payment_method_options", "return_url")
# what Stripe.js sends beside the API's own parameters
BOOKKEEPING = {"_stripe_version": "2024-06-20", "guid": "g-1", "muid": "m-1", "sid": "s-1",
               "payment_user_agent": "stripe.js/v3; paykeep.js", "time_on_page": "1234",
               "referrer": "https://shop.example/checkout", "expected_payment_method_type": "card"}


@pytest.fixture
def browser(server: PaykeepServer) -> Iterator[httpx.Client]:
    """What a merchant page's script has: no Authorization header at all (the key goes in the body)."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


def form(params: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode(form_pairs(params))


def browser_post(client: httpx.Client, path: str, params: dict[str, Any]) -> httpx.Response:
    """A Stripe.js-style POST: form-encoded, bracket notation."""
    return client.post(path, content=form(params),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})


def card_data(number: str) -> dict[str, Any]:
    return {"type": "card", "card": card(number), "guid": "g-1", "payment_user_agent": "stripe.js/v3"}


def new_intent(api: httpx.Client, kind: str, **params: Any) -> dict[str, Any]:
    if kind == "setup_intents":
        params.setdefault("customer", customer(api))
        resp = api.post("/v1/setup_intents", json={"metadata": {"order": "7"}, **params})
    else:
        resp = api.post("/v1/payment_intents", json={"amount": 2300, "currency": "usd",
                                                     "metadata": {"order": "7"}, **params})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def confirm(client: httpx.Client, server: PaykeepServer, kind: str, intent: dict[str, Any],
            **params: Any) -> httpx.Response:
    body = {"key": server.pk, "client_secret": intent["client_secret"], **params}
    return browser_post(client, f"/v1/{kind}/{intent['id']}/confirm", body)


def assert_public(view: dict[str, Any], kind: str) -> None:
    assert view["object"] == kind[:-1], view
    for name in PRIVATE:
        assert name not in view, (name, view)


KINDS = ("setup_intents", "payment_intents")


# -- frictionless ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_confirm_with_payment_method_data_and_the_key_in_the_body(api: httpx.Client, browser: httpx.Client,
                                                                  server: PaykeepServer, kind: str) -> None:
    intent = new_intent(api, kind)
    resp = confirm(browser, server, kind, intent, payment_method_data=card_data(FRICTIONLESS),
                   use_stripe_sdk="true", **BOOKKEEPING)
    assert resp.status_code == 200, resp.text
    view = resp.json()
    assert view["id"] == intent["id"] and view["status"] == "succeeded"
    assert view["client_secret"] == intent["client_secret"]
    assert view["payment_method"].startswith("pm_")
    assert_public(view, kind)
    full = api.get(f"/v1/{kind}/{intent['id']}").json()  # the merchant's server sees all of it
    assert full["status"] == "succeeded" and full["metadata"] == {"order": "7"}
    if kind == "setup_intents":  # saved to the intent's customer
        cards = api.get(f"/v1/customers/{full['customer']}/payment_methods").json()["data"]
        assert [pm["id"] for pm in cards] == [view["payment_method"]]


@pytest.mark.parametrize("kind", KINDS)
def test_confirm_with_a_payment_method_the_publishable_key_created(api: httpx.Client, browser: httpx.Client,
                                                                   server: PaykeepServer, kind: str) -> None:
    made = browser_post(browser, "/v1/payment_methods", {"key": server.pk, **card_data(FRICTIONLESS),
                                                         "_stripe_version": "2024-06-20"})
    assert made.status_code == 200, made.text
    pm = made.json()
    assert pm["id"].startswith("pm_") and pm["card"]["last4"] == "4242"
    intent = new_intent(api, kind)
    resp = confirm(browser, server, kind, intent, payment_method=pm["id"], return_url=RETURN_URL)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "succeeded" and resp.json()["payment_method"] == pm["id"]
    # the same with the key in an Authorization header instead (and a JSON body)
    again = new_intent(api, kind)
    with server.client(server.pk) as public:
        other = public.post(f"/v1/{kind}/{again['id']}/confirm",
                            json={"client_secret": again["client_secret"], "payment_method_data": {
                                "type": "card", "card": card(FRICTIONLESS)}})
    assert other.status_code == 200 and other.json()["status"] == "succeeded", other.text
    assert_public(other.json(), kind)


def test_save_payment_method_saves_the_card_to_the_customer(api: httpx.Client, browser: httpx.Client,
                                                            server: PaykeepServer) -> None:
    cus = customer(api)
    intent = new_intent(api, "payment_intents", customer=cus)
    resp = confirm(browser, server, "payment_intents", intent, payment_method_data=card_data(FRICTIONLESS),
                   save_payment_method="true")
    assert resp.status_code == 200 and resp.json()["status"] == "succeeded", resp.text
    saved = api.get(f"/v1/customers/{cus}/payment_methods").json()["data"]
    assert [pm["id"] for pm in saved] == [resp.json()["payment_method"]]
    unsaved = new_intent(api, "payment_intents", customer=customer(api))
    plain = confirm(browser, server, "payment_intents", unsaved, payment_method_data=card_data(FRICTIONLESS))
    assert plain.status_code == 200
    assert api.get(f"/v1/customers/{unsaved['customer']}/payment_methods").json()["data"] == []


def test_expand_payment_method_only(api: httpx.Client, browser: httpx.Client, server: PaykeepServer) -> None:
    intent = new_intent(api, "payment_intents")
    resp = confirm(browser, server, "payment_intents", intent, payment_method_data=card_data(FRICTIONLESS),
                   expand=["payment_method"])
    assert resp.status_code == 200, resp.text
    assert resp.json()["payment_method"]["card"]["last4"] == "4242"
    other = new_intent(api, "payment_intents")
    refused = confirm(browser, server, "payment_intents", other, payment_method_data=card_data(FRICTIONLESS),
                      expand=["customer"])
    assert_error(refused, 400, param="expand")
    assert api.get(f"/v1/payment_intents/{other['id']}").json()["status"] == "requires_payment_method"


# -- 3-D Secure: a URL for the modal's frame --------------------------------------------------------------
def frame_url_of(view: dict[str, Any], dialect: Dialect) -> str:
    action = view["next_action"]
    if dialect.is_stripe:
        assert action["type"] == "use_stripe_sdk", action
        assert action["use_stripe_sdk"]["type"] == "three_d_secure_redirect"
        url = str(action["use_stripe_sdk"]["stripe_js"])
        assert url.endswith("?frame=1"), url  # the framable variant, as it is
        return url
    assert action["type"] == "challenge_redirect", action
    assert action["challenge_redirect"]["return_url"] is None  # nowhere to send a framed cardholder
    return str(action["challenge_redirect"]["url"]) + "?frame=1"


def assert_framable(resp: httpx.Response) -> str:
    csp = resp.headers["content-security-policy"]
    assert "frame-ancestors *" in csp and "x-frame-options" not in resp.headers, resp.headers
    return csp


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("outcome", ["complete", "fail"])
def test_a_challenge_for_the_browser_opens_in_a_frame_and_tells_the_parent(
        api: httpx.Client, browser: httpx.Client, server: PaykeepServer, dialect: Dialect, kind: str,
        outcome: str) -> None:
    intent = new_intent(api, kind)
    resp = confirm(browser, server, kind, intent, payment_method_data=card_data(THREE_DS),
                   use_stripe_sdk="true")
    assert resp.status_code == 200, resp.text
    view = resp.json()
    assert view["status"] == "requires_action"
    assert_public(view, kind)
    url = frame_url_of(view, dialect)
    assert url.startswith(server.base_url + "/3ds/tds_")
    page = httpx.get(url, timeout=30)
    assert page.status_code == 200 and 'value="complete"' in page.text
    csp = assert_framable(page)
    assert "script-src" not in csp  # the question itself runs no script
    done = httpx.post(url, data={"outcome": outcome}, timeout=30, follow_redirects=False)
    assert done.status_code == 200, (done.status_code, done.headers, done.text)  # no redirect, framed
    csp = assert_framable(done)
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+';", csp), csp
    assert f'data-intent="{intent["id"]}"' in done.text and f'data-outcome="{outcome}"' in done.text
    assert "paykeep:3ds-complete" in done.text and "window.parent.postMessage" in done.text
    assert f'<h1 id="done" data-outcome="{outcome}">' in done.text
    after = browser.get(f"/v1/{kind}/{intent['id']}",
                        params={"key": server.pk, "client_secret": intent["client_secret"]})
    assert after.status_code == 200, after.text
    if outcome == "complete":
        assert after.json()["status"] == "succeeded"
    else:
        assert after.json()["status"] == "requires_payment_method"
    again = httpx.post(url, data={"outcome": "complete"}, timeout=30)  # answered once: the parent is told
    assert again.status_code == 409 and f'data-intent="{intent["id"]}"' in again.text
    assert_framable(again)


def test_only_the_frame_variant_may_be_framed(api: httpx.Client, server: PaykeepServer,
                                              dialect: Dialect) -> None:
    """A server's confirm with a return_url: the full-page challenge refuses frames and redirects; its
    `?frame=1` variant may be framed and, answered, redirects nowhere."""
    made = api.post("/v1/payment_intents", json={
        "amount": 1200, "currency": "usd", "confirm": True, "return_url": RETURN_URL,
        "payment_method_data": {"type": "card", "card": card(THREE_DS)}})
    assert made.status_code == 200, made.text
    url = dialect.challenge_url(made.json())
    page = httpx.get(url, timeout=30)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    framed = httpx.get(url + "?frame=1", timeout=30)
    assert_framable(framed)
    done = httpx.post(url + "?frame=1", data={"outcome": "complete"}, timeout=30, follow_redirects=False)
    assert done.status_code == 200 and "paykeep:3ds-complete" in done.text, done.text
    assert api.get(f"/v1/payment_intents/{made.json()['id']}").json()["status"] == "succeeded"


def test_a_stripe_dialect_confirm_with_a_return_url_and_no_sdk_redirects(
        api: httpx.Client, browser: httpx.Client, server: PaykeepServer, dialect: Dialect) -> None:
    """Without use_stripe_sdk, a return_url gives the full-page flow (Stripe.js's `redirect: 'always'`)."""
    intent = new_intent(api, "setup_intents")
    resp = confirm(browser, server, "setup_intents", intent, payment_method_data=card_data(THREE_DS),
                   return_url=RETURN_URL)
    assert resp.status_code == 200, resp.text
    url = dialect.challenge_url(resp.json())
    done = httpx.post(url, data={"outcome": "complete"}, timeout=30, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(RETURN_URL)


# -- declines ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_a_decline_embeds_the_client_side_view(api: httpx.Client, browser: httpx.Client,
                                               server: PaykeepServer, kind: str) -> None:
    intent = new_intent(api, kind)
    resp = confirm(browser, server, kind, intent, payment_method_data=card_data(DECLINED))
    error = assert_error(resp, 402, "card_declined", type_="card_error")
    assert error["decline_code"] == "generic_decline"
    embedded = error[kind[:-1]]
    assert embedded["id"] == intent["id"] and embedded["status"] == "requires_payment_method"
    assert_public(embedded, kind)
    assert error["payment_method"]["card"]["last4"] == "0002"


# -- refused -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_wrong_or_missing_client_secret(api: httpx.Client, browser: httpx.Client, server: PaykeepServer,
                                        kind: str) -> None:
    intent = new_intent(api, kind)
    other = new_intent(api, kind)
    data = card_data(FRICTIONLESS)
    for wrong in (intent["id"] + "_secret_x", other["client_secret"]):
        resp = browser_post(browser, f"/v1/{kind}/{intent['id']}/confirm",
                            {"key": server.pk, "client_secret": wrong, "payment_method_data": data})
        assert_error(resp, 400, param="client_secret")
    missing = browser_post(browser, f"/v1/{kind}/{intent['id']}/confirm",
                           {"key": server.pk, "payment_method_data": data})
    assert_error(missing, 400, "parameter_missing", param="client_secret")
    assert api.get(f"/v1/{kind}/{intent['id']}").json()["status"] == "requires_payment_method"
    assert api.get(f"/v1/customers/{intent.get('customer')}/payment_methods").status_code in (200, 404)
    unknown_id = intent["id"][:-1] + ("8" if intent["id"].endswith("9") else "9")  # never the same id
    unknown = confirm(browser, server, kind, {"id": unknown_id, "client_secret": "x"})
    assert_error(unknown, 404, "resource_missing")


@pytest.fixture(scope="module")
def other_account(server: PaykeepServer) -> dict[str, Any]:
    made = server.cli("accounts", "create", "--json", "--name", "another shop")
    return dict(json.loads(made.stdout))


@pytest.mark.parametrize("kind", KINDS)
def test_another_accounts_intent_is_missing(api: httpx.Client, browser: httpx.Client, server: PaykeepServer,
                                            other_account: dict[str, Any], kind: str) -> None:
    intent = new_intent(api, kind)
    stranger = other_account["test"]["publishable_key"]
    body = {"key": stranger, "client_secret": intent["client_secret"],
            "payment_method_data": card_data(FRICTIONLESS)}
    assert_error(browser_post(browser, f"/v1/{kind}/{intent['id']}/confirm", body), 404, "resource_missing")
    read = browser.get(f"/v1/{kind}/{intent['id']}",
                       params={"key": stranger, "client_secret": intent["client_secret"]})
    assert_error(read, 404, "resource_missing")
    live = {**body, "key": server.keys["live"]["publishable_key"]}  # the other mode: invisible too
    assert_error(browser_post(browser, f"/v1/{kind}/{intent['id']}/confirm", live), 404, "resource_missing")
    assert api.get(f"/v1/{kind}/{intent['id']}").json()["status"] == "requires_payment_method"


def test_nothing_else_opens_to_a_publishable_key(api: httpx.Client, browser: httpx.Client,
                                                 server: PaykeepServer) -> None:
    seti = new_intent(api, "setup_intents")
    pi = new_intent(api, "payment_intents")
    secret = {"client_secret": pi["client_secret"]}
    with server.client(server.pk) as public:
        for method, path in [("POST", f"/v1/setup_intents/{seti['id']}/cancel"),
                             ("POST", f"/v1/setup_intents/{seti['id']}"),
                             ("POST", f"/v1/payment_intents/{pi['id']}/cancel"),
                             ("POST", f"/v1/payment_intents/{pi['id']}/capture"),
                             ("POST", f"/v1/payment_intents/{pi['id']}"),
                             ("GET", "/v1/payment_intents"),
                             ("GET", "/v1/payment_methods"),
                             ("POST", "/v1/customers")]:
            resp = public.request(method, path, data={"client_secret": secret["client_secret"]}
                                  if method == "POST" else None)
            assert_error(resp, 403, "secret_key_required")
    # the key as a body parameter opens nothing either: only a browser's endpoints read it
    closed = browser_post(browser, f"/v1/payment_intents/{pi['id']}/cancel", {"key": server.pk, **secret})
    assert_error(closed, 401)
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == "requires_payment_method"


def test_the_key_parameter(api: httpx.Client, browser: httpx.Client, server: PaykeepServer) -> None:
    intent = new_intent(api, "setup_intents")
    # a secret key does not go in a body or a URL
    resp = browser_post(browser, f"/v1/setup_intents/{intent['id']}/confirm",
                        {"key": server.sk, "client_secret": intent["client_secret"]})
    assert_error(resp, 401)
    got = browser.get(f"/v1/setup_intents/{intent['id']}", params={"key": server.sk})
    assert_error(got, 401)
    # a GET with the publishable key in the query, as Stripe.js's retrieveSetupIntent
    read = browser.get(f"/v1/setup_intents/{intent['id']}",
                       params={"key": server.pk, "client_secret": intent["client_secret"],
                               "_stripe_version": "2024-06-20"})
    assert read.status_code == 200 and read.json()["id"] == intent["id"], read.text
    assert_public(read.json(), "setup_intents")
    # no key at all
    assert_error(browser.get(f"/v1/setup_intents/{intent['id']}",
                             params={"client_secret": intent["client_secret"]}), 401)
    # Connect's account parameter is refused, not ignored
    connect = confirm(browser, server, "setup_intents", intent, _stripe_account="acct_1")
    assert_error(connect, 400, "parameter_unsupported", param="_stripe_account")
    # with a secret key the browser's parameters are what they always were: unknown
    with server.client() as secret:
        unknown = secret.post(f"/v1/setup_intents/{intent['id']}/confirm", data={"guid": "g-1"})
    assert_error(unknown, 400, "parameter_unknown", param="guid")


def test_a_secret_key_confirm_is_unchanged(api: httpx.Client) -> None:
    intent = new_intent(api, "payment_intents")
    resp = api.post(f"/v1/payment_intents/{intent['id']}/confirm", json={
        "payment_method_data": {"type": "card", "card": card(FRICTIONLESS)}, "return_url": RETURN_URL})
    assert resp.status_code == 200, resp.text
    assert resp.json()["metadata"] == {"order": "7"} and "latest_charge" in resp.json()
    declined = new_intent(api, "setup_intents")
    refused = api.post(f"/v1/setup_intents/{declined['id']}/confirm", json={
        "payment_method_data": {"type": "card", "card": card(DECLINED)}})
    error = assert_error(refused, 402, "card_declined", type_="card_error")
    assert error["setup_intent"]["metadata"] == {"order": "7"}  # the full object for a secret key


def test_no_card_number_is_kept_or_answered(api: httpx.Client, browser: httpx.Client,
                                            server: PaykeepServer) -> None:
    """A card typed into a browser: not in any answer, the server's log or the database."""
    intent = new_intent(api, "setup_intents")
    data = {"type": "card", "card": {**card(SENTINEL), "cvc": "913"}}
    resp = confirm(browser, server, "setup_intents", intent, payment_method_data=data)
    assert resp.status_code == 200, resp.text
    bad = confirm(browser, server, "setup_intents", new_intent(api, "setup_intents"),
                  payment_method_data={"type": "card", "card": {**card(SENTINEL), "cvc": "913",
                                                                "bogus": "1"}})
    assert bad.status_code == 400
    for text in (resp.text, bad.text, server.logs()):
        assert not standalone(SENTINEL).search(text)
    stored = dump_database_bytes(server.db_url)
    assert SENTINEL.encode() not in stored
