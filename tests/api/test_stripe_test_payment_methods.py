"""Stripe's test payment methods and tokens (`pm_card_visa`, `tok_visa`, …: API.md §9) over real HTTP, in each
dialect: each use makes a fresh PaymentMethod of the paykeep test card that behaves as Stripe documents the
name (docs/test-cards.md), wherever a payment method id is accepted; test mode only. The last test drives
them through the official `stripe` package, in the Stripe dialect."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from paykeep.domain.test_payment_methods import CARDS, markdown_section
from support.assertions import assert_error
from support.dialects import Dialect
from support.payments import RETURN_URL, answer_challenge, charge_saved, customer, next_action_url
from support.server import PaykeepServer

DOCS = Path(__file__).resolve().parents[2] / "docs" / "test-cards.md"
SUCCEEDED, CHALLENGE = "succeeded", "requires_action"
# What Stripe documents for each name when a PaymentIntent is confirmed on-session with it, written out here
# (not read from the table under test): brand, last4, funding, then the status or (code, decline_code).
ON_SESSION: dict[str, tuple[str, str, str, str | tuple[str, str]]] = {
    "visa": ("visa", "4242", "credit", SUCCEEDED),
    "visa_debit": ("visa", "4242", "debit", SUCCEEDED),
    "mastercard": ("mastercard", "4444", "credit", SUCCEEDED),
    "mastercard_debit": ("mastercard", "4444", "debit", SUCCEEDED),
    "mastercard_prepaid": ("mastercard", "4444", "prepaid", SUCCEEDED),
    "amex": ("amex", "0005", "credit", SUCCEEDED),
    "discover": ("discover", "1117", "credit", SUCCEEDED),
    "jcb": ("jcb", "0505", "credit", SUCCEEDED),
    "unionpay": ("unionpay", "0005", "credit", SUCCEEDED),
    "threeDSecureOptional": ("visa", "4242", "credit", SUCCEEDED),
    "authenticationRequired": ("visa", "3184", "credit", CHALLENGE),
    "authenticationRequiredOnSetup": ("visa", "3155", "credit", CHALLENGE),
    "threeDSecure2Required": ("visa", "3220", "credit", CHALLENGE),
    "threeDSecureRequired": ("visa", "3220", "credit", CHALLENGE),
    "chargeDeclined": ("visa", "0002", "credit", ("card_declined", "generic_decline")),
    "visa_chargeDeclined": ("visa", "0002", "credit", ("card_declined", "generic_decline")),
    "chargeDeclinedInsufficientFunds": ("visa", "9995", "credit", ("card_declined", "insufficient_funds")),
    "chargeDeclinedLostCard": ("visa", "9987", "credit", ("card_declined", "lost_card")),
    "visa_chargeDeclinedLostCard": ("visa", "9987", "credit", ("card_declined", "lost_card")),
    "chargeDeclinedStolenCard": ("visa", "9979", "credit", ("card_declined", "stolen_card")),
    "visa_chargeDeclinedStolenCard": ("visa", "9979", "credit", ("card_declined", "stolen_card")),
    "chargeDeclinedExpiredCard": ("visa", "0069", "credit", ("expired_card", "expired_card")),
    "chargeDeclinedIncorrectCvc": ("visa", "0127", "credit", ("incorrect_cvc", "incorrect_cvc")),
    "chargeDeclinedProcessingError": ("visa", "0119", "credit", ("processing_error", "processing_error")),
    "chargeCustomerFail": ("visa", "0341", "credit", ("card_declined", "generic_decline")),
}
NAMES = [prefix + name for name in ON_SESSION for prefix in ("pm_card_", "tok_")]


def pay_with(api: httpx.Client, payment_method: str, **params: Any) -> httpx.Response:
    """As Stripe's samples: `PaymentIntent.create(amount=1099, currency="usd", payment_method=…)`."""
    return api.post("/v1/payment_intents", json={"amount": 1099, "currency": "usd", "confirm": True,
                                                  "payment_method": payment_method, "return_url": RETURN_URL,
                                                  **params})


def fresh_pm(api: httpx.Client, dialect: Dialect, pm_id: str, name: str) -> dict[str, Any]:
    """The PaymentMethod a test name made: a new id in the dialect's form, never the name."""
    assert pm_id != name and re.fullmatch(dialect.id_re("pm"), pm_id), pm_id
    resp = api.get(f"/v1/payment_methods/{pm_id}")
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def paid(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


# -- a PaymentIntent confirmed with each name ----------------------------------------------------------------
def test_every_mapped_name_is_checked_here() -> None:
    assert set(ON_SESSION) == set(CARDS)
    assert all(len(name) <= 40 for name in NAMES)  # the wire's limit on a payment method id


@pytest.mark.parametrize("name", NAMES)
def test_each_name_pays_as_stripe_documents(api: httpx.Client, dialect: Dialect, name: str) -> None:
    brand, last4, funding, outcome = ON_SESSION[name.removeprefix("pm_card_").removeprefix("tok_")]
    resp = pay_with(api, name)
    if isinstance(outcome, tuple):
        error = assert_error(resp, 402, outcome[0], type_="card_error")
        assert error["decline_code"] == outcome[1]
        intent = error["payment_intent"]
        assert intent["status"] == "requires_payment_method"
        pm_id = intent["last_payment_error"]["payment_method"]["id"]
    else:
        intent = paid(resp)
        assert intent["status"] == outcome
        if outcome == CHALLENGE:
            assert intent["next_action"]["type"] == dialect.next_action_type
        pm_id = intent["payment_method"]
    card = fresh_pm(api, dialect, pm_id, name)["card"]
    assert (card["brand"], card["last4"], card["funding"]) == (brand, last4, funding)
    assert (card["exp_month"], card["exp_year"]) == (12, datetime.now(UTC).year + 3)
    assert card["checks"]["cvc_check"] == "pass"
    assert name not in resp.text


def test_pm_card_visa_succeeds_with_a_new_payment_method_each_time(api: httpx.Client, dialect: Dialect,
                                                                   server: PaykeepServer) -> None:
    first, second = paid(pay_with(api, "pm_card_visa")), paid(pay_with(api, "pm_card_visa"))
    assert first["status"] == second["status"] == "succeeded"
    assert first["amount_received"] == 1099 and first["currency"] == dialect.currency("usd")
    assert first["payment_method"] != second["payment_method"]
    for intent in (first, second):
        pm = fresh_pm(api, dialect, intent["payment_method"], "pm_card_visa")
        assert pm["customer"] is None and pm["livemode"] is False
    charge = api.get(f"/v1/payment_intents/{first['id']}", params={"expand[]": "latest_charge"}).json()
    assert charge["latest_charge"]["payment_method"] == first["payment_method"]
    assert "4242424242424242" not in str(first) + str(charge) + server.logs()  # only the vault has it


def test_tok_visa_works_the_same(api: httpx.Client, dialect: Dialect) -> None:
    intent = paid(pay_with(api, "tok_visa"))
    assert intent["status"] == "succeeded"
    assert fresh_pm(api, dialect, intent["payment_method"], "tok_visa")["card"]["last4"] == "4242"


def test_authentication_required_waits_for_the_challenge_then_succeeds(api: httpx.Client,
                                                                       dialect: Dialect) -> None:
    intent = paid(pay_with(api, "pm_card_authenticationRequired"))
    assert intent["status"] == "requires_action"
    answer_challenge(dialect.challenge_url(intent))
    done = api.get(f"/v1/payment_intents/{intent['id']}").json()
    assert done["status"] == "succeeded" and done["payment_method"] == intent["payment_method"]


# -- every place a payment method id is accepted -------------------------------------------------------------
def test_payment_intent_create_update_and_confirm(api: httpx.Client, dialect: Dialect) -> None:
    created = paid(api.post("/v1/payment_intents", json={"amount": 500, "currency": "usd",
                                                         "payment_method": "pm_card_mastercard"}))
    assert created["status"] == "requires_confirmation"
    made = fresh_pm(api, dialect, created["payment_method"], "pm_card_mastercard")
    assert made["card"]["brand"] == "mastercard"
    updated = paid(api.post(f"/v1/payment_intents/{created['id']}", json={"payment_method": "pm_card_amex"}))
    assert updated["payment_method"] != created["payment_method"]
    assert fresh_pm(api, dialect, updated["payment_method"], "pm_card_amex")["card"]["brand"] == "amex"
    confirmed = paid(api.post(f"/v1/payment_intents/{created['id']}/confirm",
                              json={"payment_method": "tok_discover", "return_url": RETURN_URL}))
    assert confirmed["status"] == "succeeded"
    assert confirmed["payment_method"] not in (created["payment_method"], updated["payment_method"])
    assert fresh_pm(api, dialect, confirmed["payment_method"], "tok_discover")["card"]["brand"] == "discover"


def test_setup_intent_on_setup_card_then_off_session_charge(api: httpx.Client, dialect: Dialect) -> None:
    cus = customer(api)
    seti = paid(api.post("/v1/setup_intents", json={
        "customer": cus, "payment_method": "pm_card_authenticationRequiredOnSetup", "confirm": True,
        "usage": "off_session", "return_url": RETURN_URL}))
    assert seti["status"] == "requires_action"
    pm_id = seti["payment_method"]
    assert fresh_pm(api, dialect, pm_id, "pm_card_authenticationRequiredOnSetup")["card"]["last4"] == "3155"
    answer_challenge(next_action_url(seti))
    assert api.get(f"/v1/setup_intents/{seti['id']}").json()["status"] == "succeeded"
    charged = paid(charge_saved(api, cus, pm_id, off_session=True))
    assert charged["status"] == "succeeded" and charged["payment_method"] == pm_id


def test_setup_intent_update_then_confirm(api: httpx.Client, dialect: Dialect) -> None:
    seti = paid(api.post("/v1/setup_intents", json={"customer": customer(api),
                                                    "payment_method": "pm_card_visa"}))
    assert seti["status"] == "requires_confirmation"
    updated = paid(api.post(f"/v1/setup_intents/{seti['id']}",
                            json={"payment_method": "tok_chargeCustomerFail"}))
    assert updated["payment_method"] != seti["payment_method"]
    confirmed = paid(api.post(f"/v1/setup_intents/{seti['id']}/confirm", json={"return_url": RETURN_URL}))
    assert confirmed["status"] == "succeeded" and confirmed["payment_method"] == updated["payment_method"]
    pm_id = confirmed["payment_method"]
    assert fresh_pm(api, dialect, pm_id, "tok_chargeCustomerFail")["card"]["last4"] == "0341"
    declined = charge_saved(api, confirmed["customer"], pm_id, off_session=True)
    error = assert_error(declined, 402, "card_declined", type_="card_error")
    assert error["decline_code"] == "generic_decline"


def test_attach_pm_card_visa_lists_it_under_the_customer(api: httpx.Client, dialect: Dialect) -> None:
    cus = customer(api)
    attached = paid(api.post("/v1/payment_methods/pm_card_visa/attach", json={"customer": cus}))
    assert attached["customer"] == cus and attached["card"]["last4"] == "4242"
    fresh_pm(api, dialect, attached["id"], "pm_card_visa")
    again = paid(api.post("/v1/payment_methods/pm_card_visa/attach", json={"customer": cus}))
    listed = api.get(f"/v1/customers/{cus}/payment_methods").json()["data"]
    assert sorted(pm["id"] for pm in listed) == sorted([attached["id"], again["id"]])
    assert attached["id"] != again["id"]


# -- what is refused -----------------------------------------------------------------------------------------
def test_unknown_test_name_is_404_naming_the_parameter(api: httpx.Client) -> None:
    error = assert_error(pay_with(api, "pm_card_nonsense"), 404, "resource_missing", param="payment_method")
    assert "pm_card_nonsense" in error["message"]
    assert_error(api.post("/v1/setup_intents", json={"payment_method": "tok_nonsense", "confirm": True}),
                 404, "resource_missing", param="payment_method")
    assert_error(api.post("/v1/payment_methods/pm_card_nonsense/attach", json={"customer": customer(api)}),
                 404, "resource_missing")


def test_a_name_paykeep_has_no_card_for_says_so(api: httpx.Client) -> None:
    error = assert_error(pay_with(api, "pm_card_chargeDeclinedFraudulent"), 404, "resource_missing",
                         param="payment_method")
    assert "fraudulent" in error["message"] and "docs/test-cards.md" in error["message"]
    assert_error(pay_with(api, "pm_card_diners"), 404, "resource_missing", param="payment_method")


def test_live_mode_key_treats_names_as_unknown_ids(server: PaykeepServer) -> None:
    with server.client(server.sk_live) as live:
        error = assert_error(pay_with(live, "pm_card_visa"), 404, "resource_missing", param="payment_method")
        assert "pm_card_visa" in error["message"]
        assert_error(pay_with(live, "tok_visa"), 404, "resource_missing", param="payment_method")
        assert_error(live.post("/v1/payment_methods/pm_card_visa/attach", json={"customer": customer(live)}),
                     404, "resource_missing")


def test_retrieving_a_name_is_404(api: httpx.Client) -> None:
    assert_error(api.get("/v1/payment_methods/pm_card_visa"), 404, "resource_missing")


def test_docs_show_the_table_as_rendered() -> None:
    assert markdown_section() in DOCS.read_text(encoding="utf-8")


# -- the official stripe package, Stripe dialect -------------------------------------------------------------
@pytest.fixture
def legacy(server: PaykeepServer) -> Iterator[Any]:
    """The module-level API (`stripe.PaymentIntent.create`) pointed at this server; restored afterwards."""
    saved = stripe.api_key, stripe.api_base, stripe.max_network_retries
    stripe.api_key, stripe.api_base, stripe.max_network_retries = server.sk, server.base_url, 0
    yield stripe
    stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


@pytest.mark.contract
@pytest.mark.dialects("stripe")
def test_stripe_sdk_samples(legacy: Any) -> None:
    intent = legacy.PaymentIntent.create(amount=1099, currency="usd", payment_method="pm_card_visa",
                                         confirm=True, return_url=RETURN_URL)
    assert intent.status == "succeeded" and intent.currency == "usd"
    assert re.fullmatch(r"pm_[0-9]{19}[0-9A-Za-z]{5}", intent.payment_method)
    cus = legacy.Customer.create(email="sdk-test-pm@example.com")
    pm = legacy.PaymentMethod.attach("pm_card_visa", customer=cus.id)
    assert pm.id != "pm_card_visa" and pm.customer == cus.id and pm.card.last4 == "4242"
    listed = legacy.Customer.list_payment_methods(cus.id)
    assert [p.id for p in listed.data] == [pm.id]
    with pytest.raises(stripe.CardError) as info:
        legacy.PaymentIntent.create(amount=1099, currency="usd", payment_method="pm_card_chargeDeclined",
                                    confirm=True)
    assert info.value.code == "card_declined" and info.value.error is not None
    assert info.value.error.decline_code == "generic_decline"
