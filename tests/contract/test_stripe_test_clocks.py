"""The official `stripe` package (16.1.0) drives paykeep's test clocks as it drives Stripe's, on a server in
the Stripe dialect: `client.v1.test_helpers.test_clocks` create / retrieve / list / advance / delete, a
customer made with `test_clock`, and an uncaptured PaymentIntent canceled once the clock is 8 days on."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import stripe

from support.cards import card
from support.server import PaykeepServer

pytestmark = pytest.mark.contract

START = 1_700_000_000  # Unix seconds (the Stripe dialect)
DAY = 24 * 3600


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[stripe.StripeClient]:
    srv = PaykeepServer(tmp_path_factory.mktemp("stripe-clocks"), env={"PAYKEEP_DIALECT": "stripe"}).start()
    yield stripe.StripeClient(srv.sk, base_addresses={"api": srv.base_url}, max_network_retries=0)
    srv.close()


def _ready(client: stripe.StripeClient, clock_id: str) -> stripe.test_helpers.TestClock:
    deadline = time.monotonic() + 30
    while (clock := client.v1.test_helpers.test_clocks.retrieve(clock_id)).status != "ready":
        assert time.monotonic() < deadline, "the clock did not become ready in 30 s"
        time.sleep(0.05)
    return clock


def test_an_sdk_advances_a_clock_past_the_7_days_of_an_authorization(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": START, "name": "sdk"})
    assert isinstance(clock, stripe.test_helpers.TestClock)
    assert (clock.frozen_time, clock.status, clock.name) == (START, "ready", "sdk")
    assert clock.deletes_after - clock.created == 7 * DAY
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    assert customer.test_clock == clock.id and customer.created == START
    intent = client.v1.payment_intents.create(params={
        "amount": 2500, "currency": "usd", "customer": customer.id, "capture_method": "manual",
        "confirm": True, "payment_method_data": {"type": "card", "card": card("4242424242424242")},  # type: ignore[typeddict-item]
    })
    assert intent.status == "requires_capture" and intent.created == START

    advancing = client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": START + 8 * DAY})
    assert advancing.status == "advancing" and advancing.frozen_time == START
    assert advancing.status_details.advancing is not None
    assert advancing.status_details.advancing.target_frozen_time == START + 8 * DAY
    assert _ready(client, clock.id).frozen_time == START + 8 * DAY

    intent = client.v1.payment_intents.retrieve(intent.id)
    assert (intent.status, intent.cancellation_reason, intent.canceled_at) == (
        "canceled", "automatic", START + 7 * DAY)
    listed = client.v1.test_helpers.test_clocks.list(params={"limit": 10})
    assert clock.id in [c.id for c in listed.data]

    with pytest.raises(stripe.InvalidRequestError) as backwards:
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": START})
    assert backwards.value.http_status == 400 and backwards.value.param == "frozen_time"

    deleted = client.v1.test_helpers.test_clocks.delete(clock.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v1.test_helpers.test_clocks.retrieve(clock.id)
    assert gone.value.http_status == 404 and gone.value.code == "resource_missing"
