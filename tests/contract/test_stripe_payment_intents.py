"""The official `stripe` package against paykeep: charge a saved card off-session, and the SCA decline."""

from __future__ import annotations

import pytest
import stripe

from support.payments import RETURN_URL, answer_challenge, card

pytestmark = pytest.mark.contract


@pytest.fixture
def client(server):
    """A StripeClient pointed at paykeep (Bearer auth with the test secret key, form-encoded bodies)."""
    return stripe.StripeClient(server.sk, base_addresses={"api": server.base_url}, max_network_retries=0)


@pytest.fixture
def legacy(server):
    """The module-level API (`stripe.PaymentIntent.create`), as most integrations still use it."""
    saved = stripe.api_key, stripe.api_base, stripe.max_network_retries
    stripe.api_key, stripe.api_base, stripe.max_network_retries = server.sk, server.base_url, 0
    yield stripe
    stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


def _saved_card(client: stripe.StripeClient, number: str) -> tuple[str, str]:
    customer = client.v1.customers.create(params={"email": "sdk@example.com"})
    seti = client.v1.setup_intents.create(params={
        "confirm": True, "customer": customer.id, "payment_method_types": ["card"],
        "payment_method_data": {"type": "card", "card": card(number)},  # type: ignore[typeddict-item]
        "usage": "off_session", "return_url": RETURN_URL,
    })
    if seti.status == "requires_action":
        answer_challenge(seti.next_action["challenge_redirect"]["url"])  # type: ignore[index]
        seti = client.v1.setup_intents.retrieve(seti.id)
    assert seti.status == "succeeded"
    return customer.id, str(seti.payment_method)


@pytest.mark.parametrize("number", ["4242424242424242", "4000002500003155", "4462030000000000"])
def test_off_session_charge_of_a_saved_card_succeeds(client, legacy, number):
    customer, pm = _saved_card(client, number)
    intent = legacy.PaymentIntent.create(amount=2500, currency="usd", customer=customer, payment_method=pm,
                                         off_session=True, confirm=True, metadata={"order": "sdk-1"})
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.status == "succeeded" and intent.amount_received == 2500
    assert intent.currency == "USD" and intent.metadata["order"] == "sdk-1"
    assert str(intent.latest_charge).startswith("ch_")
    again = legacy.PaymentIntent.retrieve(intent.id, expand=["latest_charge"])
    assert again.latest_charge.amount_captured == 2500  # type: ignore[union-attr]


def test_authentication_required_raises_card_error(client, legacy):
    customer, pm = _saved_card(client, "4000002760003184")
    with pytest.raises(stripe.CardError) as info:
        legacy.PaymentIntent.create(amount=2500, currency="usd", customer=customer, payment_method=pm,
                                    off_session=True, confirm=True)
    err = info.value
    assert err.http_status == 402
    assert err.code == "authentication_required"
    assert err.error is not None and err.error.decline_code == "authentication_required"
    intent = err.error.payment_intent
    assert intent is not None and intent.status == "requires_payment_method"
    # bring the customer back on-session: the same intent now asks for the challenge
    confirmed = client.v1.payment_intents.confirm(intent.id,
                                                  params={"payment_method": pm, "return_url": RETURN_URL})
    assert confirmed.status == "requires_action"
    assert confirmed.next_action["type"] == "challenge_redirect"  # type: ignore[index]


def test_manual_capture_cancel_and_refund_through_the_sdk(client):
    customer, pm = _saved_card(client, "4242424242424242")
    intent = client.v1.payment_intents.create(params={
        "amount": 5000, "currency": "eur", "customer": customer, "payment_method": pm, "confirm": True,
        "capture_method": "manual", "off_session": True,
    })
    assert intent.status == "requires_capture" and intent.amount_capturable == 5000
    captured = client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 4000})
    assert captured.status == "succeeded" and captured.amount_received == 4000
    refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1000})
    assert refund.status == "succeeded" and refund.amount == 1000
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 3001})
    assert info.value.code == "amount_too_large"
    other = client.v1.payment_intents.create(params={"amount": 700, "currency": "usd"})
    canceled = client.v1.payment_intents.cancel(other.id, params={"cancellation_reason": "abandoned"})
    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
    listed = client.v1.payment_intents.list(params={"customer": customer})
    assert [p.id for p in listed.data] == [intent.id]
