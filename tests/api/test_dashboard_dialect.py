"""The dashboard and the two dialects (API.md §8): the account's default dialect set on the settings page
(administrators only, CSRF-protected), a webhook endpoint's dialect shown next to its API version and
chosen when it is made, and objects shown the same way whichever dialect made them.

Runs on its own server (not the `server` fixture, which may be parametrised over dialects): these tests
change the account's default dialect."""

from __future__ import annotations

import html
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from paykeep import bootstrap
from paykeep.config import Settings
from paykeep.domain.dialects import Dialect
from paykeep.services import accounts, dashboard_users
from paykeep.webhooks import construct_event
from support.dashboard import DashboardClient, add_user
from support.receiver import Receiver, always
from support.server import PaykeepServer

STRIPE = {"Paykeep-Dialect": "stripe"}
WOOSHPAY = {"Paykeep-Dialect": "wooshpay"}
STRIPE_ID = re.compile(r"^[a-z]+_\d{19}[A-Za-z0-9]{5}$")
WOOSHPAY_ID = re.compile(r"^[a-z]+_\d{19}$")


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    server = PaykeepServer(tmp_path_factory.mktemp("dashboard-dialect")).start()
    yield server
    server.close()


@pytest.fixture
def api(srv: PaykeepServer) -> Iterator[httpx.Client]:
    with srv.client() as client:
        yield client


@pytest.fixture
def dash(srv: PaykeepServer) -> Iterator[DashboardClient]:
    with DashboardClient(srv) as client:
        client.sign_in()
        yield client


@pytest.fixture(scope="module")
def runtime(srv: PaykeepServer) -> Iterator[bootstrap.Runtime]:
    """The server's database opened from the test (to set the default dialect without a CLI start-up each
    time, and to add a member, which `paykeep users add` does not make)."""
    opened = bootstrap.build_runtime(Settings.from_env(database_url=srv.db_url, key_file=srv.key_file))
    yield opened
    opened.close()


@pytest.fixture(autouse=True)
def wooshpay_default(runtime: bootstrap.Runtime) -> Iterator[None]:
    """Every test starts, and leaves the account, with the default dialect WooshPay's."""
    accounts.set_dialect(runtime.deps, Dialect.WOOSHPAY)
    yield
    accounts.set_dialect(runtime.deps, Dialect.WOOSHPAY)


def _default_dialect(srv: PaykeepServer) -> str:
    """What a request without a Paykeep-Dialect header speaks: Stripe's answers carry Stripe-Version."""
    resp = httpx.get(srv.base_url + "/v1/customers", params={"limit": 1}, auth=(srv.sk, ""), timeout=30)
    assert resp.status_code == 200, resp.text
    return "stripe" if "stripe-version" in resp.headers else "wooshpay"


def _shown_dialect(srv: PaykeepServer) -> str:
    """`paykeep account show`'s dialect, which the next request speaks."""
    shown = str(json.loads(srv.cli("account", "show").stdout)["dialect"])
    assert _default_dialect(srv) == shown
    return shown


def _fact(page: str, label: str) -> str:
    """The text of `<dt>label</dt><dd>…</dd>` on a page, tags stripped."""
    found = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S)
    assert found, f"no {label!r} on the page"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def _new_customer(api: httpx.Client, headers: dict[str, str], email: str) -> dict[str, Any]:
    resp = api.post("/v1/customers", data={"email": email}, headers=headers)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_an_administrator_sets_the_default_dialect_and_the_next_api_request_speaks_it(
        srv: PaykeepServer, api: httpx.Client, dash: DashboardClient) -> None:
    page = dash.get("/dashboard/settings")
    assert page.status_code == 200
    assert 'id="account-dialect" data-dialect="wooshpay"' in page.text
    assert 'href="/dashboard/settings" aria-current="page"' in page.text  # in the navigation
    assert 'name="dialect" value="stripe"' in page.text and 'value="wooshpay" checked' in page.text
    before = _new_customer(api, {}, f"{uuid.uuid4().hex[:8]}@example.com")
    assert WOOSHPAY_ID.match(before["id"]) and before["created"] > 10**12  # ms

    saved = dash.submit("/dashboard/settings", "/dashboard/settings/dialect", {"dialect": "stripe"})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/dashboard/settings?notice=dialect_saved"
    assert _shown_dialect(srv) == "stripe"
    after = dash.get(saved.headers["location"]).text
    assert 'id="account-dialect" data-dialect="stripe"' in after and 'role="status"' in after

    made = api.post("/v1/payment_intents", json={
        "amount": 1999, "currency": "USD", "confirm": True, "payment_method_types": ["card"],
        "payment_method_data": {"type": "card", "card": {"number": "4242424242424242", "exp_month": 4,
                                                         "exp_year": 2036, "cvc": "314"}}})
    assert made.status_code == 200, made.text
    assert made.headers["stripe-version"] == "2024-06-20"
    intent = made.json()
    assert STRIPE_ID.match(intent["id"]) and intent["currency"] == "usd" and intent["status"] == "succeeded"
    assert abs(intent["created"] - time.time()) < 60  # seconds
    old = api.get(f"/v1/customers/{before['id']}").json()
    assert old["id"] == before["id"] and old["created"] == before["created"] // 1000  # kept, shown as Stripe

    back = dash.submit("/dashboard/settings", "/dashboard/settings/dialect", {"dialect": "wooshpay"})
    assert back.status_code == 303 and _shown_dialect(srv) == "wooshpay"
    again = api.get(f"/v1/payment_intents/{intent['id']}")
    assert "stripe-version" not in again.headers
    assert again.json()["currency"] == "USD" and again.json()["created"] // 1000 == intent["created"]


def test_the_dialect_form_needs_its_csrf_token(srv: PaykeepServer, dash: DashboardClient) -> None:
    missing = dash.submit("/dashboard/settings", "/dashboard/settings/dialect", {"dialect": "stripe"},
                          csrf=False)
    assert missing.status_code == 403 and "Form rejected" in missing.text
    forged = dash.http.post("/dashboard/settings/dialect", data={"dialect": "stripe", "csrf_token": "0" * 64})
    assert forged.status_code == 403
    with DashboardClient(srv) as other:  # another session's token is not this one's
        other.sign_in()
        theirs = re.search(r'name="csrf_token" value="([^"]+)"', other.get("/dashboard/settings").text)
        assert theirs
    stolen = dash.http.post("/dashboard/settings/dialect",
                            data={"dialect": "stripe", "csrf_token": html.unescape(theirs.group(1))})
    assert stolen.status_code == 403
    signed_out = httpx.post(srv.base_url + "/dashboard/settings/dialect", data={"dialect": "stripe"},
                            follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/dashboard/sign-in")
    assert _default_dialect(srv) == "wooshpay"


def test_an_unknown_dialect_is_refused_and_changes_nothing(srv: PaykeepServer, dash: DashboardClient,
                                                           api: httpx.Client) -> None:
    for value in ("klingon", "", "stripe2"):
        refused = dash.submit("/dashboard/settings", "/dashboard/settings/dialect", {"dialect": value})
        assert refused.status_code == 400, value
        assert 'role="alert"' in refused.text and "wooshpay, stripe" in refused.text
    assert _default_dialect(srv) == "wooshpay"
    assert WOOSHPAY_ID.match(_new_customer(api, {}, f"{uuid.uuid4().hex[:8]}@example.com")["id"])


def test_a_member_sees_the_setting_but_cannot_change_it(srv: PaykeepServer,
                                                        runtime: bootstrap.Runtime) -> None:
    email, password = f"member-{uuid.uuid4().hex[:8]}@example.com", "member-password-123"
    # `paykeep users add` makes administrators only: a member is added through the same use case
    dashboard_users.add_user(runtime.deps, email, password, role="member")
    with DashboardClient(srv) as member:
        member.sign_in(email, password)
        page = member.get("/dashboard/settings").text
        assert 'data-dialect="wooshpay"' in page and 'id="admin-only"' in page
        assert 'action="/dashboard/settings/dialect"' not in page
        refused = member.submit("/dashboard/settings", "/dashboard/settings/dialect", {"dialect": "stripe"})
        assert refused.status_code == 403 and "administrator" in refused.text
    assert _default_dialect(srv) == "wooshpay"
    admin_email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    admin_password = add_user(srv, admin_email, "admin-password-1234")
    with DashboardClient(srv) as admin:  # `paykeep users add` makes administrators, who can
        admin.sign_in(admin_email, admin_password)
        ok = admin.submit("/dashboard/settings", "/dashboard/settings/dialect", {"dialect": "stripe"})
        assert ok.status_code == 303
    assert _default_dialect(srv) == "stripe"


def _header(received: Any, name: str) -> str | None:
    return next((v for k, v in received.headers.items() if k.lower() == name.lower()), None)


def _reveal_secret(dash: DashboardClient, endpoint_id: str) -> str:
    page = f"/dashboard/webhooks/{endpoint_id}"
    found = re.search(r"whsec_[A-Za-z0-9]+", dash.submit(page, f"{page}/secret").text)
    assert found
    return found.group(0)


def test_a_webhook_endpoint_page_shows_its_dialect_next_to_its_api_version(
        api: httpx.Client, dash: DashboardClient) -> None:
    made = {}
    for name, headers in (("stripe", {**STRIPE, "Stripe-Version": "2023-10-16"}), ("stripe-default", STRIPE),
                          ("wooshpay", WOOSHPAY)):
        resp = api.post("/v1/webhook_endpoints", headers=headers, data={
            "url": f"https://{name}.example.com/hooks", "enabled_events[]": "customer.created"})
        assert resp.status_code == 200, resp.text
        made[name] = resp.json()
    wooshpay_version = made["wooshpay"]["api_version"]
    assert made["stripe"]["api_version"] == "2023-10-16"
    assert made["stripe-default"]["api_version"] == "2024-06-20"
    expected = (("stripe", "2023-10-16", "stripe"), ("stripe-default", "2024-06-20", "stripe"),
                ("wooshpay", wooshpay_version, "wooshpay"))
    for name, version, dialect in expected:
        page = dash.get(f"/dashboard/webhooks/{made[name]['id']}").text
        assert _fact(page, "API version") == version
        assert f'id="endpoint-dialect" data-dialect="{dialect}"' in page
        assert _fact(page, "Dialect").startswith(dialect)
        expected_header = "Stripe-Signature" if dialect == "stripe" else "Wooshpay-Signature"
        assert expected_header in _fact(page, "Dialect")
        # the API version's row comes right before the dialect's
        assert page.index('id="endpoint-api-version"') < page.index('id="endpoint-dialect"')
        # times come from stored ms, whichever dialect made the endpoint
        shown = datetime.strptime(_fact(page, "Created"), "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
        stored_ms = api.get(f"/v1/webhook_endpoints/{made[name]['id']}", headers=WOOSHPAY).json()["created"]
        assert int(shown.timestamp()) == stored_ms // 1000
    listing = dash.get("/dashboard/webhooks").text
    rows = {re.search(r"we_[A-Za-z0-9]+", row).group(0): row for row in listing.split("<tr>")[2:]}
    assert "<td>stripe</td>" in rows[made["stripe"]["id"]]
    assert "<td>wooshpay</td>" in rows[made["wooshpay"]["id"]]


def test_an_endpoint_made_in_the_dashboard_takes_the_dialect_chosen_or_the_accounts(
        srv: PaykeepServer, api: httpx.Client, dash: DashboardClient) -> None:
    import stripe

    stripe_hooks, wooshpay_hooks = Receiver(respond=always(200)), Receiver(respond=always(200))
    try:
        form = dash.get("/dashboard/webhooks/new").text
        assert '<option value="wooshpay" selected>' in form  # the account's default, preselected
        chosen = dash.submit("/dashboard/webhooks/new", "/dashboard/webhooks", {
            "url": stripe_hooks.url, "enabled_events": ["customer.created"], "dialect": "stripe"})
        assert chosen.status_code == 303, chosen.text
        stripe_id = _endpoint_id(chosen)
        assert STRIPE_ID.match(stripe_id)  # minted as by a Stripe-dialect request
        page = dash.get(f"/dashboard/webhooks/{stripe_id}").text
        assert _fact(page, "API version") == "2024-06-20" and 'data-dialect="stripe"' in page

        bad = dash.submit("/dashboard/webhooks/new", "/dashboard/webhooks", {
            "url": wooshpay_hooks.url, "enabled_events": ["customer.created"], "dialect": "nope"})
        assert bad.status_code == 400 and 'role="alert"' in bad.text
        assert 'value="customer.created" checked' in bad.text

        dash.submit("/dashboard/settings", "/dashboard/settings/dialect", {"dialect": "stripe"})
        form = dash.get("/dashboard/webhooks/new").text
        assert '<option value="stripe" selected>' in form
        dash.submit("/dashboard/settings", "/dashboard/settings/dialect", {"dialect": "wooshpay"})
        defaulted = dash.submit("/dashboard/webhooks/new", "/dashboard/webhooks", {  # no dialect field
            "url": wooshpay_hooks.url, "enabled_events": ["customer.created"]})
        assert defaulted.status_code == 303
        wooshpay_id = _endpoint_id(defaulted)
        assert WOOSHPAY_ID.match(wooshpay_id)
        assert 'data-dialect="wooshpay"' in dash.get(f"/dashboard/webhooks/{wooshpay_id}").text
        endpoints = api.get("/v1/webhook_endpoints", params={"limit": 100}).json()["data"]
        assert {stripe_id, wooshpay_id} <= {e["id"] for e in endpoints}

        customer = _new_customer(api, WOOSHPAY, f"hook-{uuid.uuid4().hex[:8]}@example.com")
        got_stripe = stripe_hooks.wait_for(lambda reqs: any(
            r.event["data"]["object"]["id"] == customer["id"] for r in reqs), timeout=30)
        got_wooshpay = wooshpay_hooks.wait_for(lambda reqs: any(
            r.event["data"]["object"]["id"] == customer["id"] for r in reqs), timeout=30)
        to_stripe = next(r for r in got_stripe if r.event["data"]["object"]["id"] == customer["id"])
        to_wooshpay = next(r for r in got_wooshpay if r.event["data"]["object"]["id"] == customer["id"])
        assert _header(to_wooshpay, "Stripe-Signature") is None
        assert _header(to_stripe, "Wooshpay-Signature") is None
        event = stripe.Webhook.construct_event(to_stripe.body, _header(to_stripe, "Stripe-Signature"),
                                               _reveal_secret(dash, stripe_id))
        assert event["type"] == "customer.created" and event["api_version"] == "2024-06-20"
        assert event["data"]["object"]["created"] == customer["created"] // 1000
        plain = construct_event(to_wooshpay.body, to_wooshpay.signature, _reveal_secret(dash, wooshpay_id))
        assert plain["data"]["object"]["created"] == customer["created"]
    finally:
        stripe_hooks.close()
        wooshpay_hooks.close()


def _endpoint_id(created: httpx.Response) -> str:
    found = re.search(r"/dashboard/webhooks/(we_[A-Za-z0-9]+)", created.headers["location"])
    assert found, created.headers
    return found.group(1)


def _pay(api: httpx.Client, headers: dict[str, str], customer_id: str, amount: int) -> dict[str, Any]:
    resp = api.post("/v1/payment_intents", headers=headers, json={
        "amount": amount, "currency": "usd", "confirm": True, "customer": customer_id,
        "payment_method_types": ["card"],
        "payment_method_data": {"type": "card", "card": {"number": "4242424242424242", "exp_month": 4,
                                                         "exp_year": 2036, "cvc": "314"}}})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _page_time(page: str, label: str = "Created") -> int:
    shown = datetime.strptime(_fact(page, label), "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
    return int(shown.timestamp())


@pytest.mark.parametrize("default", ["wooshpay", "stripe"])
def test_objects_look_the_same_on_the_dashboard_whichever_dialect_made_them(
        runtime: bootstrap.Runtime, api: httpx.Client, dash: DashboardClient, default: str) -> None:
    """A customer and a PaymentIntent made in each dialect: the same times (from stored ms) and amounts on
    their pages and in the lists, whatever the account's default dialect."""
    accounts.set_dialect(runtime.deps, Dialect(default))
    tag = uuid.uuid4().hex[:8]
    made = {}
    for name, headers in (("stripe", STRIPE), ("wooshpay", WOOSHPAY)):
        customer = _new_customer(api, headers, f"same-{tag}-{name}@example.com")
        intent = _pay(api, headers, customer["id"], 12345)
        made[name] = (customer, intent)
    stripe_customer, stripe_intent = made["stripe"]
    assert STRIPE_ID.match(stripe_customer["id"]) and STRIPE_ID.match(stripe_intent["id"])
    assert WOOSHPAY_ID.match(made["wooshpay"][0]["id"]) and WOOSHPAY_ID.match(made["wooshpay"][1]["id"])
    assert stripe_intent["currency"] == "usd" and made["wooshpay"][1]["currency"] == "USD"

    shown: dict[str, dict[str, str]] = {}
    for name, (customer, intent) in made.items():
        stored_customer = api.get(f"/v1/customers/{customer['id']}", headers=WOOSHPAY).json()
        stored_intent = api.get(f"/v1/payment_intents/{intent['id']}", headers=WOOSHPAY).json()
        customer_page = dash.get(f"/dashboard/customers/{customer['id']}")
        intent_page = dash.get(f"/dashboard/payment_intents/{intent['id']}")
        assert customer_page.status_code == 200 and intent_page.status_code == 200
        assert _page_time(customer_page.text) == stored_customer["created"] // 1000
        assert _page_time(intent_page.text) == stored_intent["created"] // 1000
        assert abs(_page_time(intent_page.text) - time.time()) < 60  # not 1970, not year 58000
        assert "2036" not in _fact(customer_page.text, "Created")
        assert _fact(customer_page.text, "Email") == customer["email"]
        timeline = re.findall(r'<span class="when">([^<]+)</span>', intent_page.text)
        assert timeline, "no event on the intent's timeline"
        shown[name] = {"amount": _fact(intent_page.text, "Amount"),
                       "received": _fact(intent_page.text, "Received"), "timeline": timeline[0]}
        assert "4242424242424242" not in customer_page.text + intent_page.text
    assert shown["stripe"]["amount"] == shown["wooshpay"]["amount"] == "123.45 USD"
    assert shown["stripe"]["received"] == shown["wooshpay"]["received"] == "123.45 USD"
    for name in made:
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", shown[name]["timeline"]), shown[name]
        assert abs(datetime.strptime(shown[name]["timeline"], "%Y-%m-%d %H:%M:%S UTC")
                   .replace(tzinfo=UTC).timestamp() - time.time()) < 60

    listing = dash.get("/dashboard/payment_intents", params={"status": "succeeded"}).text
    ids = re.findall(r'href="/dashboard/payment_intents/(pi_[A-Za-z0-9]+)"', listing)
    assert ids.index(made["wooshpay"][1]["id"]) < ids.index(stripe_intent["id"])  # newest first, both forms
    assert listing.count("123.45 USD") >= 2
    customers = dash.get("/dashboard/customers", params={"email": f"same-{tag}"}).text
    found = re.findall(r'href="/dashboard/customers/(cus_[A-Za-z0-9]+)"', customers)
    assert found == [made["wooshpay"][0]["id"], stripe_customer["id"]]
    jump = dash.get("/dashboard/customers", params={"email": stripe_customer["id"]})
    assert jump.status_code == 303
    assert jump.headers["location"] == f"/dashboard/customers/{stripe_customer['id']}"
