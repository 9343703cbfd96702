"""PaymentIntents over real HTTP: the test-card table, challenges, off-session, capture, cancel, money."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from support.assertions import assert_error
from support.payments import (
    RETURN_URL,
    answer_challenge,
    card,
    charge_saved,
    customer,
    events_for,
    pay,
    save_card,
)
from support.receiver import wait_until

FRICTIONLESS = ["4242424242424242", "4111111111111111", "4761344136141390", "5555555555554444",
                "378282246310005", "6011111111111117", "3566002020360505", "6200000000000005"]
DECLINES = [
    ("4000000000000002", "card_declined", "generic_decline"),
    ("4000000000009995", "card_declined", "insufficient_funds"),
    ("4000000000009987", "card_declined", "lost_card"),
    ("4000000000009979", "card_declined", "stolen_card"),
    ("4000000000000069", "expired_card", "expired_card"),
    ("4000000000000127", "incorrect_cvc", "incorrect_cvc"),
    ("4000000000000119", "processing_error", "processing_error"),
    ("4000000000000341", "card_declined", "generic_decline"),  # saving works; every charge is declined
]
CHALLENGED = ["4462030000000000", "4000002500003155", "4000002760003184", "4000000000003220"]


# -- the card table, on-session ------------------------------------------------------------------------------
@pytest.mark.parametrize("number", FRICTIONLESS)
def test_frictionless_cards_succeed(api, dialect, number):
    resp = pay(api, number)
    assert resp.status_code == 200, resp.text
    pi = resp.json()
    assert pi["object"] == "payment_intent" and re.fullmatch(dialect.id_re("pi"), pi["id"])
    assert pi["status"] == "succeeded"
    assert pi["amount"] == pi["amount_received"] == 2500 and pi["amount_capturable"] == 0
    assert pi["currency"] == dialect.currency("usd")
    assert abs(pi["created"] - dialect.now()) <= dialect.ts(60_000)
    assert re.fullmatch(dialect.id_re("ch"), pi["latest_charge"])
    assert pi["client_secret"].startswith(pi["id"] + "_secret_")
    assert pi["next_action"] is None and pi["last_payment_error"] is None
    assert re.fullmatch(dialect.id_re("pm"), pi["payment_method"])
    three_d_secure = pi["payment_method_options"]["card"]["request_three_d_secure"]
    assert three_d_secure == dialect.request_three_d_secure_default
    assert ("merchant_order_id" in pi) is not dialect.is_stripe  # a WooshPay-only field
    assert events_for(api, pi["id"]) == ["payment_intent.created", "payment_intent.succeeded"]
    assert number not in resp.text


@pytest.mark.parametrize(("number", "code", "decline_code"), DECLINES)
def test_declined_cards(api, dialect, number, code, decline_code):
    resp = pay(api, number)
    error = assert_error(resp, 402, code, type_="card_error")
    assert error["decline_code"] == decline_code
    embedded = error["payment_intent"]
    assert embedded["status"] == "requires_payment_method"
    assert embedded["last_payment_error"]["code"] == code
    assert embedded["last_payment_error"]["decline_code"] == decline_code
    assert re.fullmatch(dialect.id_re("pm"), embedded["last_payment_error"]["payment_method"]["id"])
    assert embedded["payment_method"] is None  # cleared, as Stripe does: a new attempt needs a payment method
    assert embedded["latest_charge"] is None and embedded["amount_received"] == 0
    stored = api.get(f"/v1/payment_intents/{embedded['id']}").json()
    assert stored["last_payment_error"] == embedded["last_payment_error"]
    assert events_for(api, embedded["id"]) == ["payment_intent.created", "payment_intent.payment_failed"]
    assert number not in resp.text


def test_0341_saves_then_every_charge_is_declined(api):
    cus, pm = save_card(api, "4000000000000341")
    for off_session in (True, False):
        error = assert_error(charge_saved(api, cus, pm, off_session=off_session), 402, "card_declined",
                             type_="card_error")
        assert error["payment_intent"]["status"] == "requires_payment_method"


@pytest.mark.parametrize("number", CHALLENGED)
def test_challenge_then_complete(api, dialect, number):
    resp = pay(api, number, metadata={"order": "42"})
    assert resp.status_code == 200, resp.text
    pi = resp.json()
    assert pi["status"] == "requires_action"
    assert pi["next_action"]["type"] == dialect.next_action_type
    assert set(pi["next_action"]) == {"type", dialect.next_action_type}
    redirect = pi["next_action"][dialect.next_action_type]
    assert redirect["return_url"] == RETURN_URL
    assert redirect["url"].startswith("http://127.0.0.1:")
    query = answer_challenge(redirect["url"], "complete")
    assert query["payment_intent"] == [pi["id"]]
    assert query["payment_intent_client_secret"] == [pi["client_secret"]]
    assert query["redirect_status"] == ["succeeded"]
    done = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert done["status"] == "succeeded" and done["next_action"] is None
    assert done["amount_received"] == 2500 and re.fullmatch(dialect.id_re("ch"), done["latest_charge"])
    assert events_for(api, pi["id"]) == ["payment_intent.created", "payment_intent.requires_action",
                                         "payment_intent.succeeded"]


def test_a_challenge_without_return_url(api, dialect):
    """WooshPay's dialect keeps the seed guide's rule (no challenge without a return_url to come back to);
    Stripe's answers use_stripe_sdk, and its page ends on a final page of its own."""
    resp = api.post("/v1/payment_intents", json={
        "amount": 2500, "currency": "usd", "confirm": True,
        "payment_method_data": {"type": "card", "card": card("4000002500003155")},
    })
    if not dialect.is_stripe:
        assert_error(resp, 400, "parameter_missing", param="return_url")
        return
    assert resp.status_code == 200, resp.text
    pi = resp.json()
    assert pi["status"] == "requires_action"
    action = pi["next_action"]
    assert action["type"] == "use_stripe_sdk"
    assert action["use_stripe_sdk"]["type"] == "three_d_secure_redirect"
    url = action["use_stripe_sdk"]["stripe_js"]
    assert url.startswith("http://127.0.0.1:")
    page = httpx.post(url, data={"outcome": "complete"}, timeout=30, follow_redirects=False)
    assert page.status_code == 200 and 'data-outcome="complete"' in page.text, page.text
    done = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert done["status"] == "succeeded" and done["next_action"] is None


def test_challenge_page_shows_amount_and_card(api, dialect):
    pi = pay(api, "4000000000003220", amount=1999, currency="eur").json()
    page = httpx.get(dialect.challenge_url(pi), timeout=30)
    assert page.status_code == 200
    assert "3220" in page.text
    assert "19.99" in page.text
    assert "4000000000003220" not in page.text


def test_challenge_failed(api, dialect):
    pi = pay(api, "4000002760003184").json()
    query = answer_challenge(dialect.challenge_url(pi), "fail")
    assert query["redirect_status"] == ["failed"]
    done = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert done["status"] == "requires_payment_method"
    assert done["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    assert done["next_action"] is None and done["latest_charge"] is None
    assert events_for(api, pi["id"])[-1] == "payment_intent.payment_failed"


def test_challenge_then_declined_insufficient_funds(api, dialect):
    pi = pay(api, "4000008260003178").json()
    assert pi["status"] == "requires_action"
    query = answer_challenge(dialect.challenge_url(pi), "complete")
    assert query["redirect_status"] == ["failed"]
    done = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert done["status"] == "requires_payment_method"
    assert done["last_payment_error"]["decline_code"] == "insufficient_funds"


def test_request_three_d_secure_any_challenges_a_frictionless_card(api, dialect):
    resp = pay(api, "4242424242424242", payment_method_options={"card": {"request_three_d_secure": "any"}})
    pi = resp.json()
    assert pi["status"] == "requires_action", pi
    assert pi["payment_method_options"]["card"]["request_three_d_secure"] == "any"
    answer_challenge(dialect.challenge_url(pi))
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == "succeeded"


# -- off-session with saved cards ----------------------------------------------------------------------------
@pytest.mark.parametrize("number", ["4462030000000000", "4000002500003155", "4242424242424242"])
def test_saved_cards_charge_off_session_without_challenge(api, number):
    cus, pm = save_card(api, number)
    resp = charge_saved(api, cus, pm, off_session=True)
    assert resp.status_code == 200, resp.text
    pi = resp.json()
    assert pi["status"] == "succeeded" and pi["next_action"] is None
    assert pi["customer"] == cus and pi["payment_method"] == pm and pi["off_session"] is True


@pytest.mark.parametrize("number", ["4462030000000000", "4000002500003155"])
def test_saved_challenge_cards_still_challenge_on_session(api, number):
    cus, pm = save_card(api, number)
    pi = charge_saved(api, cus, pm, off_session=False).json()
    assert pi["status"] == "requires_action"


def test_authentication_required_off_session_then_recovered_on_session(api, dialect):
    cus, pm = save_card(api, "4000002760003184")
    resp = charge_saved(api, cus, pm, off_session=True)
    error = assert_error(resp, 402, "authentication_required", type_="card_error")
    assert error["decline_code"] == "authentication_required"
    pi = error["payment_intent"]
    assert pi["status"] == "requires_payment_method"
    assert pi["last_payment_error"]["code"] == "authentication_required"
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == "requires_payment_method"
    # the customer is back: confirm the same intent on-session
    again = api.post(f"/v1/payment_intents/{pi['id']}/confirm",
                     json={"payment_method": pm, "off_session": False})
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "requires_action"
    answer_challenge(dialect.challenge_url(again.json()))
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == "succeeded"


def test_confirm_a_succeeded_intent_is_refused(api):
    pi = pay(api, "4242424242424242").json()
    resp = api.post(f"/v1/payment_intents/{pi['id']}/confirm", json={})
    error = assert_error(resp, 400, "payment_intent_unexpected_state")
    assert "already succeeded" in error["message"]


def test_a_second_confirm_with_the_same_idempotency_key_replays(api):
    cus, pm = save_card(api, "4242424242424242")
    pi = api.post("/v1/payment_intents", json={"amount": 1000, "currency": "usd", "customer": cus,
                                                "payment_method": pm}).json()
    assert pi["status"] == "requires_confirmation"
    key = {"Idempotency-Key": pi["id"]}
    first = api.post(f"/v1/payment_intents/{pi['id']}/confirm", json={}, headers=key)
    second = api.post(f"/v1/payment_intents/{pi['id']}/confirm", json={}, headers=key)
    assert first.status_code == second.status_code == 200
    assert second.headers.get("idempotent-replayed") == "true"
    assert second.json() == first.json()
    assert events_for(api, pi["id"]) == ["payment_intent.created", "payment_intent.succeeded"]


def test_create_then_confirm_separately_and_setup_future_usage(api, dialect):
    cus = customer(api)
    pi = api.post("/v1/payment_intents", data={
        "amount": "3000", "currency": "gbp", "customer": cus, "setup_future_usage": "off_session",
        "payment_method_data[type]": "card", "payment_method_data[card][number]": "4000002500003155",
        "payment_method_data[card][exp_month]": "12", "payment_method_data[card][exp_year]": "2033",
        "return_url": RETURN_URL, "description": "first order", "merchant_order_id": "order-17",
        "metadata[sku]": "abc",
    }).json()
    assert pi["status"] == "requires_confirmation", pi
    assert pi["description"] == "first order"
    if dialect.is_stripe:  # a WooshPay-only field: kept, shown in WooshPay's dialect only
        assert "merchant_order_id" not in pi
        as_wooshpay = api.get(f"/v1/payment_intents/{pi['id']}", headers={"Paykeep-Dialect": "wooshpay"})
        assert as_wooshpay.json()["merchant_order_id"] == "order-17"
    else:
        assert pi["merchant_order_id"] == "order-17"
    assert pi["metadata"] == {"sku": "abc"} and pi["setup_future_usage"] == "off_session"
    pm = pi["payment_method"]
    assert api.get(f"/v1/payment_methods/{pm}").json()["customer"] is None  # not before success
    pi = api.post(f"/v1/payment_intents/{pi['id']}/confirm", json={}).json()
    assert pi["status"] == "requires_action"
    assert api.get(f"/v1/payment_methods/{pm}").json()["customer"] is None
    answer_challenge(dialect.challenge_url(pi))
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == "succeeded"
    assert api.get(f"/v1/payment_methods/{pm}").json()["customer"] == cus
    # saved during the payment: a later off-session charge needs no challenge
    later = charge_saved(api, cus, pm, off_session=True)
    assert later.status_code == 200 and later.json()["status"] == "succeeded", later.text


def test_setup_future_usage_does_not_save_a_declined_card(api):
    cus = customer(api)
    resp = pay(api, "4000000000009995", customer=cus, setup_future_usage="off_session")
    error = assert_error(resp, 402, "card_declined", type_="card_error")
    pm = error["payment_intent"]["last_payment_error"]["payment_method"]["id"]
    assert api.get(f"/v1/payment_methods/{pm}").json()["customer"] is None


def test_confirm_without_payment_method(api):
    pi = api.post("/v1/payment_intents", json={"amount": 1000, "currency": "usd"}).json()
    assert pi["status"] == "requires_payment_method"
    assert_error(api.post(f"/v1/payment_intents/{pi['id']}/confirm", json={}), 400, "parameter_missing",
                 param="payment_method")


def test_payment_method_of_another_customer_is_refused(api):
    _cus, pm = save_card(api, "4242424242424242")
    other = customer(api)
    assert_error(charge_saved(api, other, pm, off_session=True), 400, param="payment_method")


# -- manual capture ------------------------------------------------------------------------------------------
def _authorized(api, amount=5000):
    resp = pay(api, "4242424242424242", amount=amount, capture_method="manual")
    assert resp.status_code == 200, resp.text
    pi = resp.json()
    assert pi["status"] == "requires_capture"
    assert pi["amount_capturable"] == amount and pi["amount_received"] == 0
    return pi


def test_capture_in_full(api):
    pi = _authorized(api)
    assert events_for(api, pi["id"]) == ["payment_intent.created", "payment_intent.amount_capturable_updated"]
    done = api.post(f"/v1/payment_intents/{pi['id']}/capture", json={})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "succeeded"
    assert done.json()["amount_received"] == 5000 and done.json()["amount_capturable"] == 0
    expanded = api.get(f"/v1/payment_intents/{pi['id']}", params={"expand[]": "latest_charge"}).json()
    charge = expanded["latest_charge"]
    assert charge["object"] == "charge" and charge["captured"] is True and charge["amount_captured"] == 5000
    assert events_for(api, pi["id"])[-1] == "payment_intent.succeeded"


def test_partial_capture_releases_the_rest_and_twice_is_refused(api):
    pi = _authorized(api)
    done = api.post(f"/v1/payment_intents/{pi['id']}/capture", data={"amount_to_capture": "1200"}).json()
    assert done["status"] == "succeeded"
    assert done["amount"] == 5000 and done["amount_received"] == 1200 and done["amount_capturable"] == 0
    again = api.post(f"/v1/payment_intents/{pi['id']}/capture", json={"amount_to_capture": 100})
    assert_error(again, 400, "payment_intent_unexpected_state")


def test_capture_more_than_authorized_is_refused(api):
    pi = _authorized(api)
    assert_error(api.post(f"/v1/payment_intents/{pi['id']}/capture", json={"amount_to_capture": 5001}), 400,
                 "amount_too_large", param="amount_to_capture")
    assert_error(api.post(f"/v1/payment_intents/{pi['id']}/capture", json={"amount_to_capture": 0}), 400,
                 param="amount_to_capture")
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == "requires_capture"


def test_capture_before_authorization_is_refused(api):
    pi = api.post("/v1/payment_intents", json={"amount": 1000, "currency": "usd"}).json()
    assert_error(api.post(f"/v1/payment_intents/{pi['id']}/capture", json={}), 400,
                 "payment_intent_unexpected_state")


def test_manual_capture_after_a_challenge(api, dialect):
    pi = pay(api, "4000000000003220", capture_method="manual").json()
    answer_challenge(dialect.challenge_url(pi))
    after = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert after["status"] == "requires_capture" and after["amount_capturable"] == 2500


def test_uncaptured_authorization_expires_after_7_days_in_the_worker(server, api):
    """`paykeep worker` running 7 days (and a minute) in the future cancels the authorization (reason
    automatic). The boundary is checked with an injected clock in
    tests/integration/test_payment_intents_expiry.py."""
    pi = _authorized(api, amount=700)
    env = {**server.env, "PAYKEEP_CLOCK_OFFSET_MS": str(7 * 24 * 3600 * 1000 + 60_000),
           "PAYKEEP_TIMED_JOBS_INTERVAL": "0.1", "PAYKEEP_LOG_LEVEL": "info"}
    log = server.dir / "worker-7-days.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "paykeep", "worker"], env=env, cwd=server.dir,
                                stdout=out, stderr=subprocess.STDOUT)
    done = None
    try:
        done = wait_until(lambda: _if_status(api, pi["id"], "canceled"), timeout=20)
    except AssertionError:
        pass
    finally:
        proc.terminate()
        proc.wait(10)
    assert done, f"not canceled in 20 s; the worker said: {log.read_text(errors='replace')[-3000:]}"
    assert done["cancellation_reason"] == "automatic" and done["amount_capturable"] == 0
    assert events_for(api, pi["id"])[-1] == "payment_intent.canceled"
    assert_error(api.post(f"/v1/payment_intents/{pi['id']}/capture", json={}), 400,
                 "payment_intent_unexpected_state")


def _if_status(api, intent_id, status):
    pi = api.get(f"/v1/payment_intents/{intent_id}").json()
    return pi if pi["status"] == status else None


# -- cancel --------------------------------------------------------------------------------------------------
def test_cancel_from_every_non_terminal_status(api, dialect):
    cus, pm = save_card(api, "4242424242424242")
    fresh = api.post("/v1/payment_intents", json={"amount": 1000, "currency": "usd"}).json()
    confirmable = api.post("/v1/payment_intents", json={"amount": 1000, "currency": "usd", "customer": cus,
                                                         "payment_method": pm}).json()
    action = pay(api, "4000000000003220").json()
    capture = _authorized(api)
    for pi, status in ((fresh, "requires_payment_method"), (confirmable, "requires_confirmation"),
                       (action, "requires_action"), (capture, "requires_capture")):
        assert pi["status"] == status
        resp = api.post(f"/v1/payment_intents/{pi['id']}/cancel",
                        json={"cancellation_reason": "requested_by_customer"})
        assert resp.status_code == 200, resp.text
        canceled = resp.json()
        assert canceled["status"] == "canceled" and canceled["cancellation_reason"] == "requested_by_customer"
        assert canceled["next_action"] is None and canceled["amount_capturable"] == 0
        assert canceled["canceled_at"] >= canceled["created"]
        assert abs(canceled["canceled_at"] - dialect.now()) <= dialect.ts(60_000)
        assert events_for(api, pi["id"])[-1] == "payment_intent.canceled"
        assert_error(api.post(f"/v1/payment_intents/{pi['id']}/cancel", json={}), 400,
                     "payment_intent_unexpected_state")
        assert_error(api.post(f"/v1/payment_intents/{pi['id']}/confirm", json={}), 400,
                     "payment_intent_unexpected_state")


def test_a_challenge_answered_after_cancel_changes_nothing(api, dialect):
    pi = pay(api, "4000000000003220").json()
    url = dialect.challenge_url(pi)
    api.post(f"/v1/payment_intents/{pi['id']}/cancel", json={})
    resp = httpx.post(url, data={"outcome": "complete"}, timeout=30, follow_redirects=False)
    assert resp.status_code in (404, 409, 410), resp.status_code  # refused by the challenge page
    after = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert after["status"] == "canceled" and after["latest_charge"] is None


def test_cancel_a_succeeded_intent_is_refused(api):
    pi = pay(api, "4242424242424242").json()
    assert_error(api.post(f"/v1/payment_intents/{pi['id']}/cancel", json={}), 400,
                 "payment_intent_unexpected_state")


def test_cancel_reason_is_checked(api):
    pi = api.post("/v1/payment_intents", json={"amount": 1000, "currency": "usd"}).json()
    resp = api.post(f"/v1/payment_intents/{pi['id']}/cancel", json={"cancellation_reason": "bored"})
    assert_error(resp, 400, param="cancellation_reason")


# -- money ---------------------------------------------------------------------------------------------------
def test_zero_decimal_currency(api, dialect):
    pi = pay(api, "4242424242424242", amount=500, currency="jpy").json()
    assert pi["status"] == "succeeded" and pi["amount_received"] == 500
    assert pi["currency"] == dialect.currency("jpy")
    assert_error(pay(api, "4242424242424242", amount=49, currency="JPY"), 400, "amount_too_small",
                 param="amount")


def test_three_decimal_currency(api, dialect):
    pi = pay(api, "4242424242424242", amount=1230, currency="kwd").json()
    assert pi["status"] == "succeeded" and pi["currency"] == dialect.currency("kwd")
    assert_error(pay(api, "4242424242424242", amount=1235, currency="KWD"), 400, param="amount")


@pytest.mark.parametrize(("body", "code", "param"), [
    ({"amount": 1000, "currency": "usdd"}, "parameter_invalid", "currency"),
    ({"amount": 1000, "currency": "XYZ"}, "parameter_invalid", "currency"),
    ({"amount": 1000}, "parameter_missing", "currency"),
    ({"currency": "usd"}, "parameter_missing", "amount"),
    ({"amount": "ten", "currency": "usd"}, "parameter_invalid_integer", "amount"),
    ({"amount": 10.5, "currency": "usd"}, "parameter_invalid_integer", "amount"),
    ({"amount": 49, "currency": "usd"}, "amount_too_small", "amount"),
    ({"amount": 100_000_000, "currency": "usd"}, "amount_too_large", "amount"),
    ({"amount": -5, "currency": "usd"}, "amount_too_small", "amount"),
    ({"amount": 1000, "currency": "usd", "capture_method": "later"}, None, "capture_method"),
    ({"amount": 1000, "currency": "usd", "payment_method_types": ["alipay"]}, None, "payment_method_types"),
    ({"amount": 1000, "currency": "usd", "off_session": True}, None, "off_session"),
    ({"amount": 1000, "currency": "usd", "return_url": "javascript:alert(1)"}, None, "return_url"),
    ({"amount": 1000, "currency": "usd", "surprise": 1}, "parameter_unknown", "surprise"),
])
def test_invalid_parameters(api, body, code, param):
    assert_error(api.post("/v1/payment_intents", json=body), 400, code, param=param)


def test_amount_string_from_a_form_is_a_number(api, dialect):
    pi = api.post("/v1/payment_intents", data={"amount": "2000", "currency": "Eur"}).json()
    assert pi["amount"] == 2000 and pi["currency"] == dialect.currency("eur")


# -- retrieve, update, list, keys ----------------------------------------------------------------------------
def test_publishable_key_sees_a_reduced_view_with_the_client_secret(server, api):
    pi = pay(api, "4242424242424242", metadata={"secret": "x"}).json()
    with server.client(server.pk) as public:
        resp = public.get(f"/v1/payment_intents/{pi['id']}", params={"client_secret": pi["client_secret"]})
        assert resp.status_code == 200, resp.text
        view = resp.json()
        assert view["status"] == "succeeded" and "metadata" not in view and "customer" not in view
        wrong = {"client_secret": pi["id"] + "_secret_x"}
        assert_error(public.get(f"/v1/payment_intents/{pi['id']}", params=wrong), 400, param="client_secret")
        assert_error(public.get(f"/v1/payment_intents/{pi['id']}"), 400, "parameter_missing")
        assert_error(public.post("/v1/payment_intents", json={"amount": 1000, "currency": "usd"}), 403)


def test_update_before_and_after_payment(api, dialect):
    pi = api.post("/v1/payment_intents", json={"amount": 1000, "currency": "usd"}).json()
    updated = api.post(f"/v1/payment_intents/{pi['id']}", json={"amount": 1500, "currency": "eur",
                                                                 "metadata": {"k": "v"}}).json()
    assert updated["amount"] == 1500 and updated["metadata"] == {"k": "v"}
    assert updated["currency"] == dialect.currency("eur")
    assert updated["status"] == "requires_payment_method"
    done = pay(api, "4242424242424242").json()
    assert_error(api.post(f"/v1/payment_intents/{done['id']}", json={"amount": 10}), 400,
                 "payment_intent_unexpected_state")
    described = api.post(f"/v1/payment_intents/{done['id']}",
                         json={"description": "paid", "metadata": {"a": "1"}})
    assert described.status_code == 200 and described.json()["description"] == "paid"


def test_list_by_customer_and_created(api):
    cus, pm = save_card(api, "4242424242424242")
    ids = [charge_saved(api, cus, pm, off_session=True, amount=1000 + i).json()["id"] for i in range(3)]
    listed = api.get("/v1/payment_intents", params={"customer": cus}).json()
    assert listed["object"] == "list" and listed["url"] == "/v1/payment_intents"
    assert [p["id"] for p in listed["data"]] == list(reversed(ids))
    first = api.get(f"/v1/payment_intents/{ids[0]}").json()
    later = api.get("/v1/payment_intents", params={"customer": cus, "created[gt]": first["created"]}).json()
    assert ids[0] not in [p["id"] for p in later["data"]]
    page = api.get("/v1/payment_intents", params={"customer": cus, "limit": 2}).json()
    assert page["has_more"] is True and len(page["data"]) == 2


def test_unknown_intent_is_404(api):
    assert_error(api.get("/v1/payment_intents/pi_0000000000000000000"), 404, "resource_missing")


def test_live_mode_has_no_processor(server):
    with server.client(server.sk_live) as live:
        resp = pay(live, "4242424242424242")
        assert_error(resp, 400, "live_mode_unavailable")


def test_seed_step_4_request_verbatim(api):
    cus, pm = save_card(api, "4111111111111111")
    body = ('{\n  "amount": 2500,\n  "currency": "USD",\n  "confirm": true,\n  "off_session": false,\n'
            f'  "customer": "{cus}",\n  "payment_method": "{pm}",\n'
            '  "return_url": "https://example.com/pay/complete"\n}')
    resp = api.post("/v1/payment_intents", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "succeeded" and resp.json()["return_url"] == "https://example.com/pay/complete"
