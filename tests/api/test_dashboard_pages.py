"""Dashboard pages over real HTTP: webhook endpoint actions, lists that paginate and filter, intent pages,
and no card number on any page. Every change is checked through the public API."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from paykeep.webhooks import construct_event
from support.dashboard import DashboardClient, id_pattern
from support.dialects import Dialect
from support.receiver import Received, Receiver, always
from support.server import PaykeepServer


@pytest.fixture
def dash(server: PaykeepServer):
    with DashboardClient(server) as client:
        client.sign_in()
        yield client


def _signature(delivery: Received, dialect: Dialect) -> str:
    """The delivery's signature, from the header of the endpoint's dialect (the only one it carries)."""
    found = {name.lower(): value for name, value in delivery.headers.items()}
    other = "wooshpay-signature" if dialect.is_stripe else "stripe-signature"
    assert other not in found, delivery.headers
    return found[dialect.signature_header.lower()]


def _confirm_setup_intent(api: httpx.Client, customer_id: str, number: str) -> httpx.Response:
    return api.post("/v1/setup_intents", json={
        "customer": customer_id, "confirm": True, "payment_method_types": ["card"],
        "payment_method_data": {"type": "card", "card": {"number": number, "exp_month": 4, "exp_year": 2036,
                                                         "cvc": "314"}},
    })


def test_webhook_endpoint_create_secret_test_event_disable_enable_delete(dash: DashboardClient,
                                                                          api: httpx.Client,
                                                                          dialect: Dialect) -> None:
    """An endpoint made on the dashboard without choosing a dialect takes the account's default: its id is
    minted in that dialect's form and its deliveries are signed under that dialect's header."""
    receiver = Receiver(respond=always(200))
    try:
        created = dash.submit("/dashboard/webhooks/new", "/dashboard/webhooks", {
            "url": receiver.url, "description": "orders",
            "enabled_events": ["customer.created", "customer.updated"]})
        assert created.status_code == 303
        found = re.fullmatch(rf"/dashboard/webhooks/({id_pattern(dialect, 'we')})(?:\?.*)?",
                             created.headers["location"])
        assert found, created.headers["location"]
        endpoint_id = found.group(1)
        endpoint = api.get(f"/v1/webhook_endpoints/{endpoint_id}").json()
        assert endpoint["enabled_events"] == ["customer.created", "customer.updated"]
        assert endpoint["description"] == "orders" and endpoint["status"] == "enabled"
        assert "secret" not in endpoint

        page = dash.get(f"/dashboard/webhooks/{endpoint_id}").text
        assert "whsec_" not in page  # only on demand
        revealed = dash.submit(f"/dashboard/webhooks/{endpoint_id}",
                               f"/dashboard/webhooks/{endpoint_id}/secret")
        secret = re.search(r"whsec_[A-Za-z0-9]+", revealed.text).group(0)

        made = api.post("/v1/customers", data={"email": f"{uuid.uuid4().hex[:8]}@example.com"})
        assert made.status_code == 200, made.text
        first = receiver.wait_count(1, timeout=30)[0]  # bounded: delivery is asynchronous
        assert construct_event(first.body, _signature(first, dialect), secret)["type"] == "customer.created"
        assert first.event["data"]["object"] == made.json()  # rendered as the API rendered it (same dialect)

        sent = dash.submit(f"/dashboard/webhooks/{endpoint_id}", f"/dashboard/webhooks/{endpoint_id}/test")
        assert sent.status_code == 303 and "notice=test_sent" in sent.headers["location"]
        again = receiver.wait_count(2, timeout=30)[1]
        assert again.event["id"] == first.event["id"]  # the newest subscribed event, sent to this endpoint

        page_path = f"/dashboard/webhooks/{endpoint_id}"
        disabled = dash.submit(page_path, f"{page_path}/status", {"status": "disabled"})
        assert disabled.status_code == 303
        assert api.get(f"/v1/webhook_endpoints/{endpoint_id}").json()["status"] == "disabled"
        dash.submit(f"/dashboard/webhooks/{endpoint_id}", f"/dashboard/webhooks/{endpoint_id}/status",
                    {"status": "enabled"})
        assert api.get(f"/v1/webhook_endpoints/{endpoint_id}").json()["status"] == "enabled"

        unconfirmed = dash.submit(page_path, f"{page_path}/delete")
        assert "notice=confirm_needed" in unconfirmed.headers["location"]
        assert api.get(f"/v1/webhook_endpoints/{endpoint_id}").status_code == 200
        deleted = dash.submit(page_path, f"{page_path}/delete", {"confirm": "yes"})
        assert deleted.status_code == 303 and deleted.headers["location"].startswith("/dashboard/webhooks?")
        assert api.get(f"/v1/webhook_endpoints/{endpoint_id}").status_code == 404
        assert dash.get(f"/dashboard/webhooks/{endpoint_id}").status_code == 404
    finally:
        receiver.close()


def test_an_invalid_endpoint_is_refused_with_the_api_rules(dash: DashboardClient) -> None:
    resp = dash.submit("/dashboard/webhooks/new", "/dashboard/webhooks",
                       {"url": "ftp://example.com/hook", "enabled_events": ["customer.created"]})
    assert resp.status_code == 400
    assert 'role="alert"' in resp.text
    assert 'value="customer.created" checked' in resp.text  # the form keeps what was chosen
    none = dash.submit("/dashboard/webhooks/new", "/dashboard/webhooks", {"url": "https://example.com/hook"})
    assert none.status_code == 400


def test_customer_lists_paginate_and_search_by_email(dash: DashboardClient, api: httpx.Client,
                                                     dialect: Dialect) -> None:
    prefix = f"page-{uuid.uuid4().hex[:8]}"
    ids = [api.post("/v1/customers", data={"email": f"{prefix}-{i:02d}@example.com"}).json()["id"]
           for i in range(23)]
    link = rf'href="/dashboard/customers/({id_pattern(dialect, "cus")})"'
    first = dash.get("/dashboard/customers", params={"email": prefix}).text
    shown = re.findall(link, first)
    assert shown == list(reversed(ids))[:20]
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = dash.get(older).text
    assert re.findall(link, second) == list(reversed(ids))[20:]
    assert 'rel="next"' not in second
    newer = re.search(r'href="([^"]+)" rel="prev"', second).group(1).replace("&amp;", "&")
    assert re.findall(link, dash.get(newer).text) == shown
    jump = dash.get("/dashboard/customers", params={"email": ids[0]})
    assert jump.status_code == 303 and jump.headers["location"] == f"/dashboard/customers/{ids[0]}"


def test_setup_intents_filter_by_status_and_show_the_last_error(dash: DashboardClient,
                                                                api: httpx.Client) -> None:
    customer = api.post("/v1/customers", data={"email": f"{uuid.uuid4().hex[:8]}@example.com"}).json()
    ok = _confirm_setup_intent(api, customer["id"], "4242424242424242").json()
    declined = _confirm_setup_intent(api, customer["id"], "4000000000000002")
    assert declined.status_code == 402
    failed = declined.json()["error"]["setup_intent"]
    succeeded_page = dash.get("/dashboard/setup_intents", params={"status": "succeeded"}).text
    assert ok["id"] in succeeded_page and failed["id"] not in succeeded_page
    waiting = dash.get("/dashboard/setup_intents", params={"status": "requires_payment_method"}).text
    assert failed["id"] in waiting and ok["id"] not in waiting
    detail = dash.get(f"/dashboard/setup_intents/{failed['id']}").text
    assert "card_declined" in detail and "generic_decline" in detail
    assert "setup_intent.setup_failed" in detail  # the event timeline
    customer_page = dash.get(f"/dashboard/customers/{customer['id']}").text
    assert "visa •••• 4242 · 04/2036" in customer_page
    for path in ("/dashboard", "/dashboard/events", f"/dashboard/customers/{customer['id']}",
                 f"/dashboard/setup_intents/{ok['id']}", f"/dashboard/setup_intents/{failed['id']}"):
        html = dash.get(path).text
        assert "4242424242424242" not in html and "4000000000000002" not in html and '"cvc"' not in html


def test_events_filter_by_type(dash: DashboardClient, api: httpx.Client, dialect: Dialect) -> None:
    customer = api.post("/v1/customers", data={"email": f"{uuid.uuid4().hex[:8]}@example.com"}).json()
    api.post(f"/v1/customers/{customer['id']}", data={"name": "Renamed"})
    updated = dash.get("/dashboard/events", params={"type": "customer.updated"}).text
    assert "customer.updated" in updated and "<code>customer.created</code>" not in updated
    pattern = dash.get("/dashboard/events", params={"type": "customer.*"}).text
    assert "<code>customer.created</code>" in pattern and "<code>customer.updated</code>" in pattern
    found = re.search(rf'href="/dashboard/events/({id_pattern(dialect, "evt")})"', updated)
    assert found, updated
    event_id = found.group(1)
    detail = dash.get(f"/dashboard/events/{event_id}").text
    assert "previous_attributes" in detail and "Renamed" in detail
    bad = dash.get("/dashboard/events", params={"type": "Not A Type!"})
    assert bad.status_code == 400 and 'role="alert"' in bad.text


def test_rolling_a_key_with_a_delay_keeps_the_old_one_until_it_is_expired(dash: DashboardClient,
                                                                          server: PaykeepServer) -> None:
    old_pk = server.pk
    page = dash.get("/dashboard/api-keys").text
    assert len(re.findall(r'action="/dashboard/api-keys/key_[0-9a-f]+/roll"', page)) == 2  # test sk and pk
    pk_id = re.search(r'<tr class="key key-publishable" data-key="(key_[0-9a-f]+)"', page).group(1)
    rolled = dash.submit("/dashboard/api-keys", f"/dashboard/api-keys/{pk_id}/roll",
                         {"expires": "1h", "confirm": "yes"})
    new_pk = re.search(r"pk_test_[A-Za-z0-9]{48}", rolled.text).group(0)
    assert new_pk != old_pk

    def works(key: str) -> bool:
        resp = httpx.post(server.base_url + "/v1/payment_methods", auth=(key, ""), data={"type": "card"})
        return resp.status_code != 401

    assert works(old_pk) and works(new_pk)
    page = dash.get("/dashboard/api-keys").text
    assert f"/dashboard/api-keys/{pk_id}/expire" in page
    expired = dash.submit("/dashboard/api-keys", f"/dashboard/api-keys/{pk_id}/expire", {"confirm": "yes"})
    assert expired.status_code == 303
    assert not works(old_pk) and works(new_pk)


def test_payment_intents_show_amount_status_and_the_last_payment_error(dash: DashboardClient,
                                                                       api: httpx.Client) -> None:
    def pay(number: str) -> httpx.Response:
        return api.post("/v1/payment_intents", json={
            "amount": 2500, "currency": "usd", "confirm": True, "payment_method_types": ["card"],
            "payment_method_data": {"type": "card", "card": {"number": number, "exp_month": 4,
                                                             "exp_year": 2036, "cvc": "314"}}})

    paid = pay("4242424242424242")
    assert paid.status_code == 200, paid.text
    declined = pay("4000000000009995")
    assert declined.status_code == 402, declined.text
    failed = declined.json()["error"]["payment_intent"]
    listing = dash.get("/dashboard/payment_intents", params={"status": "succeeded"}).text
    assert paid.json()["id"] in listing and failed["id"] not in listing and "25.00 USD" in listing
    detail = dash.get(f"/dashboard/payment_intents/{failed['id']}").text
    assert "insufficient_funds" in detail and "requires_payment_method" in detail
    assert "payment_intent.payment_failed" in detail
    assert dash.get("/dashboard/payment_intents/pi_0000000000000000000").status_code == 404


def test_payment_methods_charges_refunds_and_checkout_sessions_have_pages(dash: DashboardClient,
                                                                          api: httpx.Client) -> None:
    email = f"obj-{uuid.uuid4().hex[:8]}@example.com"
    customer = api.post("/v1/customers", data={"email": email}).json()["id"]
    paid = api.post("/v1/payment_intents", json={
        "amount": 4200, "currency": "eur", "confirm": True, "customer": customer,
        "setup_future_usage": "off_session", "payment_method_types": ["card"],
        "payment_method_data": {"type": "card", "card": {"number": "4242424242424242", "exp_month": 4,
                                                         "exp_year": 2036, "cvc": "314"}}}).json()
    assert paid["status"] == "succeeded", paid
    pm, charge = paid["payment_method"], paid["latest_charge"]
    refund = api.post("/v1/refunds", json={"payment_intent": paid["id"], "amount": 1000}).json()
    session = api.post("/v1/checkout/sessions", data={"mode": "setup", "customer": customer,
                                                      "success_url": "https://shop.example/ok"}).json()

    intent_page = dash.get(f"/dashboard/payment_intents/{paid['id']}").text
    assert f'href="/dashboard/objects/{pm}"' in intent_page
    pm_page = dash.get(f"/dashboard/objects/{pm}")
    assert pm_page.status_code == 200
    assert "visa •••• 4242" in pm_page.text and f'href="/dashboard/customers/{customer}"' in pm_page.text
    assert "payment_method.attached" in pm_page.text and "4242424242424242" not in pm_page.text
    charge_page = dash.get(f"/dashboard/objects/{charge}").text
    assert "42.00 EUR" in charge_page and "10.00 EUR" in charge_page and "charge.refunded" in charge_page
    assert f'href="/dashboard/payment_intents/{paid["id"]}"' in charge_page
    refund_page = dash.get(f"/dashboard/objects/{refund['id']}").text
    assert "10.00 EUR" in refund_page and f'href="/dashboard/objects/{charge}"' in refund_page
    assert "refund.created" in refund_page
    session_page = dash.get(f"/dashboard/objects/{session['id']}").text
    seti_link = f'href="/dashboard/setup_intents/{session["setup_intent"]}"'
    assert "setup" in session_page and seti_link in session_page
    customer_page = dash.get(f"/dashboard/customers/{customer}").text
    assert f'href="/dashboard/objects/{pm}"' in customer_page

    for missing in ("ch_0000000000000000000", "xx_0000000000000000000", "nounderscore"):
        assert dash.get(f"/dashboard/objects/{missing}").status_code == 404


def test_products_prices_and_payment_mode_sessions_have_pages(dash: DashboardClient,
                                                              api: httpx.Client) -> None:
    product = api.post("/v1/products", json={"name": "Dashboard mug", "default_price_data": {
        "currency": "eur", "unit_amount": 1250}}).json()
    price = product["default_price"]
    session = api.post("/v1/checkout/sessions", json={
        "mode": "payment", "success_url": "https://shop.example/ok",
        "line_items": [{"price": price, "quantity": 2}]}).json()
    product_page = dash.get(f"/dashboard/objects/{product['id']}").text
    assert "Dashboard mug" in product_page and f'href="/dashboard/objects/{price}"' in product_page
    assert "product.created" in product_page
    price_page = dash.get(f"/dashboard/objects/{price}").text
    assert "12.50 EUR" in price_page and f'href="/dashboard/objects/{product["id"]}"' in price_page
    session_page = dash.get(f"/dashboard/objects/{session['id']}").text
    assert "25.00 EUR" in session_page and "unpaid" in session_page
    assert f'href="/dashboard/payment_intents/{session["payment_intent"]}"' in session_page
