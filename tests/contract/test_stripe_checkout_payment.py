"""The official `stripe` Python package (16.1.0) against paykeep in the Stripe dialect, as Stripe's
documentation writes a one-time payment with the prebuilt Checkout page (issue 20): a Product and its Price
(`stripe.Product.create`, `stripe.Price.create`, a lookup key found again with `lookup_keys` and
`expand=["data.product"]`), then `stripe.checkout.Session.create(line_items=[{"price": …, "quantity": 1}],
mode="payment", success_url=…, cancel_url=…)` and the same with inline `price_data`; the session's hosted page
paid, the session retrieved (`payment_status == "paid"`) and its line items listed."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
import stripe

from support.payments import card
from support.server import PaykeepServer

pytestmark = pytest.mark.contract
YOUR_DOMAIN = "http://localhost:4242"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    srv = PaykeepServer(tmp_path_factory.mktemp("stripe-checkout"), env={"PAYKEEP_DIALECT": "stripe"}).start()
    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = srv.sk, srv.base_url, 0
    yield srv
    stripe.api_key, stripe.api_base, stripe.max_network_retries = saved
    srv.close()


def _pay(url: str) -> str:
    page = httpx.get(url, timeout=30)
    token = _CSRF.search(page.text)
    assert page.status_code == 200 and token is not None, page.text
    resp = httpx.post(url, data={**card("4242424242424242"), "csrf_token": token.group(1)}, timeout=30)
    assert resp.status_code == 303, resp.text
    return resp.headers["location"]


def test_products_and_prices_as_the_docs_make_them(sdk: PaykeepServer) -> None:
    key = f"standard_monthly_{uuid.uuid4().hex[:8]}"
    product = stripe.Product.create(name="Starter Subscription", description="$12/Month subscription")
    assert isinstance(product, stripe.Product) and product.active is True
    assert abs(datetime.now() - datetime.fromtimestamp(product.created)) <= timedelta(seconds=60)
    price = stripe.Price.create(unit_amount=1200, currency="usd", product=product.id, lookup_key=key)
    assert isinstance(price, stripe.Price) and price.currency == "usd" and price.type == "one_time"
    prices = stripe.Price.list(lookup_keys=[key], expand=["data.product"])
    assert [p.id for p in prices.data] == [price.id]
    assert isinstance(prices.data[0].product, stripe.Product) and prices.data[0].product.id == product.id
    stripe.Product.modify(product.id, metadata={"tier": "starter"})
    found = stripe.Product.search(query='metadata["tier"]:"starter"')
    assert [p.id for p in found.data] == [product.id]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.Price.create(unit_amount=1200, currency="usd", product=product.id,
                            recurring={"interval": "month"})
    assert refused.value.code == "parameter_unsupported" and refused.value.param == "recurring"
    archived = stripe.Price.modify(price.id, active=False)
    assert archived.active is False


def test_the_prebuilt_checkout_page_sample(sdk: PaykeepServer) -> None:
    price = stripe.Price.create(unit_amount=2000, currency="usd", product_data={"name": "T-shirt"})
    checkout_session = stripe.checkout.Session.create(
        line_items=[
            {
                # Provide the exact Price ID (for example, price_1234) of the product you want to sell
                "price": price.id,
                "quantity": 1,
            },
        ],
        mode="payment",
        success_url=YOUR_DOMAIN + "/success.html?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=YOUR_DOMAIN + "/cancel.html",
    )
    assert isinstance(checkout_session, stripe.checkout.Session)
    assert checkout_session.url and checkout_session.amount_total == 2000
    assert checkout_session.currency == "usd"
    assert _pay(checkout_session.url) == f"{YOUR_DOMAIN}/success.html?session_id={checkout_session.id}"
    session = stripe.checkout.Session.retrieve(checkout_session.id, expand=["payment_intent"])
    assert session.status == "complete" and session.payment_status == "paid"
    assert isinstance(session.payment_intent, stripe.PaymentIntent)
    assert session.payment_intent.status == "succeeded" and session.payment_intent.amount_received == 2000
    items = stripe.checkout.Session.list_line_items(checkout_session.id, limit=5)
    [item] = items.data
    assert item.price.id == price.id and item.quantity == 1 and item.amount_total == 2000


def test_inline_price_data_and_saving_the_card(sdk: PaykeepServer) -> None:
    session = stripe.checkout.Session.create(
        line_items=[{"price_data": {"currency": "usd", "product_data": {"name": "T-shirt"},
                                    "unit_amount": 2000},
                     "quantity": 2}],
        mode="payment",
        customer_email="jenny.rosen@example.com",
        payment_intent_data={"setup_future_usage": "off_session"},
        success_url="http://localhost:4242/success?session_id={CHECKOUT_SESSION_ID}",
    )
    assert session.amount_subtotal == 4000 and session.customer
    _pay(session.url)
    done = stripe.checkout.Session.retrieve(session.id)
    intent = stripe.PaymentIntent.retrieve(done.payment_intent)
    later = stripe.PaymentIntent.create(amount=1500, currency="usd", customer=done.customer,
                                        payment_method=intent.payment_method, off_session=True, confirm=True)
    assert later.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as bad:
        stripe.checkout.Session.create(line_items=[{"price": "price_nope", "quantity": 1}], mode="payment",
                                       success_url="http://localhost:4242/success")
    assert bad.value.http_status == 400 and bad.value.param == "line_items[0][price]"
