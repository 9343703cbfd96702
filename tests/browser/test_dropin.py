"""paykeep.js (API.md §10, docs/dropin.md) in Chromium: a merchant's page on an origin of its own
loads `<paykeep>/v3/`, mounts card Elements (frames served by paykeep) and runs Stripe.js's calls against
paykeep, in both dialects (one server per dialect, shared by the module's tests).

The merchant's side is tests/browser/dropin_merchant/ (its page sends the CSP docs/dropin.md gives merchants);
the merchant's server-side steps (creating intents, a server-side confirm) are done here with the secret key.
The last test reads what the merchant's origin got through all of them: no card number, no CVC."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from dropin_merchant.site import CVC, POSTAL, Site, card_frame, hostile_site, shop_site, type_card

from support.cards import standalone
from support.payments import RETURN_URL, card, customer, save_card
from support.screenshots import screenshot_dir
from support.server import PaykeepServer

pytestmark = pytest.mark.browser

FRICTIONLESS = "4242424242424242"
THREE_DS = "4000002760003184"
DECLINED = "4000000000000002"
TYPED = (FRICTIONLESS, THREE_DS, DECLINED)  # every number typed into an Element in this module
SCREENSHOTS = screenshot_dir()
_SEEN: dict[str, list[str]] = {"dom": [], "console": []}  # the merchant page's DOM snapshots and console


@pytest.fixture(scope="module", params=["wooshpay", "stripe"])
def paykeep(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PaykeepServer]:
    srv = PaykeepServer(tmp_path_factory.mktemp(f"dropin-{request.param}"), dialect=request.param).start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def hostile() -> Iterator[Site]:
    site = hostile_site()
    yield site
    site.close()


@pytest.fixture(scope="module")
def shop(paykeep: PaykeepServer, hostile: Site) -> Iterator[Site]:
    site = shop_site(paykeep.base_url, paykeep.pk, hostile.base_url)
    yield site
    site.close()


@pytest.fixture
def api(paykeep: PaykeepServer) -> Iterator[httpx.Client]:
    with paykeep.client() as client:
        yield client


@pytest.fixture
def tab(page: Any, shop: Site) -> Iterator[Any]:
    """The merchant's page, loaded; its console kept, its DOM kept when the test ends (for the leak test)."""
    page.on("console", lambda msg: _SEEN["console"].append(msg.text))
    page.on("pageerror", lambda err: _SEEN["console"].append(f"pageerror: {err}"))
    page.goto(shop.base_url + "/")
    page.wait_for_function("() => window.stripe && window.mountElement")
    yield page
    with contextlib.suppress(Exception):  # the page may be gone
        _SEEN["dom"].append(page.content())


def mount(
    tab: Any,
    kind: str = "card",
    selector: str = "#card-element",
    options: dict[str, Any] | None = None,
    group: dict[str, Any] | None = None,
) -> None:
    tab.evaluate("([k, s, o, g]) => mountElement(k, s, o, g)", [kind, selector, options or {}, group or {}])


def start(tab: Any, body: str, *args: Any) -> None:
    """Run `body` (a JS expression using `stripe`, `shopElements`, and `a`: the args) without waiting."""
    tab.evaluate(f"(a) => startCall(() => {body})", list(args))


def result(tab: Any) -> dict[str, Any]:
    return dict(tab.evaluate("() => shopResult()"))


def call(tab: Any, body: str, *args: Any) -> dict[str, Any]:
    start(tab, body, *args)
    return result(tab)


def setup_intent(api: httpx.Client, **params: Any) -> dict[str, Any]:
    params.setdefault("customer", customer(api))
    resp = api.post("/v1/setup_intents", json=params)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def payment_intent(api: httpx.Client, **params: Any) -> dict[str, Any]:
    resp = api.post("/v1/payment_intents", json={"amount": 2300, "currency": "usd", **params})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def answer_modal(tab: Any, outcome: str) -> None:
    tab.wait_for_selector("#paykeep-3ds-modal iframe")
    challenge = tab.frame_locator("#paykeep-3ds-modal iframe")
    challenge.locator(f'button[name="outcome"][value="{outcome}"]').click()


def saved_cards(api: httpx.Client, customer_id: str) -> list[dict[str, Any]]:
    return list(api.get(f"/v1/customers/{customer_id}/payment_methods").json()["data"])


# -- the script itself ---------------------------------------------------------------------------------------
def test_the_script_is_served_as_javascript(paykeep: PaykeepServer) -> None:
    for path in ("/v3/", "/v3", "/js/paykeep.js"):
        resp = httpx.get(paykeep.base_url + path, timeout=30)
        assert resp.status_code == 200, path
        assert resp.headers["content-type"].startswith("text/javascript")
        assert "max-age=" in resp.headers["cache-control"] and resp.headers["etag"]
        assert "window.WooshPay = Stripe" in resp.text
    again = httpx.get(paykeep.base_url + "/v3/", headers={"If-None-Match": resp.headers["etag"]}, timeout=30)
    assert again.status_code == 304
    frame = httpx.get(paykeep.base_url + "/elements/card", timeout=30)
    assert frame.status_code == 200 and "frame-ancestors *" in frame.headers["content-security-policy"]
    assert "script-src 'self'" in frame.headers["content-security-policy"]
    assert httpx.get(paykeep.base_url + "/elements/bogus", timeout=30).status_code == 404


def test_window_stripe_and_wooshpay(tab: Any) -> None:
    info = tab.evaluate("""() => ({same: window.Stripe === window.WooshPay,
        methods: ['elements', 'createPaymentMethod', 'confirmCardSetup', 'confirmCardPayment',
                  'handleCardSetup', 'handleCardPayment', 'handleCardAction', 'handleNextAction',
                  'confirmSetup', 'confirmPayment',
                  'retrieveSetupIntent', 'retrievePaymentIntent', 'createToken']
                 .filter(m => typeof stripe[m] !== 'function'),
        secret: (() => { try { Stripe('sk_test_x'); return 'accepted'; }
                         catch (e) { return e.name; } })()})""")
    assert info == {"same": True, "methods": [], "secret": "IntegrationError"}


# -- saving a card -------------------------------------------------------------------------------------------
def test_save_a_card_frictionless(tab: Any, api: httpx.Client) -> None:
    seti = setup_intent(api)
    mount(
        tab,
        options={
            "style": {"base": {"color": "rgb(10, 20, 30)", "::placeholder": {"color": "rgb(1, 2, 3)"}}},
            "classes": {"complete": "shop-complete"},
        },
    )
    frame = card_frame(tab)
    number = frame.locator('input[name="cardnumber"]')
    assert number.get_attribute("autocomplete") == "cc-number"
    assert frame.locator('input[name="exp-date"]').get_attribute("autocomplete") == "cc-exp"
    assert frame.locator('input[name="cvc"]').get_attribute("autocomplete") == "cc-csc"
    assert frame.locator('input[name="postal"]').get_attribute("autocomplete") == "postal-code"
    assert (
        number.evaluate("el => getComputedStyle(el).color") == "rgb(10, 20, 30)"
    )  # style applied in the frame
    type_card(tab, FRICTIONLESS)
    assert number.input_value() == "4242 4242 4242 4242"
    assert frame.locator('input[name="exp-date"]').input_value() == "12 / 34"
    tab.wait_for_function("() => shopEvents.some(e => e.name === 'change' && e.event.complete)")
    classes = tab.get_attribute("#card-element", "class")
    assert "StripeElement" in classes and "shop-complete" in classes and "StripeElement--empty" not in classes
    changes = [e["event"] for e in tab.evaluate("() => shopEvents") if e["name"] == "change"]
    assert changes[-1] == {"elementType": "card", "empty": False, "complete": True, "brand": "visa"}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "dropin-card.png"))
    got = call(
        tab,
        "stripe.confirmCardSetup(a[0], {payment_method: {card: shopElements.getElement('card'), "
        "billing_details: {name: 'Jenny Rosen'}}})",
        seti["client_secret"],
    )
    intent = got["setupIntent"]
    assert intent["id"] == seti["id"] and intent["status"] == "succeeded", got
    assert [pm["id"] for pm in saved_cards(api, seti["customer"])] == [intent["payment_method"]]
    pm = api.get(f"/v1/payment_methods/{intent['payment_method']}").json()
    assert pm["card"]["last4"] == "4242" and pm["billing_details"]["name"] == "Jenny Rosen"
    assert pm["billing_details"]["address"]["postal_code"] == POSTAL


@pytest.mark.parametrize("outcome", ["complete", "fail"])
@pytest.mark.parametrize("kind", ["setup", "payment"])
def test_3ds_in_the_modal(tab: Any, api: httpx.Client, kind: str, outcome: str) -> None:
    intent = setup_intent(api) if kind == "setup" else payment_intent(api)
    mount(tab, options={"hidePostalCode": True})
    type_card(tab, THREE_DS, postal=None)
    method = "confirmCardSetup" if kind == "setup" else "confirmCardPayment"
    start(
        tab,
        f"stripe.{method}(a[0], {{payment_method: {{card: shopElements.getElement('card')}}}})",
        intent["client_secret"],
    )
    tab.wait_for_selector("#paykeep-3ds-modal iframe")
    if outcome == "complete" and kind == "setup":
        tab.wait_for_timeout(300)
        tab.screenshot(path=str(SCREENSHOTS / "dropin-3ds-modal.png"))
    answer_modal(tab, outcome)
    got = result(tab)
    assert tab.query_selector("#paykeep-3ds-modal") is None  # the modal is gone
    name = f"{kind}_intent"
    full = api.get(f"/v1/{name}s/{intent['id']}").json()
    if outcome == "complete":
        key = "setupIntent" if kind == "setup" else "paymentIntent"
        assert got[key]["status"] == "succeeded", got
        assert full["status"] == "succeeded"
    else:
        error = got["error"]
        assert error["code"] == f"{name}_authentication_failure", error
        assert error[name]["id"] == intent["id"] and error[name]["status"] == "requires_payment_method"
        assert full["status"] == "requires_payment_method"


def test_a_decline_comes_back_as_error(tab: Any, api: httpx.Client) -> None:
    seti = setup_intent(api)
    mount(tab, options={"hidePostalCode": True})
    type_card(tab, DECLINED, postal=None)
    got = call(
        tab,
        "stripe.confirmCardSetup(a[0], {payment_method: {card: shopElements.getElement('card')}})",
        seti["client_secret"],
    )
    error = got["error"]
    assert error["type"] == "card_error" and error["code"] == "card_declined", error
    assert error["decline_code"] == "generic_decline" and error["message"]
    assert error["setup_intent"]["id"] == seti["id"]
    assert error["setup_intent"]["status"] == "requires_payment_method"


def test_incomplete_card_is_a_validation_error(tab: Any, api: httpx.Client) -> None:
    seti = setup_intent(api)
    mount(tab, options={"hidePostalCode": True})
    frame = card_frame(tab)
    frame.locator('input[name="cardnumber"]').press_sequentially("4242424242424241")  # Luhn fails
    tab.wait_for_function("() => shopEvents.some(e => e.name === 'change' && e.event.error)")
    assert tab.inner_text("#errors") == "Your card number is invalid."
    assert "StripeElement--invalid" in tab.get_attribute("#card-element", "class")
    got = call(
        tab,
        "stripe.confirmCardSetup(a[0], {payment_method: {card: shopElements.getElement('card')}})",
        seti["client_secret"],
    )
    assert got["error"] == {
        "type": "validation_error",
        "code": "invalid_number",
        "message": "Your card number is invalid.",
    }
    assert api.get(f"/v1/setup_intents/{seti['id']}").json()["status"] == "requires_payment_method"


# -- paying --------------------------------------------------------------------------------------------------
def test_confirm_card_payment_with_a_saved_card(tab: Any, api: httpx.Client) -> None:
    cus, pm = save_card(api, FRICTIONLESS)
    pi = payment_intent(api, customer=cus)
    got = call(tab, "stripe.confirmCardPayment(a[0], {payment_method: a[1]})", pi["client_secret"], pm)
    assert got["paymentIntent"]["status"] == "succeeded" and got["paymentIntent"]["payment_method"] == pm, got
    retrieved = call(tab, "stripe.retrievePaymentIntent(a[0])", pi["client_secret"])
    assert retrieved["paymentIntent"]["status"] == "succeeded"
    assert "metadata" not in retrieved["paymentIntent"]  # the client-side view


def test_confirm_card_payment_with_a_new_card_saved_for_later(tab: Any, api: httpx.Client) -> None:
    cus = customer(api)
    pi = payment_intent(api, customer=cus)
    mount(tab, options={"hidePostalCode": True})
    type_card(tab, FRICTIONLESS, postal=None)
    got = call(
        tab,
        "stripe.confirmCardPayment(a[0], {payment_method: {card: shopElements.getElement('card'), "
        "billing_details: {email: 'jenny@example.com'}}, setup_future_usage: 'off_session'})",
        pi["client_secret"],
    )
    intent = got["paymentIntent"]
    assert intent["status"] == "succeeded", got
    assert [p["id"] for p in saved_cards(api, cus)] == [intent["payment_method"]]
    later = api.post(
        "/v1/payment_intents",
        json={
            "amount": 900,
            "currency": "usd",
            "customer": cus,
            "confirm": True,
            "off_session": True,
            "payment_method": intent["payment_method"],
        },
    )
    assert later.status_code == 200 and later.json()["status"] == "succeeded", later.text


def test_handle_card_action_after_a_server_side_confirm(
    tab: Any, api: httpx.Client, paykeep: PaykeepServer
) -> None:
    """The server confirms; the browser finishes 3-D Secure. In the Stripe dialect, without a return_url the
    server's confirm answers next_action use_stripe_sdk; in the WooshPay dialect a return_url is required
    and the    action is challenge_redirect. handleCardAction handles both in the modal."""
    params: dict[str, Any] = {
        "confirm": True,
        "payment_method_data": {"type": "card", "card": card(THREE_DS)},
    }
    if paykeep.dialect == "wooshpay":
        params["return_url"] = RETURN_URL
    pi = payment_intent(api, **params)
    assert pi["status"] == "requires_action", pi
    expected = "use_stripe_sdk" if paykeep.dialect == "stripe" else "challenge_redirect"
    assert pi["next_action"]["type"] == expected
    start(tab, "stripe.handleCardAction(a[0])", pi["client_secret"])
    answer_modal(tab, "complete")
    got = result(tab)
    assert got["paymentIntent"]["status"] == "succeeded", got
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == "succeeded"


def test_legacy_handle_card_payment_and_handle_actions_false(tab: Any, api: httpx.Client) -> None:
    pi = payment_intent(api)
    mount(tab, options={"hidePostalCode": True})
    type_card(tab, THREE_DS, postal=None)
    got = call(
        tab,
        "stripe.confirmCardPayment(a[0], {payment_method: {card: shopElements.getElement('card')}, "
        "return_url: a[1]}, {handleActions: false})",
        pi["client_secret"],
        RETURN_URL,
    )
    intent = got["paymentIntent"]
    assert intent["status"] == "requires_action" and tab.query_selector("#paykeep-3ds-modal") is None, got
    start(tab, "stripe.handleNextAction({clientSecret: a[0]})", pi["client_secret"])
    answer_modal(tab, "complete")
    assert result(tab)["paymentIntent"]["status"] == "succeeded"
    tab.evaluate("() => shopElements.getElement('card').clear()")
    tab.wait_for_function("() => shopEvents.filter(e => e.name === 'change').slice(-1)[0].event.empty")
    type_card(tab, FRICTIONLESS, postal=None)
    legacy = payment_intent(api)
    got = call(
        tab,
        "stripe.handleCardPayment(a[0], shopElements.getElement('card'), "
        "{payment_method_data: {billing_details: {name: 'Old Style'}}})",
        legacy["client_secret"],
    )
    assert got["paymentIntent"]["status"] == "succeeded", got
    pm = api.get(f"/v1/payment_methods/{got['paymentIntent']['payment_method']}").json()
    assert pm["billing_details"]["name"] == "Old Style"


# -- the Payment Element, confirmSetup / confirmPayment ------------------------------------------------------
def test_confirm_setup_with_the_payment_element_if_required(tab: Any, api: httpx.Client) -> None:
    seti = setup_intent(api)
    mount(
        tab,
        "payment",
        "#payment-element",
        group={
            "clientSecret": seti["client_secret"],
            "appearance": {"variables": {"colorPrimary": "#0570de"}},
        },
    )
    type_card(tab, FRICTIONLESS, container="#payment-element")
    assert call(tab, "shopElements.submit()") == {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "dropin-payment-element.png"))
    before = tab.url
    got = call(
        tab,
        "stripe.confirmSetup({elements: shopElements, redirect: 'if_required', confirmParams: "
        "{return_url: a[0], payment_method_data: {billing_details: {name: 'Jenny'}}}})",
        RETURN_URL,
    )
    assert got["setupIntent"]["status"] == "succeeded", got
    assert tab.url == before  # no redirect was required
    assert saved_cards(api, seti["customer"])[0]["id"] == got["setupIntent"]["payment_method"]


def test_confirm_setup_if_required_with_3ds_uses_the_modal(tab: Any, api: httpx.Client) -> None:
    seti = setup_intent(api)
    mount(tab, "payment", "#payment-element", group={"clientSecret": seti["client_secret"]})
    type_card(tab, THREE_DS, container="#payment-element")
    start(
        tab,
        "stripe.confirmSetup({elements: shopElements, redirect: 'if_required', "
        "confirmParams: {return_url: a[0]}})",
        RETURN_URL,
    )
    answer_modal(tab, "complete")
    assert result(tab)["setupIntent"]["status"] == "succeeded"


def test_redirect_always_lands_on_return_url(tab: Any, api: httpx.Client, shop: Site) -> None:
    seti = setup_intent(api)
    mount(tab, "payment", "#payment-element", group={"clientSecret": seti["client_secret"]})
    type_card(tab, THREE_DS, container="#payment-element")
    back = shop.base_url + "/done?order=5"
    with tab.expect_navigation(url=re.compile(r"/3ds/")):
        start(tab, "stripe.confirmSetup({elements: shopElements, confirmParams: {return_url: a[0]}})", back)
    with tab.expect_navigation(url=re.compile(re.escape(shop.base_url + "/done"))):
        tab.click('button[name="outcome"][value="complete"]')
    query = parse_qs(urlsplit(tab.url).query)
    assert query["order"] == ["5"] and query["setup_intent"] == [seti["id"]]
    assert query["redirect_status"] == ["succeeded"]
    assert api.get(f"/v1/setup_intents/{seti['id']}").json()["status"] == "succeeded"


def test_confirm_payment_redirect_always_frictionless(tab: Any, api: httpx.Client, shop: Site) -> None:
    pi = payment_intent(api)
    mount(tab, "payment", "#payment-element", group={"clientSecret": pi["client_secret"]})
    type_card(tab, FRICTIONLESS, container="#payment-element")
    with tab.expect_navigation(url=re.compile(re.escape(shop.base_url + "/done"))):
        start(
            tab,
            "stripe.confirmPayment({elements: shopElements, confirmParams: {return_url: a[0]}})",
            shop.base_url + "/done",
        )
    query = parse_qs(urlsplit(tab.url).query)
    assert query["payment_intent"] == [pi["id"]] and query["redirect_status"] == ["succeeded"]
    assert query["payment_intent_client_secret"] == [pi["client_secret"]]


# -- split Elements, createPaymentMethod ---------------------------------------------------------------------
def test_split_card_elements_and_create_payment_method(tab: Any, api: httpx.Client) -> None:
    for kind, selector in (
        ("cardNumber", "#card-number"),
        ("cardExpiry", "#card-expiry"),
        ("cardCvc", "#card-cvc"),
    ):
        mount(tab, kind, selector)
    card_frame(tab, "#card-number").locator("input").press_sequentially("378282246310005")  # amex: CVC of 4
    card_frame(tab, "#card-expiry").locator("input").press_sequentially("4/30")  # with the slash
    card_frame(tab, "#card-cvc").locator("input").press_sequentially("1234")
    assert card_frame(tab, "#card-number").locator("input").input_value() == "3782 822463 10005"
    assert card_frame(tab, "#card-expiry").locator("input").input_value() == "04 / 30"
    tab.wait_for_function("() => shopEvents.filter(e => e.name === 'change' && e.event.complete).length >= 3")
    brands = {e["event"].get("brand") for e in tab.evaluate("() => shopEvents") if e["name"] == "change"}
    assert "amex" in brands
    got = call(
        tab,
        "stripe.createPaymentMethod({type: 'card', card: shopElements.getElement('cardNumber'), "
        "billing_details: {name: 'Split'}})",
    )
    pm = got["paymentMethod"]
    assert pm["id"].startswith("pm_") and pm["card"]["last4"] == "0005" and pm["card"]["brand"] == "amex", got
    assert pm["card"]["exp_month"] == 4 and pm["card"]["exp_year"] == 2030
    legacy = call(
        tab,
        "stripe.createPaymentMethod('card', shopElements.getElement('cardNumber'), "
        "{billing_details: {name: 'Legacy'}})",
    )
    assert legacy["paymentMethod"]["billing_details"]["name"] == "Legacy"
    seti = setup_intent(api)
    done = call(
        tab,
        "stripe.handleCardSetup(a[0], shopElements.getElement('cardNumber'), "
        "{payment_method_data: {billing_details: {name: 'Old'}}})",
        seti["client_secret"],
    )
    assert done["setupIntent"]["status"] == "succeeded", done
    assert (
        call(tab, "stripe.retrieveSetupIntent(a[0])", seti["client_secret"])["setupIntent"]["status"]
        == "succeeded"
    )


def test_element_methods(tab: Any) -> None:
    mount(tab, options={"hidePostalCode": True})
    frame = card_frame(tab)
    frame.locator('input[name="cardnumber"]').press_sequentially("4242")
    tab.evaluate("() => shopElements.getElement('card').clear()")
    tab.wait_for_function("() => shopEvents.filter(e => e.name === 'change').slice(-1)[0].event.empty")
    assert frame.locator('input[name="cardnumber"]').input_value() == ""
    tab.evaluate("() => shopElements.getElement('card').focus()")
    tab.wait_for_function("() => shopEvents.some(e => e.name === 'focus')")
    assert "StripeElement--focus" in tab.get_attribute("#card-element", "class")
    frame.locator('input[name="cardnumber"]').press("Escape")
    tab.wait_for_function("() => shopEvents.some(e => e.name === 'escape')")
    tab.evaluate("() => shopElements.getElement('card').update({hidePostalCode: false})")
    frame.locator('input[name="postal"]').wait_for(state="visible")
    tab.evaluate("() => shopElements.getElement('card').unmount()")
    assert tab.query_selector("#card-element iframe") is None
    tab.evaluate("() => shopElements.getElement('card').mount('#card-element')")
    tab.wait_for_selector("#card-element iframe")
    tab.evaluate("() => shopElements.getElement('card').destroy()")
    assert tab.evaluate("() => shopElements.getElement('card')") is None


# -- refused clearly -----------------------------------------------------------------------------------------
def test_mounting_twice_and_other_mistakes_throw(tab: Any) -> None:
    mount(tab, options={"hidePostalCode": True})
    errors = tab.evaluate("""() => {
        const out = {};
        const attempt = (name, fn) => {
            try { fn(); out[name] = 'no error'; } catch (e) { out[name] = e.name + ': ' + e.message; } };
        const card = shopElements.getElement('card');
        attempt('again', () => card.mount('#card-element'));
        attempt('elsewhere', () => card.mount('#payment-element'));
        attempt('second', () => shopElements.create('card'));
        attempt('mixed', () => shopElements.create('cardNumber'));
        attempt('nowhere', () => stripe.elements().create('card').mount('#no-such-thing'));
        attempt('occupied', () => stripe.elements().create('card').mount('#card-element'));
        attempt('unknown', () => shopElements.create('iban'));
        return out;
    }""")
    assert errors["again"].startswith("IntegrationError: This Element is already mounted")
    assert errors["elsewhere"].startswith("IntegrationError: This Element is already mounted")
    assert errors["second"] == "IntegrationError: Can only create one Element of type card."
    assert errors["mixed"].startswith("IntegrationError: Do not mix")
    assert "applies to no DOM elements" in errors["nowhere"]
    assert errors["occupied"].startswith("IntegrationError: This container already has an Element")
    assert errors["unknown"].startswith("IntegrationError: A valid Element name must be provided")
    bad_secret = call(tab, "stripe.confirmCardSetup('seti_123')")
    assert bad_secret["thrown"].startswith(
        "IntegrationError: Invalid value for confirmCardSetup intent secret"
    )


def test_a_wrong_client_secret_or_another_accounts_key_is_refused(
    tab: Any, api: httpx.Client, paykeep: PaykeepServer
) -> None:
    seti = setup_intent(api)
    wrong = call(
        tab, "stripe.confirmCardSetup(a[0], {payment_method: 'pm_card_visa'})", seti["id"] + "_secret_x"
    )
    assert wrong["error"]["type"] == "invalid_request_error" and wrong["error"]["param"] == "client_secret", (
        wrong
    )
    other = json.loads(paykeep.cli("accounts", "create", "--json", "--name", "another shop").stdout)
    stranger = other["test"]["publishable_key"]
    got = call(tab, "Stripe(a[1]).retrieveSetupIntent(a[0])", seti["client_secret"], stranger)
    assert got["error"]["code"] == "resource_missing", got
    got = call(
        tab,
        "Stripe(a[1]).confirmCardSetup(a[0], {payment_method: 'pm_card_visa'})",
        seti["client_secret"],
        stranger,
    )
    assert got["error"]["code"] == "resource_missing", got
    assert api.get(f"/v1/setup_intents/{seti['id']}").json()["status"] == "requires_payment_method"


def test_messages_from_another_origin_are_ignored(tab: Any, hostile: Site, paykeep: PaykeepServer) -> None:
    mount(tab, options={"hidePostalCode": True})
    type_card(tab, FRICTIONLESS, postal=None)
    tab.wait_for_function("() => shopEvents.some(e => e.name === 'change' && e.event.complete)")
    tokenised: list[str] = []
    tab.on("request", lambda r: tokenised.append(r.url) if r.url.endswith("/v1/payment_methods") else None)
    element_id = tab.evaluate(
        "() => JSON.parse(decodeURIComponent("
        "document.querySelector('#card-element iframe').src.split('#')[1])).id"
    )
    events_before = tab.evaluate("() => shopEvents.length")
    with tab.expect_event(
        "framenavigated", predicate=lambda f: f.url.startswith(hostile.base_url)
    ) as navigated:
        tab.evaluate(
            """([url]) => { const f = document.createElement('iframe'); f.id = 'hostile';
                                     f.src = url; document.body.appendChild(f); }""",
            [f"{hostile.base_url}/hostile.html#{element_id}"],
        )
    navigated.value.wait_for_function("() => document.title === 'sent'")
    tab.wait_for_timeout(500)
    assert tab.evaluate("() => shopEvents.length") == events_before  # no forged change, focus, ...
    height = tab.evaluate("() => document.querySelector('#card-element iframe').style.height")
    assert height != "999px"
    assert tokenised == []  # the frame tokenised nothing for the forger
    frame = card_frame(tab)
    assert frame.locator('input[name="cardnumber"]').input_value() == "4242 4242 4242 4242"  # not cleared
    got = call(tab, "stripe.createPaymentMethod({type: 'card', card: shopElements.getElement('card')})")
    assert got["paymentMethod"]["card"]["last4"] == "4242"
    assert len(tokenised) == 1


# -- the leak test: last -------------------------------------------------------------------------------------
def test_zz_no_card_number_or_cvc_reached_the_merchant(shop: Site) -> None:
    """After the flows above: the merchant page's DOM snapshots, its console, every request the merchant's
    origin    received (line, headers, body) and its server's log hold no card number and no CVC."""
    assert _SEEN["dom"] and shop.requests, "run with the flows above"
    texts = {
        "dom": "\n".join(_SEEN["dom"]),
        "console": "\n".join(_SEEN["console"]),
        "merchant": shop.everything(),
    }
    for where, text in texts.items():
        flat = text.replace(" ", "")
        for number in (*TYPED, "378282246310005"):
            assert number not in flat, (where, number)
        for cvc in (CVC, "1234"):  # the CVCs typed (1234: the amex's)
            assert not standalone(cvc).search(text), (where, cvc)
    assert any(r["path"].startswith("/done") for r in shop.requests)
