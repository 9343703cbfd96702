"""Checkout Sessions in payment mode over real HTTP (issue 20): line_items (price, inline price_data with
product_data, quantity), totals, customer handling, payment_intent_data, submit_type, GET .../line_items, the
hosted page paying (frictionless, 3-D Secure, declined then paid), completion and its events, expiry, and the
validation of line_items (unknown price, inactive price, quantity 0, mixed currencies). Both dialects."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx

from support.assertions import assert_error
from support.payments import answer_challenge, card

SUCCESS = "https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}"
CANCEL = "https://shop.example/cart"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FRICTIONLESS, THREE_DS, DECLINED = "4242424242424242", "4000002760003184", "4000000000000002"


def _price(api: httpx.Client, amount: int = 2000, currency: str = "usd", name: str = "T-shirt",
           **params: Any) -> dict[str, Any]:
    resp = api.post("/v1/prices", json={"currency": currency, "unit_amount": amount,
                                        "product_data": {"name": name}, **params})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _session(api: httpx.Client, line_items: list[dict[str, Any]] | None = None,
             **params: Any) -> dict[str, Any]:
    if line_items is None:
        line_items = [{"price": _price(api)["id"], "quantity": 2},
                      {"price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "Mug"}},
                       "quantity": 1}]
    resp = api.post("/v1/checkout/sessions", json={"mode": "payment", "success_url": SUCCESS,
                                                   "cancel_url": CANCEL, "line_items": line_items, **params})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _events(api: httpx.Client, event_type: str, object_id: str) -> list[dict[str, Any]]:
    listed = api.get("/v1/events", params={"type": event_type, "limit": 100}).json()["data"]
    return [e for e in listed if e["data"]["object"]["id"] == object_id]


def _submit(url: str, number: str) -> httpx.Response:
    """The cardholder on the hosted page: GET it, POST the card with the form's token."""
    page = httpx.get(url, timeout=30)
    assert page.status_code == 200, page.text
    token = _CSRF.search(page.text)
    assert token is not None, page.text
    form = {**card(number), "csrf_token": token.group(1)}
    return httpx.post(url, data=form, timeout=30, follow_redirects=False)


def test_create_renders_totals_and_owns_a_payment_intent(api, dialect):
    session = _session(api, metadata={"order": "42"}, client_reference_id="cart-7")
    assert session["object"] == "checkout.session" and session["mode"] == "payment"
    assert session["amount_subtotal"] == 4500 and session["amount_total"] == 4500
    assert session["currency"] == dialect.currency("usd") and session["status"] == "open"
    assert session["payment_status"] == "unpaid" and session["setup_intent"] is None
    assert session["total_details"] == {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
    assert session["customer"] is None and session["customer_creation"] == "if_required"
    assert urlsplit(session["url"]).path.startswith("/checkout/pay/cs_")
    intent = api.get(f"/v1/payment_intents/{session['payment_intent']}").json()
    assert intent["amount"] == 4500 and intent["currency"] == dialect.currency("usd")
    assert intent["status"] == "requires_payment_method" and intent["metadata"] == {"order": "42"}
    assert len(_events(api, "payment_intent.created", intent["id"])) == 1


def test_line_items_list_the_prices_as_sold(api, dialect):
    price = _price(api, amount=1250, name="Poster")
    session = _session(api, [{"price": price["id"], "quantity": 3, "metadata": {"size": "A2"}}])
    resp = api.get(f"/v1/checkout/sessions/{session['id']}/line_items")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["object"] == "list" and body["has_more"] is False
    [item] = body["data"]
    assert item["object"] == "item" and item["quantity"] == 3 and item["description"] == "Poster"
    assert item["amount_subtotal"] == 3750 and item["amount_total"] == 3750 and item["amount_tax"] == 0
    assert item["currency"] == dialect.currency("usd") and item["metadata"] == {"size": "A2"}
    assert item["price"] == price
    # a later change of the price does not change what was sold
    assert api.post(f"/v1/prices/{price['id']}", json={"nickname": "renamed"}).status_code == 200
    again = api.get(f"/v1/checkout/sessions/{session['id']}/line_items").json()["data"][0]
    assert again["price"]["nickname"] is None
    expanded = api.get(f"/v1/checkout/sessions/{session['id']}/line_items",
                       params={"expand[]": "data.price.product"}).json()["data"][0]
    assert expanded["price"]["product"]["name"] == "Poster"


def test_line_items_page_in_the_order_given(api):
    prices = [_price(api, amount=100 * (i + 1), name=f"item {i}")["id"] for i in range(3)]
    session = _session(api, [{"price": p, "quantity": 1} for p in prices])
    path = f"/v1/checkout/sessions/{session['id']}/line_items"
    first = api.get(path, params={"limit": 2}).json()
    assert first["has_more"] is True and [i["price"]["id"] for i in first["data"]] == prices[:2]
    rest = api.get(path, params={"limit": 2, "starting_after": first["data"][-1]["id"]}).json()
    assert rest["has_more"] is False and [i["price"]["id"] for i in rest["data"]] == prices[2:]
    assert_error(api.get(path, params={"starting_after": "li_123"}), 404, "resource_missing",
                 param="starting_after")


def test_paid_on_the_hosted_page_completes_the_session(api):
    session = _session(api, customer_email="jenny@example.com")
    resp = _submit(session["url"], FRICTIONLESS)
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session["id"])
    done = api.get(f"/v1/checkout/sessions/{session['id']}").json()
    assert done["status"] == "complete" and done["payment_status"] == "paid" and done["url"] is None
    assert done["customer_details"]["email"] == "jenny@example.com"
    assert done["customer_details"]["name"] == "Test Holder"
    intent = api.get(f"/v1/payment_intents/{session['payment_intent']}").json()
    assert intent["status"] == "succeeded" and intent["amount_received"] == 4500
    assert len(_events(api, "checkout.session.completed", session["id"])) == 1
    assert len(_events(api, "payment_intent.succeeded", intent["id"])) == 1
    assert len(_events(api, "charge.succeeded", intent["latest_charge"])) == 1
    page = httpx.get(session["url"], timeout=30)  # the link again: a closed page
    assert page.status_code == 200 and "Thank you for your payment" in page.text


def test_three_d_secure_then_back_to_success_url(api):
    session = _session(api)
    resp = _submit(session["url"], THREE_DS)
    assert resp.status_code == 303 and "/3ds/" in resp.headers["location"], resp.text
    back = answer_challenge(resp.headers["location"], "complete")
    assert back["redirect_status"] == ["succeeded"]
    assert api.get(f"/v1/checkout/sessions/{session['id']}").json()["status"] == "complete"
    returned = httpx.get(session["url"] + "&redirect_status=succeeded", timeout=30, follow_redirects=False)
    assert returned.status_code == 303
    assert returned.headers["location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session["id"])


def test_declined_then_paid_with_another_card(api):
    session = _session(api)
    declined = _submit(session["url"], DECLINED)
    assert declined.status_code == 402 and "declined" in declined.text.lower()
    assert DECLINED not in declined.text and 'value="022"' not in declined.text
    assert api.get(f"/v1/checkout/sessions/{session['id']}").json()["status"] == "open"
    assert len(_events(api, "payment_intent.payment_failed", session["payment_intent"])) == 1
    paid = _submit(session["url"], FRICTIONLESS)
    assert paid.status_code == 303
    assert api.get(f"/v1/checkout/sessions/{session['id']}").json()["payment_status"] == "paid"


def test_setup_future_usage_saves_the_card_for_off_session_charges(api, dialect):
    session = _session(api, customer_email="saver@example.com",
                       payment_intent_data={"setup_future_usage": "off_session", "description": "Order 7",
                                            "metadata": {"order": "7"}})
    assert dialect.id_re("cus").fullmatch(session["customer"] or "")
    assert _submit(session["url"], FRICTIONLESS).status_code == 303
    intent = api.get(f"/v1/payment_intents/{session['payment_intent']}").json()
    assert intent["setup_future_usage"] == "off_session" and intent["description"] == "Order 7"
    assert intent["metadata"] == {"order": "7"}
    pm = intent["payment_method"]
    assert api.get(f"/v1/payment_methods/{pm}").json()["customer"] == session["customer"]
    assert len(_events(api, "payment_method.attached", pm)) == 1
    later = api.post("/v1/payment_intents", json={"amount": 999, "currency": "usd",
                                                  "customer": session["customer"], "payment_method": pm,
                                                  "confirm": True, "off_session": True})
    assert later.status_code == 200 and later.json()["status"] == "succeeded", later.text


def test_manual_capture_completes_unpaid(api):
    session = _session(api, payment_intent_data={"capture_method": "manual"})
    assert _submit(session["url"], FRICTIONLESS).status_code == 303
    done = api.get(f"/v1/checkout/sessions/{session['id']}").json()
    assert done["status"] == "complete" and done["payment_status"] == "unpaid"
    assert api.get(f"/v1/payment_intents/{session['payment_intent']}").json()["status"] == "requires_capture"


def test_customer_given_and_customer_creation_always(api):
    customer = api.post("/v1/customers", json={"email": f"c-{uuid.uuid4().hex[:8]}@example.com"}).json()
    given = _session(api, customer=customer["id"])
    assert given["customer"] == customer["id"] and given["customer_details"]["email"] == customer["email"]
    assert api.get(f"/v1/payment_intents/{given['payment_intent']}").json()["customer"] == customer["id"]
    made = _session(api, customer_creation="always", customer_email="new@example.com")
    assert made["customer"] and made["customer_creation"] == "always"
    assert api.get(f"/v1/customers/{made['customer']}").json()["email"] == "new@example.com"


def test_submit_type_names_the_button(api):
    session = _session(api, submit_type="donate")
    assert session["submit_type"] == "donate"
    page = httpx.get(session["url"], timeout=30)
    assert "Donate 45.00 USD" in page.text and "T-shirt" in page.text and "Mug" in page.text
    assert_error(api.post("/v1/checkout/sessions", json={
        "mode": "payment", "success_url": SUCCESS, "submit_type": "buy",
        "line_items": [{"price": _price(api)["id"], "quantity": 1}]}), 400, param="submit_type")


def test_expire_cancels_the_payment_intent(api):
    session = _session(api)
    resp = api.post(f"/v1/checkout/sessions/{session['id']}/expire")
    assert resp.status_code == 200 and resp.json()["status"] == "expired"
    intent = api.get(f"/v1/payment_intents/{session['payment_intent']}").json()
    assert intent["status"] == "canceled" and intent["cancellation_reason"] == "abandoned"
    assert len(_events(api, "checkout.session.expired", session["id"])) == 1


def test_line_items_validation(api):
    usd = _price(api)
    inactive = _price(api)
    assert api.post(f"/v1/prices/{inactive['id']}", json={"active": False}).status_code == 200
    eur = _price(api, currency="eur")

    def refused(line_items: Any, param: str, code: str | None = None) -> dict[str, Any]:
        resp = api.post("/v1/checkout/sessions", json={"mode": "payment", "success_url": SUCCESS,
                                                       "line_items": line_items})
        return assert_error(resp, 400, code, param=param)

    refused([{"price": "price_0000000000000000000", "quantity": 1}], "line_items[0][price]",
            "resource_missing")
    refused([{"price": inactive["id"], "quantity": 1}], "line_items[0][price]")
    refused([{"price": usd["id"], "quantity": 0}], "line_items[0][quantity]")
    refused([{"price": usd["id"]}], "line_items[0][quantity]", "parameter_missing")
    error = refused([{"price": usd["id"], "quantity": 1}, {"price": eur["id"], "quantity": 1}],
                    "line_items[1][price]")
    assert "same currency" in error["message"]
    refused([{"price": usd["id"], "quantity": 1},
             {"price_data": {"currency": "eur", "unit_amount": 5, "product_data": {"name": "x"}},
              "quantity": 1}],
            "line_items[1][price_data][currency]")
    refused([{"quantity": 1}], "line_items[0][price]", "parameter_missing")
    refused([{"price": usd["id"], "price_data": {"currency": "usd", "unit_amount": 1, "product": "p"},
              "quantity": 1}], "line_items[0][price_data]")
    refused([{"price_data": {"currency": "usd", "unit_amount": 100}, "quantity": 1}],
            "line_items[0][price_data][product]", "parameter_missing")
    refused([{"price_data": {"currency": "usd", "unit_amount": 100, "product": "prod_0000000000000000000"},
              "quantity": 1}], "line_items[0][price_data][product]", "resource_missing")
    refused([{"price_data": {"currency": "usd", "product_data": {"name": "x"}}, "quantity": 1}],
            "line_items[0][price_data][unit_amount]", "parameter_missing")
    refused([{"price_data": {"currency": "usd", "unit_amount": 10, "product_data": {"name": "x"}},
              "quantity": 1}], "line_items", "amount_too_small")
    refused([{"price_data": {"currency": "usd", "unit_amount": 100, "product_data": {"name": "x"},
                             "recurring": {"interval": "month"}}, "quantity": 1}],
            "line_items[0][price_data][recurring]", "parameter_unsupported")
    refused([], "line_items", "parameter_missing")
    assert_error(api.post("/v1/checkout/sessions", json={"mode": "setup", "success_url": SUCCESS,
                                                         "submit_type": "pay"}), 400, param="submit_type")
