"""Saving a card and charging it later, as a Stripe integration does it, against a fresh paykeep account.

`paykeep_account.stripe` is an ordinary `stripe.StripeClient` whose base address is the paykeep server the
plugin started: the same calls as against Stripe, test cards included.
"""

from __future__ import annotations

import stripe

RETURN_URL = "https://shop.example.com/checkout/return"


def card(number: str) -> dict[str, object]:
    return {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}


def test_save_a_card(paykeep_account):
    client = paykeep_account.stripe
    customer = client.v1.customers.create(params={"email": "jenny@example.com"})
    setup = client.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method_data": card("4242424242424242"), "confirm": True,
        "usage": "off_session", "return_url": RETURN_URL,
    })
    assert setup.status == "succeeded"
    saved = client.v1.payment_methods.list(params={"customer": customer.id, "type": "card"})
    assert [pm.id for pm in saved.data] == [setup.payment_method]
    assert saved.data[0].card.last4 == "4242"
    assert saved.data[0].card.brand == "visa"


def test_3d_secure_completed_over_http(paykeep_account):
    """4000002500003155 asks for 3-D Secure: the cardholder's answer is one form POST to the challenge URL
    (`outcome=complete`), no browser. `answer_challenge` makes that POST; the page answers with a 303 to the
    return_url, which a browser would follow."""
    client = paykeep_account.stripe
    customer = client.v1.customers.create(params={"email": "3ds@example.com"})
    setup = client.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method_data": card("4000002500003155"), "confirm": True,
        "usage": "off_session", "return_url": RETURN_URL,
    })
    assert setup.status == "requires_action"
    assert setup.next_action.type == "redirect_to_url"
    answer = paykeep_account.answer_challenge(setup, "complete")
    assert answer.status == 303
    assert answer.headers["location"].startswith(RETURN_URL + "?setup_intent=" + setup.id)
    assert "redirect_status=succeeded" in answer.headers["location"]
    assert client.v1.setup_intents.retrieve(setup.id).status == "succeeded"


def test_a_failed_challenge_leaves_the_card_unsaved(paykeep_account):
    client = paykeep_account.stripe
    customer = client.v1.customers.create()
    setup = client.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method_data": card("4000002500003155"), "confirm": True,
        "return_url": RETURN_URL,
    })
    assert paykeep_account.answer_challenge(setup, "fail").status == 303
    again = client.v1.setup_intents.retrieve(setup.id)
    assert again.status == "requires_payment_method"
    assert again.last_setup_error.code == "setup_intent_authentication_failure"


def test_off_session_charge_of_a_saved_card(paykeep_account):
    client = paykeep_account.stripe
    customer = client.v1.customers.create(params={"email": "later@example.com"})
    setup = client.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method_data": card("4242424242424242"), "confirm": True,
        "usage": "off_session", "return_url": RETURN_URL,
    })
    payment = client.v1.payment_intents.create(params={
        "amount": 1999, "currency": "usd", "customer": customer.id, "payment_method": setup.payment_method,
        "off_session": True, "confirm": True, "expand": ["latest_charge"],
    })
    assert payment.status == "succeeded"
    assert payment.amount_received == 1999
    charge = payment.latest_charge
    assert charge.paid and charge.captured and charge.amount == 1999
    assert charge.payment_method_details.card.last4 == "4242"


def test_a_declined_off_session_charge_raises_card_error(paykeep_account):
    client = paykeep_account.stripe
    customer = client.v1.customers.create()
    try:
        client.v1.payment_intents.create(params={
            "amount": 500, "currency": "usd", "customer": customer.id, "confirm": True, "off_session": True,
            "payment_method_data": card("4000000000009995"),
        })
    except stripe.CardError as exc:
        assert exc.code == "card_declined"
        assert exc.http_status == 402
    else:
        raise AssertionError("the insufficient-funds card was charged")


def test_each_test_has_its_own_account(paykeep_account, paykeep_server):
    other = paykeep_server.create_account()
    assert other.id != paykeep_account.id
    mine = paykeep_account.stripe.v1.customers.create(params={"email": "mine@example.com"})
    try:
        other.stripe.v1.customers.retrieve(mine.id)
    except stripe.InvalidRequestError as exc:
        assert exc.http_status == 404
    else:
        raise AssertionError("another account saw this account's customer")
