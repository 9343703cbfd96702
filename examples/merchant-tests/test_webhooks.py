"""Webhooks: the `paykeep_webhooks` receiver is subscribed to every event of the test's account and checks
each delivery's signature with the endpoint's secret; `wait_for` waits for one event, woken by each
delivery."""

from __future__ import annotations

import stripe

CARD = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034,
                                 "cvc": "123"}}


def test_a_webhook_waited_for(paykeep_account, paykeep_webhooks):
    client = paykeep_account.stripe
    customer = client.v1.customers.create(params={"email": "hooks@example.com"})
    payment = client.v1.payment_intents.create(params={
        "amount": 2500, "currency": "usd", "customer": customer.id, "payment_method_data": CARD,
        "confirm": True, "return_url": "https://shop.example.com/return",
    })
    event = paykeep_webhooks.wait_for("payment_intent.succeeded", object_id=payment.id)
    assert event["data"]["object"]["amount"] == 2500
    assert event["data"]["object"]["status"] == "succeeded"
    created = paykeep_webhooks.wait_for("customer.created", object_id=customer.id)
    assert created["data"]["object"]["email"] == "hooks@example.com"


def test_the_signature_checks_with_the_official_package(paykeep_account, paykeep_webhooks):
    """What the receiver accepted, Stripe's own `construct_event` accepts with the same secret."""
    paykeep_account.stripe.v1.customers.create(params={"email": "signed@example.com"})
    paykeep_webhooks.wait_for("customer.created")
    delivery = paykeep_webhooks.raw[0]
    headers = {name.lower(): value for name, value in delivery["headers"].items()}
    event = stripe.Webhook.construct_event(delivery["body"], headers["stripe-signature"],
                                           paykeep_webhooks.secret)
    assert event.type == "customer.created"
