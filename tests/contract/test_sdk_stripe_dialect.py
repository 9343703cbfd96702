"""The official `stripe` Python package (16.1.0) against a paykeep server in the Stripe dialect (issue 13).

The server runs with `PAYKEEP_DIALECT=stripe`, so an integration written for Stripe needs nothing changed but
`stripe.api_base` and the key: seconds in `created` (the SDK's date helpers work), lower-case currencies,
Stripe's `next_action` shapes, Stripe-style ids, and webhook deliveries that `stripe.Webhook.construct_event`
accepts on their `Stripe-Signature` header. One server (and one receiver, one endpoint) for the whole module.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import stripe

from support.cards import card
from support.payments import RETURN_URL, answer_challenge
from support.receiver import Received, Receiver
from support.server import PaykeepServer

pytestmark = pytest.mark.contract

FRICTIONLESS = "4242424242424242"
THREE_DS_ON_SESSION = "4000002500003155"  # challenge on setup / on-session, succeeds off-session
INSUFFICIENT_FUNDS = "4000000000009995"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    """This module's one server, whose account speaks the Stripe dialect by default."""
    srv = PaykeepServer(tmp_path_factory.mktemp("stripe-dialect"), env={"PAYKEEP_DIALECT": "stripe"}).start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def sdk(server: PaykeepServer) -> Iterator[PaykeepServer]:
    """The module-level configuration (`stripe.api_base`), restored afterwards: other modules use it too."""
    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = server.sk, server.base_url, 0
    yield server
    stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    rcv = Receiver()
    yield rcv
    rcv.close()


@pytest.fixture(scope="module")
def endpoint(sdk: PaykeepServer, receiver: Receiver) -> stripe.WebhookEndpoint:
    """Created through the SDK, so in the Stripe dialect: its deliveries carry `Stripe-Signature`."""
    return stripe.WebhookEndpoint.create(url=receiver.url, enabled_events=["*"], description="sdk contract")


# -- helpers --------------------------------------------------------------------------------------------

def assert_recent(created: Any, what: str) -> datetime:
    """`datetime.fromtimestamp(obj.created)`, as integrations write it, lands within a minute of now."""
    assert isinstance(created, int), f"{what}.created = {created!r}"
    try:
        when = datetime.fromtimestamp(created)
    except (ValueError, OverflowError, OSError) as exc:  # milliseconds overflow the year
        raise AssertionError(f"{what}.created = {created} is not Unix seconds: {exc}") from exc
    assert abs(datetime.now() - when) <= timedelta(seconds=60), f"{what}.created = {created} -> {when}"
    return when


def assert_stripe_id(value: Any, prefix: str) -> None:
    """A Stripe-dialect id: prefix + 24 base-62 characters (19 time-ordered digits, 5 random)."""
    assert isinstance(value, str) and re.fullmatch(rf"{prefix}_[0-9]{{19}}[0-9A-Za-z]{{5}}", value), value


def header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def card_data(number: str) -> dict[str, Any]:
    return {"type": "card", "card": card(number)}


def delivery(receiver: Receiver, event_type: str, object_id: str) -> Received:
    """The first delivery (real bytes as received) of `event_type` about `object_id`."""
    def find(reqs: list[Received]) -> Received | None:
        for req in reqs:
            data = req.event
            if data.get("type") == event_type and data["data"]["object"].get("id") == object_id:
                return req
        return None

    got = receiver.wait_for(lambda reqs: find(reqs) is not None)
    found = find(got)
    assert found is not None
    return found


def save_card(customer_id: str, number: str) -> stripe.SetupIntent:
    return stripe.SetupIntent.create(
        confirm=True, customer=customer_id, payment_method_types=["card"],
        payment_method_data=card_data(number),  # type: ignore[arg-type]
        usage="off_session", return_url=RETURN_URL,
    )


# -- tests ----------------------------------------------------------------------------------------------

def test_customer_is_written_the_stripe_way(sdk: PaykeepServer) -> None:
    tag = uuid.uuid4().hex[:10]
    customer = stripe.Customer.create(email=f"{tag}@example.com", name="SDK Buyer", metadata={"tag": tag})
    assert isinstance(customer, stripe.Customer)
    assert_stripe_id(customer.id, "cus")
    assert_recent(customer.created, "customer")
    assert customer.email == f"{tag}@example.com" and customer.metadata["tag"] == tag
    assert customer.livemode is False and "live_mode" not in customer
    assert header(customer.last_response.headers, "Stripe-Version")
    again = stripe.Customer.retrieve(customer.id)
    assert again.id == customer.id and again.created == customer.created
    updated = stripe.Customer.modify(customer.id, name="SDK Buyer II")
    assert updated.name == "SDK Buyer II"


def test_setup_intent_with_payment_method_data_then_list_payment_methods(sdk: PaykeepServer) -> None:
    customer = stripe.Customer.create(email="seti-sdk@example.com")
    seti = save_card(customer.id, FRICTIONLESS)
    assert isinstance(seti, stripe.SetupIntent)
    assert seti.status == "succeeded" and seti.customer == customer.id
    assert_stripe_id(seti.id, "seti")
    assert_recent(seti.created, "setup_intent")
    assert seti.client_secret is not None and seti.client_secret.startswith(seti.id + "_secret_")
    assert seti.payment_method_options.card.request_three_d_secure == "automatic"  # type: ignore[union-attr]

    listed = stripe.Customer.list_payment_methods(customer.id, type="card")
    assert [pm.id for pm in listed.data] == [seti.payment_method]
    pm = listed.data[0]
    assert isinstance(pm, stripe.PaymentMethod)
    assert_stripe_id(pm.id, "pm")
    assert_recent(pm.created, "payment_method")
    assert pm.customer == customer.id and pm.card is not None
    assert pm.card.last4 == "4242" and pm.card.brand == "visa"
    assert [p.id for p in stripe.PaymentMethod.list(customer=customer.id, type="card").auto_paging_iter()] \
        == [pm.id]


def test_three_d_secure_save_then_off_session_payment_and_refund(sdk: PaykeepServer) -> None:
    customer = stripe.Customer.create(email="off-session-sdk@example.com")
    seti = save_card(customer.id, THREE_DS_ON_SESSION)
    assert seti.status == "requires_action"
    assert seti.next_action is not None and seti.next_action.type == "redirect_to_url"
    redirect = seti.next_action.redirect_to_url
    assert redirect is not None and redirect.return_url == RETURN_URL
    assert redirect.url is not None and redirect.url.startswith(sdk.base_url + "/")
    assert answer_challenge(redirect.url)["redirect_status"] == ["succeeded"]
    seti = stripe.SetupIntent.retrieve(seti.id)
    assert seti.status == "succeeded" and isinstance(seti.payment_method, str)

    intent = stripe.PaymentIntent.create(amount=2500, currency="usd", customer=customer.id,
                                         payment_method=seti.payment_method, off_session=True, confirm=True,
                                         metadata={"order": "sdk-off-session"})
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.status == "succeeded" and intent.amount_received == 2500
    assert intent.currency == "usd" and intent.metadata["order"] == "sdk-off-session"
    assert_stripe_id(intent.id, "pi")
    assert_recent(intent.created, "payment_intent")
    assert "merchant_order_id" not in intent
    assert isinstance(intent.latest_charge, str) and intent.latest_charge.startswith("ch_")

    refund = stripe.Refund.create(payment_intent=intent.id, amount=1000, reason="requested_by_customer")
    assert isinstance(refund, stripe.Refund)
    assert refund.status == "succeeded" and refund.amount == 1000 and refund.currency == "usd"
    assert refund.payment_intent == intent.id
    assert_stripe_id(refund.id, "re")
    assert_recent(refund.created, "refund")
    assert [r.id for r in stripe.Refund.list(payment_intent=intent.id).auto_paging_iter()] == [refund.id]
    charged = stripe.PaymentIntent.retrieve(intent.id, expand=["latest_charge"])
    charge = charged.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert charge.amount_captured == 2500 and charge.amount_refunded == 1000 and charge.currency == "usd"
    assert_recent(charge.created, "charge")


def test_on_session_three_d_secure_without_return_url_asks_for_use_stripe_sdk(sdk: PaykeepServer) -> None:
    intent = stripe.PaymentIntent.create(amount=1500, currency="usd", confirm=True,
                                         payment_method_data=card_data(THREE_DS_ON_SESSION))  # type: ignore[arg-type]
    assert intent.status == "requires_action" and intent.currency == "usd"
    action = intent.next_action
    assert action is not None and action.type == "use_stripe_sdk"
    use_sdk = action["use_stripe_sdk"]
    assert use_sdk["type"] == "three_d_secure_redirect"
    assert str(use_sdk["stripe_js"]).startswith(sdk.base_url + "/")
    page = httpx.get(use_sdk["stripe_js"], timeout=30)
    assert page.status_code == 200 and 'value="complete"' in page.text
    # No return_url to go back to: the page itself says how it went (docs/decisions.md, `use_stripe_sdk`),
    # and the client that opened it reads the intent again.
    done = httpx.post(use_sdk["stripe_js"], data={"outcome": "complete"}, timeout=30, follow_redirects=False)
    assert done.status_code == 200 and 'data-outcome="complete"' in done.text
    paid = stripe.PaymentIntent.retrieve(intent.id)
    assert paid.status == "succeeded" and paid.amount_received == 1500 and paid.currency == "usd"


def test_a_decline_raises_card_error(sdk: PaykeepServer) -> None:
    with pytest.raises(stripe.CardError) as info:
        stripe.PaymentIntent.create(amount=2000, currency="usd", confirm=True, return_url=RETURN_URL,
                                    payment_method_data=card_data(INSUFFICIENT_FUNDS))  # type: ignore[arg-type]
    err = info.value
    assert err.http_status == 402
    assert err.code == "card_declined"
    assert err.error is not None and err.error.type == "card_error"
    assert err.error.decline_code == "insufficient_funds"
    intent = err.error.payment_intent
    assert intent is not None and intent.status == "requires_payment_method" and intent.currency == "usd"
    stored = stripe.PaymentIntent.retrieve(intent.id)
    assert stored.last_payment_error is not None
    assert stored.last_payment_error.code == "card_declined"
    assert stored.last_payment_error.decline_code == "insufficient_funds"


def test_auto_paging_walks_every_page_newest_first(sdk: PaykeepServer) -> None:
    email = f"paging-{uuid.uuid4().hex[:10]}@example.com"
    created = [stripe.Customer.create(email=email, metadata={"n": str(n)}).id for n in range(25)]
    first = stripe.Customer.list(limit=10, email=email)
    assert len(first.data) == 10 and first.has_more is True
    assert [c.id for c in first.data] == created[::-1][:10]
    walked = list(first.auto_paging_iter())
    assert all(isinstance(c, stripe.Customer) for c in walked)
    assert [c.id for c in walked] == created[::-1]
    assert [c.metadata["n"] for c in walked] == [str(n) for n in range(24, -1, -1)]
    assert [c.id for c in stripe.Customer.list(limit=100, email=email).data] == created[::-1]


def test_webhook_endpoint_is_created_in_the_stripe_dialect(endpoint: stripe.WebhookEndpoint) -> None:
    assert isinstance(endpoint, stripe.WebhookEndpoint)
    assert_stripe_id(endpoint.id, "we")
    assert_recent(endpoint.created, "webhook_endpoint")
    assert endpoint.secret is not None and endpoint.secret.startswith("whsec_")
    assert endpoint.api_version == stripe.api_version  # the creating request's Stripe-Version
    assert endpoint.enabled_events == ["*"] and endpoint.status == "enabled"


def test_real_deliveries_verify_with_construct_event(sdk: PaykeepServer, receiver: Receiver,
                                                     endpoint: stripe.WebhookEndpoint) -> None:
    secret = str(endpoint.secret)
    customer = stripe.Customer.create(email="webhook-sdk@example.com")
    intent = stripe.PaymentIntent.create(amount=4200, currency="usd", customer=customer.id, confirm=True,
                                         return_url=RETURN_URL,
                                         payment_method_data=card_data(FRICTIONLESS))  # type: ignore[arg-type]
    assert intent.status == "succeeded"

    verified: dict[str, stripe.Event] = {}
    for event_type, obj in (("customer.created", customer), ("payment_intent.succeeded", intent)):
        req = delivery(receiver, event_type, obj.id)
        sig_header = header(req.headers, "Stripe-Signature")
        assert sig_header is not None and re.fullmatch(r"t=\d{10},v1=[0-9a-f]{64}", sig_header), sig_header
        event = stripe.Webhook.construct_event(req.body, sig_header, secret)
        assert isinstance(event, stripe.Event)
        assert event.type == event_type and event.data.object["id"] == obj.id
        assert_stripe_id(event.id, "evt")
        assert_recent(event.created, f"event {event_type}")
        assert_recent(event.data.object["created"], f"{event_type} data.object")
        assert event.api_version == stripe.api_version  # the Stripe-Version the SDK sent
        assert event.livemode is False
        verified[event_type] = event
        retrieved = stripe.Event.retrieve(event.id)
        assert retrieved.id == event.id and retrieved.created == event.created
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(req.body, sig_header, "whsec_not_the_secret")
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(req.body.replace(obj.id.encode(), b"cus_tampered"), sig_header,
                                           secret)

    paid = verified["payment_intent.succeeded"].data.object
    assert paid["currency"] == "usd" and paid["amount_received"] == 4200 and paid["status"] == "succeeded"

