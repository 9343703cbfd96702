"""A test clock: the customer's uncaptured PaymentIntent is canceled when its 7-day authorization runs out,
on the clock's time. Advancing the clock takes seconds of wall time for 8 days of the clock's."""

from __future__ import annotations

import time

CARD = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034,
                                 "cvc": "123"}}
DAY = 24 * 60 * 60


def wait_until_ready(client, clock_id, timeout=30.0):
    """Advancing runs in the background (`advancing`, then `ready`): poll the clock, with a bound."""
    deadline = time.monotonic() + timeout
    while True:
        clock = client.v1.test_helpers.test_clocks.retrieve(clock_id)
        if clock.status == "ready" or time.monotonic() > deadline:
            return clock
        time.sleep(0.05)


def test_advancing_past_7_days_cancels_an_uncaptured_payment(paykeep_account, paykeep_webhooks):
    client = paykeep_account.stripe
    start = int(time.time())
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": start, "name": "auth expiry"})
    customer = client.v1.customers.create(params={"email": "clock@example.com", "test_clock": clock.id})
    payment = client.v1.payment_intents.create(params={
        "amount": 4200, "currency": "usd", "customer": customer.id, "capture_method": "manual",
        "payment_method_data": CARD, "confirm": True, "return_url": "https://shop.example.com/return",
    })
    assert payment.status == "requires_capture"

    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": start + 8 * DAY})
    clock = wait_until_ready(client, clock.id)
    assert clock.status == "ready"
    assert clock.frozen_time == start + 8 * DAY

    canceled = client.v1.payment_intents.retrieve(payment.id)
    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "automatic"
    assert canceled.canceled_at == payment.created + 7 * DAY  # on the clock's time, not the wall clock's
    event = paykeep_webhooks.wait_for("payment_intent.canceled", object_id=payment.id)
    assert event["data"]["object"]["status"] == "canceled"
    expired = paykeep_webhooks.wait_for("charge.expired")
    assert expired["data"]["object"]["payment_intent"] == payment.id
