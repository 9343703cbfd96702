"""The official `stripe` Python package (16.1.0) searching a paykeep server in the Stripe dialect (API.md §9):
`stripe.Customer.search(query=...)` returns a `SearchResultObject` and `.auto_paging_iter()` follows
`next_page` to the end; PaymentIntents and charges the same way."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import stripe

from support.server import PaykeepServer

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    srv = PaykeepServer(tmp_path_factory.mktemp("stripe-search"), env={"PAYKEEP_DIALECT": "stripe"}).start()
    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = srv.sk, srv.base_url, 0
    yield srv
    stripe.api_key, stripe.api_base, stripe.max_network_retries = saved
    srv.close()


def test_customer_search_and_auto_paging(sdk: PaykeepServer) -> None:
    tag = uuid.uuid4().hex[:10]
    made = [stripe.Customer.create(email=f"c{i}.{tag}@example.com", metadata={"run": tag}) for i in range(5)]
    first = stripe.Customer.search(query=f'metadata["run"]:"{tag}"', limit=2)
    assert isinstance(first, stripe.SearchResultObject)
    assert first.object == "search_result" and first.has_more is True and len(first.data) == 2
    assert isinstance(first.data[0], stripe.Customer) and first.data[0].id == made[-1].id
    assert isinstance(first.next_page, str)
    when = datetime.fromtimestamp(first.data[0].created)  # Unix seconds, as Stripe's
    assert abs(datetime.now() - when) <= timedelta(seconds=60)
    assert [c.id for c in first.auto_paging_iter()] == [c.id for c in reversed(made)]
    [one] = stripe.Customer.search(query=f'email:"C2.{tag}@EXAMPLE.COM"').data
    assert one.id == made[2].id


def test_time_queries_are_in_seconds(sdk: PaykeepServer) -> None:
    tag = uuid.uuid4().hex[:10]
    early = stripe.Customer.create(metadata={"run": tag})
    time.sleep(1.1)
    late = stripe.Customer.create(metadata={"run": tag})
    after = stripe.Customer.search(query=f'metadata["run"]:"{tag}" created>{early.created}')
    assert [c.id for c in after.data] == [late.id]
    until = stripe.Customer.search(query=f'metadata["run"]:"{tag}" created<={early.created}')
    assert [c.id for c in until.data] == [early.id]


def test_payment_intent_and_charge_search(sdk: PaykeepServer) -> None:
    tag = uuid.uuid4().hex[:10]
    intent = stripe.PaymentIntent.create(
        amount=4321,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        metadata={"run": tag},
        automatic_payment_methods={"enabled": True, "allow_redirects": "never"},
    )
    assert intent.status == "succeeded"
    found = stripe.PaymentIntent.search(query=f'metadata["run"]:"{tag}" amount:4321 currency:"usd"')
    assert [pi.id for pi in found.auto_paging_iter()] == [intent.id]
    assert found.data[0].currency == "usd"
    charges = stripe.Charge.search(
        query='amount:4321 payment_method_details.card.last4:"4242" status:"succeeded"', limit=100
    )
    assert intent.latest_charge in [c.id for c in charges.auto_paging_iter()]


def test_a_bad_query_is_an_invalid_request_error(sdk: PaykeepServer) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Customer.search(query='email:"a" name:')
    assert caught.value.param == "query"
    assert "position 15" in str(caught.value.user_message)
