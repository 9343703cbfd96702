"""The dashboard's Logs: the API's requests of this account and mode, newest first, filtered by status
class or exact status, path prefix and object id, paged; a page per request with its redacted parameters and
response; a "Logs" link on every object's page (customer, PaymentIntent, SetupIntent, PaymentMethod,
charge, webhook endpoint, event)."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from support.cards import standalone
from support.dashboard import DashboardClient
from support.receiver import wait_until
from support.server import PaykeepServer

DECLINED = "4000000000000002"
_ROW = re.compile(r'<a class="id" href="/dashboard/logs/(req_\d+)">')


@pytest.fixture
def dash(server: PaykeepServer) -> Iterator[DashboardClient]:
    with DashboardClient(server) as client:
        client.sign_in()
        yield client


def listed(dash: DashboardClient, **query: str) -> list[str]:
    page = dash.get("/dashboard/logs", params=query)
    assert page.status_code == 200, page.text
    return _ROW.findall(page.text)


def wait_listed(dash: DashboardClient, request_id: str, **query: str) -> list[str]:
    """The listed request ids once `request_id` is among them (the flusher writes every 200 ms; bounded)."""

    def there() -> list[str] | None:
        ids = listed(dash, **query)
        return ids if request_id in ids else None

    return wait_until(there, timeout=30, interval=0.1)


def card(number: str) -> dict[str, object]:
    return {"type": "card", "card": {"number": number, "exp_month": 4, "exp_year": 2036, "cvc": "314"}}


def test_logs_filter_by_status_path_and_object_newest_first(dash: DashboardClient, api: httpx.Client) -> None:
    made = api.post("/v1/customers", data={"email": f"{uuid.uuid4().hex[:8]}@example.com"})
    cus = made.json()["id"]
    bad = api.post(f"/v1/customers/{cus}", data={"unknown_field": "x"})
    declined = api.post("/v1/payment_intents", json={"amount": 700, "currency": "usd", "confirm": True,
                                                     "customer": cus, "payment_method_data": card(DECLINED)})
    read = api.get(f"/v1/customers/{cus}")
    assert (made.status_code, bad.status_code, declined.status_code, read.status_code) == (200, 400, 402, 200)
    ids = [r.headers["request-id"] for r in (made, bad, declined, read)]

    about = wait_listed(dash, ids[-1], object=cus)
    assert about == list(reversed(ids))  # every request that named the customer, newest first
    failed = listed(dash, status="4xx", object=cus)
    assert failed == [ids[2], ids[1]]
    assert listed(dash, status="402", object=cus) == [ids[2]]
    assert listed(dash, status="2xx", object=cus) == [ids[3], ids[0]]
    assert listed(dash, path="/v1/payment_intents", object=cus) == [ids[2]]
    assert listed(dash, path="customers", object=cus) == [ids[3], ids[1], ids[0]]  # /v1/ may be left out
    intent = declined.json()["error"]["payment_intent"]["id"]
    assert listed(dash, object=intent) == [ids[2]]

    wrong = dash.get("/dashboard/logs", params={"status": "4x"})
    assert wrong.status_code == 400 and "Invalid status" in html.unescape(wrong.text)


def test_a_request_page_shows_its_redacted_parameters_and_response(dash: DashboardClient,
                                                                   api: httpx.Client) -> None:
    number = "4000056655665556"
    declined = api.post("/v1/payment_intents", headers={"Idempotency-Key": f"logs-{uuid.uuid4().hex}"},
                        data={"amount": "700", "currency": "usd", "confirm": "true",
                              "payment_method_data[type]": "card",
                              "payment_method_data[card][number]": DECLINED,
                              "payment_method_data[card][exp_month]": "4",
                              "payment_method_data[card][exp_year]": "2036",
                              "payment_method_data[card][cvc]": "314", "metadata[note]": number})
    assert declined.status_code == 402
    request_id = declined.headers["request-id"]
    wait_listed(dash, request_id, status="402")
    page = dash.get(f"/dashboard/logs/{request_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "POST /v1/payment_intents" in text and "card_declined" in text
    assert declined.request.headers["idempotency-key"] in text
    assert '"exp_month": "4"' in text and not standalone("314").search(text)
    assert DECLINED not in text and number not in text
    assert "••••5556" in text  # a card-shaped number in metadata: masked, not dropped
    intent = declined.json()["error"]["payment_intent"]
    assert intent["client_secret"] not in text and f'href="{_detail(intent["id"])}"' in page.text

    assert dash.get("/dashboard/logs/req_0000000000000000001").status_code == 404


def _detail(object_id: str) -> str:
    prefix = object_id.split("_", 1)[0]
    section = {"pi": "payment_intents", "seti": "setup_intents", "cus": "customers"}.get(prefix)
    return f"/dashboard/{section}/{object_id}" if section else f"/dashboard/objects/{object_id}"


def test_logs_are_paged_and_live_requests_stay_out_of_test_mode(dash: DashboardClient, api: httpx.Client,
                                                                server: PaykeepServer) -> None:
    cus = api.post("/v1/customers", data={"email": "pages@example.com"}).json()["id"]
    ids = [api.get(f"/v1/customers/{cus}", params={"expand[]": "default_source"}).headers["request-id"]
           for _ in range(24)]
    first = wait_listed(dash, ids[-1], object=cus, path="/v1/customers/")
    assert first == list(reversed(ids))[:20]
    page = dash.get("/dashboard/logs", params={"object": cus, "path": "/v1/customers/"}).text
    older = html.unescape(re.search(r'href="([^"]+)" rel="next"', page).group(1))
    second = _ROW.findall(dash.get(older).text)
    assert second == list(reversed(ids))[20:]

    with server.client(server.sk_live) as live:
        live_id = live.get("/v1/customers", params={"limit": 1}).headers["request-id"]
    wait_listed(dash, ids[-1], path="/v1/customers")
    switched = dash.submit("/dashboard/logs", "/dashboard/mode", {"mode": "live", "next": "/dashboard/logs"})
    assert switched.status_code == 303
    try:
        assert live_id in wait_listed(dash, live_id)
        assert ids[-1] not in listed(dash, object=cus)
    finally:
        dash.submit("/dashboard/logs", "/dashboard/mode", {"mode": "test", "next": "/dashboard/logs"})
    assert live_id not in listed(dash)


def test_every_object_page_links_to_its_logs(dash: DashboardClient, api: httpx.Client) -> None:
    cus = api.post("/v1/customers", data={"email": "links@example.com"}).json()["id"]
    seti = api.post("/v1/setup_intents", json={"customer": cus, "confirm": True,
                                               "payment_method_data": card("4242424242424242")}).json()
    pi = api.post("/v1/payment_intents", json={"amount": 500, "currency": "usd", "confirm": True,
                                               "customer": cus, "payment_method": seti["payment_method"],
                                               "off_session": True}).json()
    endpoint = api.post("/v1/webhook_endpoints", data={"url": "https://shop.example/hook",
                                                       "enabled_events[]": ["customer.created"]}).json()
    event = api.get("/v1/events", params={"limit": 1}).json()["data"][0]
    pages = {cus: "customers", seti["id"]: "setup_intents", pi["id"]: "payment_intents",
             endpoint["id"]: "webhooks", seti["payment_method"]: "objects", pi["latest_charge"]: "objects",
             event["id"]: "events"}
    for object_id, section in pages.items():
        path = f"/dashboard/{section}/{object_id}"
        page = dash.get(path)
        assert page.status_code == 200, (path, page.status_code)
        assert f'href="/dashboard/logs?object={object_id}"' in page.text, path
    assert 'href="/dashboard/logs"' in dash.get("/dashboard").text  # in the navigation
    made = wait_until(lambda: listed(dash, object=pi["latest_charge"]), timeout=30, interval=0.1)
    assert len(made) >= 1  # the confirm that made the charge named it (its latest_charge)
