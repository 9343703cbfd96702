"""The dashboard in a real browser (Playwright + Debian's Chromium) against a real server process.

Signs in, switches to test mode, adds a webhook endpoint for `setup_intent.succeeded` pointing at a receiver
on 127.0.0.1, runs the seed flow through the API, sees the event and its successful delivery, makes the
receiver fail, resends from the dashboard and sees the new attempt. Saves screenshots under docs/screenshots/.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from paykeep.web.pages import dashboard_routes
from paykeep.webhooks import construct_event
from support.receiver import Receiver, always
from support.screenshots import screenshot_dir
from support.server import PaykeepServer

expect.set_options(timeout=15_000)  # a shared, busy CI machine: generous but bounded

pytestmark = pytest.mark.browser

SCREENSHOTS = screenshot_dir()
LAPTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def dash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    env = {"PAYKEEP_WEBHOOK_RETRY_DELAYS": "0.3,0.3", "PAYKEEP_WEBHOOK_TIMEOUT": "2"}
    srv = PaykeepServer(tmp_path_factory.mktemp("dashboard"), env=env).start()
    yield srv
    srv.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver(respond=always(200, b"thanks"))
    yield rec
    rec.close()


def _shot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _sign_in(page: object, server: PaykeepServer, password: str | None = None) -> None:
    page.get_by_label("Email").fill(server.keys["dashboard"]["email"])  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(password or server.keys["dashboard"]["password"])  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]


def _reload_until(page: object, selector: str, count: int, timeout: float = 30.0) -> None:
    """The worker delivers asynchronously: reload (bounded) until `count` rows match `selector`."""
    deadline = time.monotonic() + timeout
    while page.locator(selector).count() < count:  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} did not reach {count} within {timeout}s")
        time.sleep(0.2)
        page.reload()  # type: ignore[attr-defined]


def _seed_flow(server: PaykeepServer, email: str) -> tuple[dict, dict]:
    """The seed's flow through the API: a customer, then a SetupIntent confirmed with a card in one call."""
    with server.client() as api:
        customer = api.post("/v1/customers", data={"email": email, "name": "Browser Test"}).json()
        card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123",
                "name": "Browser Test"}
        intent = api.post("/v1/setup_intents", json={
            "customer": customer["id"], "confirm": True, "payment_method_types": ["card"],
            "usage": "off_session", "payment_method_data": {"type": "card", "card": card},
            "return_url": "https://merchant.example/return",
        })
    assert intent.status_code == 200, intent.text
    assert intent.json()["status"] == "succeeded"
    return customer, intent.json()


def test_webhook_delivery_and_resend_from_the_dashboard(dash_server: PaykeepServer, chromium: Any,
                                                         receiver: Receiver) -> None:
    context = chromium.new_context(viewport=LAPTOP)
    page = context.new_page()
    base = dash_server.base_url

    page.goto(base + "/dashboard/events")
    expect(page).to_have_url(re.compile(r"/dashboard/sign-in\?next=%2Fdashboard%2Fevents$"))
    _shot(page, "sign-in")
    _sign_in(page, dash_server)
    expect(page).to_have_url(base + "/dashboard/events")

    # the test/live switch
    page.get_by_role("button", name="Live mode").click()
    expect(page.get_by_role("status")).to_have_text("Now viewing live data.")
    expect(page.get_by_text("Test mode: you are viewing test data")).to_have_count(0)
    page.get_by_role("button", name="Test mode").click()
    expect(page.get_by_text("Test mode: you are viewing test data")).to_be_visible()
    expect(page.get_by_role("button", name="Test mode")).to_have_attribute("aria-pressed", "true")

    # a webhook endpoint for setup_intent.succeeded, pointing at the receiver
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Webhooks").click()
    page.get_by_role("link", name="Add an endpoint").click()
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("setup_intent.succeeded").check()
    _shot(page, "webhook-new")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("status")).to_have_text("Webhook endpoint created.")
    endpoint_id = re.search(r"/dashboard/webhooks/(we_\d+)", page.url).group(1)  # type: ignore[union-attr]
    page.get_by_role("button", name="Reveal signing secret").click()
    secret = page.locator("#signing-secret").inner_text().strip()
    assert secret.startswith("whsec_")

    # the seed flow through the API; the receiver gets the signed event
    customer, intent = _seed_flow(dash_server, f"{uuid.uuid4().hex[:8]}@example.com")
    got = receiver.wait_for(lambda reqs: any(r.event["type"] == "setup_intent.succeeded" for r in reqs), 30)
    delivered = next(r for r in got if r.event["type"] == "setup_intent.succeeded")
    event = construct_event(delivered.body, delivered.signature, secret)
    assert event["data"]["object"]["id"] == intent["id"]
    assert len(got) == 1  # only the subscribed type

    # the event and its successful delivery in the dashboard
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Events").click()
    page.get_by_label("Type").fill("setup_intent.succeeded")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=event["id"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(event["id"])
    _reload_until(page, "tr.attempt-succeeded", 1)
    first = page.locator("tr.attempt-succeeded").first
    expect(first.locator(".status-code")).to_have_text("200")
    expect(first).to_contain_text("thanks")
    expect(first).to_contain_text(" ms")
    expect(page.locator("pre.json")).to_contain_text('"type": "setup_intent.succeeded"')
    expect(page.locator("section.delivery").first).to_contain_text(endpoint_id)
    _shot(page, "event")

    # the receiver fails; resend from the dashboard and see the new attempt
    receiver.respond = always(500, b"receiver is down")
    page.get_by_role("button", name="Resend to this endpoint").click()
    expect(page.get_by_role("status")).to_contain_text("queued for delivery again")
    _reload_until(page, "tr.attempt-failed", 1)
    failed = page.locator("tr.attempt-failed").first
    expect(failed.locator(".status-code")).to_have_text("500")
    expect(failed).to_contain_text("receiver is down")
    assert page.locator("section.delivery").count() == 2
    assert receiver.event_ids().count(event["id"]) >= 2  # the same event, sent again
    _shot(page, "event-resent")

    # the customer with the saved card, the SetupIntent with its timeline
    page.goto(f"{base}/dashboard/customers/{customer['id']}")
    expect(page.locator(".card-line")).to_have_text("visa •••• 4242 · 12/2034")
    expect(page.get_by_text("4242424242424242")).to_have_count(0)
    _shot(page, "customer")
    page.goto(f"{base}/dashboard/setup_intents/{intent['id']}")
    expect(page.locator("ol.timeline")).to_contain_text("setup_intent.succeeded")
    _shot(page, "setup-intent")
    page.goto(f"{base}/dashboard/webhooks/{endpoint_id}")
    _shot(page, "webhook")
    page.goto(f"{base}/dashboard")
    expect(page.locator(".tile").first).to_be_visible()
    _shot(page, "home")

    # readable on a phone: nothing wider than the screen but the scrollable tables
    phone = chromium.new_context(viewport=PHONE, storage_state=context.storage_state())
    small = phone.new_page()
    small.goto(f"{base}/dashboard/events/{event['id']}")
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    _shot(small, "phone-event")
    small.goto(f"{base}/dashboard")
    _shot(small, "phone-home")
    phone.close()
    context.close()


def test_sign_in_with_a_wrong_password_fails(dash_server: PaykeepServer, chromium: Any) -> None:
    context = chromium.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.goto(dash_server.base_url + "/dashboard")
    _sign_in(page, dash_server, password="definitely-not-it")
    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password.")
    expect(page).to_have_url(re.compile(r"/dashboard/sign-in"))
    page.goto(dash_server.base_url + "/dashboard")
    expect(page).to_have_url(re.compile(r"/dashboard/sign-in\?next="))
    context.close()


def test_a_form_post_without_the_csrf_token_is_rejected(dash_server: PaykeepServer, chromium: Any) -> None:
    context = chromium.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.goto(dash_server.base_url + "/dashboard/webhooks/new")
    _sign_in(page, dash_server)
    expect(page).to_have_url(dash_server.base_url + "/dashboard/webhooks/new")
    url = f"http://127.0.0.1:9/{uuid.uuid4().hex}"
    page.get_by_label("Endpoint URL").fill(url)
    page.get_by_label("All events").check()
    page.locator("form.stack input[name=csrf_token]").evaluate("input => input.remove()")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Add endpoint").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Form rejected")
    with dash_server.client() as api:
        urls = [e["url"] for e in api.get("/v1/webhook_endpoints", params={"limit": 100}).json()["data"]]
    assert url not in urls
    context.close()


def _every_page() -> list[str]:
    paths = []
    for route in (r for router in dashboard_routes.PAGE_ROUTERS for r in router.routes):
        path = getattr(route, "path", "")
        if "GET" in getattr(route, "methods", set()) and not path.endswith((".css", "/sign-in")):
            paths.append(re.sub(r"\{[a-z_]+(:path)?\}", "x_1234567890123456789", path))
    return paths


def test_a_signed_out_visitor_is_redirected_to_sign_in_from_every_page(dash_server: PaykeepServer,
                                                                       chromium: Any) -> None:
    context = chromium.new_context(viewport=LAPTOP)
    page = context.new_page()
    paths = _every_page()
    assert len(paths) >= 14
    for path in paths:
        page.goto(dash_server.base_url + path)
        expect(page).to_have_url(re.compile(r"/dashboard/sign-in\?next=%2Fdashboard"))
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    # after signing in, the visitor lands where they were going; after signing out, they are out again
    page.goto(dash_server.base_url + "/dashboard/api-keys")
    _sign_in(page, dash_server)
    expect(page).to_have_url(dash_server.base_url + "/dashboard/api-keys")
    _shot(page, "api-keys")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(dash_server.base_url + "/dashboard/sign-in")
    page.goto(dash_server.base_url + "/dashboard/api-keys")
    expect(page).to_have_url(re.compile(r"/dashboard/sign-in\?next="))
    context.close()
