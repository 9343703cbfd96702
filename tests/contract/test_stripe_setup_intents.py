"""The official `stripe` package, pointed at paykeep (`stripe.api_base`), saves a card the seed's way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from support.cards import card

pytestmark = pytest.mark.contract


@pytest.fixture
def sdk(server: Any) -> Iterator[None]:
    """The module-level configuration, restored afterwards (other tests may use the package too)."""
    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = server.sk, server.base_url, 0
    yield
    stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


def card_data(number: str) -> dict[str, Any]:
    return {"type": "card", "card": card(number)}


def test_save_a_card_and_list_it(sdk: None) -> None:
    customer = stripe.Customer.create(email="sdk@example.com", name="SDK Buyer")
    assert customer.id.startswith("cus_")
    seti = stripe.SetupIntent.create(
        confirm=True, customer=customer.id, payment_method_types=["card"],
        payment_method_data=card_data("4242424242424242"), usage="off_session",
        return_url="https://shop.example/back",
    )
    assert isinstance(seti, stripe.SetupIntent)
    assert seti.status == "succeeded" and seti.customer == customer.id
    assert seti.client_secret.startswith(seti.id + "_secret_")
    listed = stripe.Customer.list_payment_methods(customer.id, type="card")
    assert [pm.id for pm in listed.data] == [seti.payment_method]
    pm = listed.data[0]
    assert isinstance(pm, stripe.PaymentMethod)
    assert pm.card.last4 == "4242" and pm.card.brand == "visa" and pm.customer == customer.id
    listed_too = stripe.PaymentMethod.list(customer=customer.id, type="card")
    assert [p.id for p in listed_too.auto_paging_iter()] == [pm.id]
    again = stripe.SetupIntent.retrieve(seti.id, expand=["payment_method"])
    assert again.payment_method.id == pm.id


def test_a_decline_raises_card_error(sdk: None) -> None:
    customer = stripe.Customer.create(email="declined@example.com")
    with pytest.raises(stripe.CardError) as info:
        stripe.SetupIntent.create(confirm=True, customer=customer.id, payment_method_data=card_data(
            "4000000000000002"), return_url="https://shop.example/back")
    err = info.value
    assert err.http_status == 402 and err.code == "card_declined"
    assert err.error is not None and err.error.decline_code == "generic_decline"
    seti = err.error.setup_intent
    assert seti is not None and seti.status == "requires_payment_method"
    assert stripe.SetupIntent.retrieve(seti.id).last_setup_error.code == "card_declined"
    assert stripe.Customer.list_payment_methods(customer.id).data == []


def test_a_card_form_error_raises_card_error_with_param(sdk: None) -> None:
    with pytest.raises(stripe.CardError) as info:
        stripe.PaymentMethod.create(type="card", card=card("4242424242424241"))
    assert info.value.code == "incorrect_number" and info.value.param == "number"


def test_challenge_then_confirm_in_two_steps(sdk: None) -> None:
    customer = stripe.Customer.create(email="3ds@example.com")
    pm = stripe.PaymentMethod.create(type="card", card=card("4000002500003155"))
    seti = stripe.SetupIntent.create(customer=customer.id, payment_method=pm.id)
    assert seti.status == "requires_confirmation"
    seti = stripe.SetupIntent.confirm(seti.id, return_url="https://shop.example/back")
    assert seti.status == "requires_action"
    assert seti.next_action.type == "challenge_redirect"
    assert seti.next_action.challenge_redirect.url.startswith(stripe.api_base + "/3ds/")
    canceled = stripe.SetupIntent.cancel(seti.id, cancellation_reason="abandoned")
    assert canceled.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.SetupIntent.confirm(seti.id)
    assert info.value.code == "setup_intent_unexpected_state"


def test_stripe_client_with_base_addresses(server: Any) -> None:
    client = stripe.StripeClient(server.sk, base_addresses={"api": server.base_url}, max_network_retries=0)
    customer = client.v1.customers.create(params={"email": "client@example.com"})
    seti = client.v1.setup_intents.create(params={
        "confirm": True, "customer": customer.id, "payment_method_data": card_data("5555555555554444"),  # type: ignore[typeddict-item]
        "return_url": "https://shop.example/back"})
    assert seti.status == "succeeded"
    assert client.v1.customers.payment_methods.list(customer.id).data[0].card.last4 == "4444"
