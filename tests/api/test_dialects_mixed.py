"""Both dialects on one server and one account (API.md §8), requests alternating `Paykeep-Dialect: stripe`
and `wooshpay`: every object keeps the id form it was minted in, is retrievable and listed from both
dialects and rendered in the dialect asked (Unix seconds or ms, `usd` or `USD`); lists are newest first and
cursors cross id forms; `expand[]` follows ids of either form; `created[...]` filters are read in the
dialect's unit; each webhook endpoint receives every event in its own dialect under its own signature header;
3-D Secure without a return_url is Stripe's `use_stripe_sdk` in the Stripe dialect and a 400 in WooshPay's;
Stripe-Version is echoed and kept by endpoints and their deliveries.

One server for the whole module, started here rather than by the `server` fixture (which is parametrised
over dialects): this file is about both dialects at once, so it runs once."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import stripe

from paykeep.webhooks import construct_event
from support.receiver import Received, Receiver, always
from support.server import PaykeepServer

DIALECTS = ("stripe", "wooshpay")
STRIPE_VERSION = "2023-10-16"
DEFAULT_STRIPE_VERSION = "2024-06-20"
STRIPE_ID = re.compile(r"^(?P<prefix>[a-z]+)_\d{19}[A-Za-z0-9]{5}$")
WOOSHPAY_ID = re.compile(r"^(?P<prefix>[a-z]+)_\d{19}$")
CARD = {"number": "4242424242424242", "exp_month": 4, "exp_year": 2036, "cvc": "314"}
CHALLENGE_CARD = {**CARD, "number": "4000002500003155"}
ROUNDS = 6  # alternating: three rounds made in each dialect


def headers(dialect: str, **extra: str) -> dict[str, str]:
    return {"Paykeep-Dialect": dialect, **extra}


def other(dialect: str) -> str:
    return "wooshpay" if dialect == "stripe" else "stripe"


def minted_in(object_id: str) -> str:
    """The dialect whose form an id has (and checks that it has one of the two)."""
    if STRIPE_ID.match(object_id):
        return "stripe"
    assert WOOSHPAY_ID.match(object_id), f"{object_id!r} has neither id form"
    return "wooshpay"


def assert_time(value: Any, dialect: str) -> None:
    """A timestamp of the last few minutes, in the dialect's unit."""
    assert isinstance(value, int) and not isinstance(value, bool), value
    seconds = value if dialect == "stripe" else value / 1000
    assert abs(seconds - time.time()) < 300, (value, dialect)


def assert_currency(value: Any, dialect: str) -> None:
    assert value == ("usd" if dialect == "stripe" else "USD"), (value, dialect)


def header_named(received: Received, name: str) -> str | None:
    return next((v for k, v in received.headers.items() if k.lower() == name.lower()), None)


@dataclass
class Made:
    kind: str  # customer, payment_method, setup_intent, payment_intent, refund, webhook_endpoint
    id: str
    dialect: str  # of the request that made it
    body: dict[str, Any]  # as that request's response rendered it

    @property
    def path(self) -> str:
        return f"/v1/{self.kind}s/{self.id}"


@dataclass
class World:
    srv: PaykeepServer
    api: httpx.Client
    made: list[Made] = field(default_factory=list)
    receivers: dict[str, Receiver] = field(default_factory=dict)  # by endpoint name
    endpoints: dict[str, Made] = field(default_factory=dict)  # stripe, stripe_default, wooshpay
    secrets: dict[str, str] = field(default_factory=dict)
    charges: list[tuple[str, str]] = field(default_factory=list)  # (charge id, dialect of the confirm)

    def post(self, dialect: str, path: str, body: dict[str, Any], **extra: str) -> dict[str, Any]:
        resp = self.api.post(path, json=body, headers=headers(dialect, **extra))
        assert resp.status_code == 200, (path, dialect, resp.text)
        return dict(resp.json())

    def make(self, kind: str, dialect: str, body: dict[str, Any], **extra: str) -> Made:
        made = Made(kind, "", dialect, self.post(dialect, f"/v1/{kind}s", body, **extra))
        made.id = made.body["id"]
        self.made.append(made)
        return made

    def get(self, dialect: str, path: str, **params: Any) -> dict[str, Any]:
        resp = self.api.get(path, params=params, headers=headers(dialect))
        assert resp.status_code == 200, (path, dialect, resp.text)
        return dict(resp.json())

    def of(self, kind: str) -> list[Made]:
        return [m for m in self.made if m.kind == kind]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    srv = PaykeepServer(tmp_path_factory.mktemp("dialects-mixed"), env={"PAYKEEP_DIALECT": ""}).start()
    api = srv.client()
    w = World(srv, api)
    try:
        # The endpoints first, so that they are sent every event that follows.
        for name, dialect, extra in (("stripe", "stripe", {"Stripe-Version": STRIPE_VERSION}),
                                     ("wooshpay", "wooshpay", {}), ("stripe_default", "stripe", {})):
            receiver = w.receivers[name] = Receiver(respond=always(200))
            made = w.make("webhook_endpoint", dialect, {"url": receiver.url, "enabled_events": ["*"],
                                                         "description": name}, **extra)
            w.endpoints[name] = made
            w.secrets[name] = made.body["secret"]
        for i in range(ROUNDS):
            d = DIALECTS[i % 2]
            tag = uuid.uuid4().hex[:8]
            customer = w.make("customer", d, {"email": f"mixed-{i}-{tag}@example.com", "name": f"Buyer {i}"})
            pm = w.make("payment_method", other(d), {"type": "card", "card": CARD})
            w.make("setup_intent", d, {"customer": customer.id, "payment_method": pm.id, "confirm": True,
                                       "payment_method_types": ["card"], "usage": "off_session"})
            intent = w.make("payment_intent", other(d), {
                "amount": 1000 + i, "currency": "usd" if i % 3 else "USD", "confirm": True,
                "customer": customer.id, "payment_method": pm.id, "payment_method_types": ["card"]})
            assert intent.body["status"] == "succeeded", intent.body
            w.charges.append((intent.body["latest_charge"], other(d)))
            w.make("refund", d, {"payment_intent": intent.id, "amount": 100 + i})
        yield w
    finally:
        api.close()
        for receiver in w.receivers.values():
            receiver.close()
        srv.close()


# -- ids ------------------------------------------------------------------------------------------------
def test_ids_keep_the_form_of_the_dialect_that_minted_them(world: World) -> None:
    prefixes = {"customer": "cus", "payment_method": "pm", "setup_intent": "seti", "payment_intent": "pi",
                "refund": "re", "webhook_endpoint": "we"}
    assert {m.dialect for m in world.made} == set(DIALECTS)
    for made in world.made:
        assert made.id.startswith(prefixes[made.kind] + "_")
        assert minted_in(made.id) == made.dialect, made
        if made.dialect == "stripe":
            assert len(made.id) == len(prefixes[made.kind]) + 1 + 24  # prefix_ + 19 digits + 5 base-62
    for charge_id, dialect in world.charges:
        assert charge_id.startswith("ch_") and minted_in(charge_id) == dialect
    # events are minted in the dialect of the request that caused them
    events = world.get("wooshpay", "/v1/events", limit=100)["data"]
    created_by = {m.id: m.dialect for m in world.made}
    for event in events:
        if event["type"].endswith(".created") and event["data"]["object"]["id"] in created_by:
            assert minted_in(event["id"]) == created_by[event["data"]["object"]["id"]], event["id"]
    assert {minted_in(e["id"]) for e in events} == set(DIALECTS)


# -- retrieve -------------------------------------------------------------------------------------------
def assert_rendered(body: dict[str, Any], dialect: str) -> None:
    """Times, currencies and WooshPay-only fields as the dialect writes them, at every depth."""
    for key, value in body.items():
        if key == "metadata":
            continue
        if key == "created" or (key.endswith("_at") and value is not None):
            assert_time(value, dialect)
        elif key == "currency" and value is not None:
            assert_currency(value, dialect)
        elif key == "request_three_d_secure":
            assert value == ("automatic" if dialect == "stripe" else "auto"), value
        elif isinstance(value, dict):
            assert_rendered(value, dialect)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    assert_rendered(item, dialect)
    if dialect == "stripe":
        assert "merchant_order_id" not in body and "live_mode" not in body


def test_every_object_is_retrievable_from_both_dialects_and_rendered_in_the_one_asked(world: World) -> None:
    for made in world.made:
        assert_rendered(made.body, made.dialect)  # as made
        seen = {}
        for dialect in DIALECTS:
            resp = world.api.get(made.path, headers=headers(dialect))
            assert resp.status_code == 200, (made, dialect, resp.text)
            body = resp.json()
            assert body["id"] == made.id and body["object"] == made.kind
            assert ("stripe-version" in resp.headers) == (dialect == "stripe")
            assert_rendered(body, dialect)
            seen[dialect] = body
        assert seen["stripe"]["created"] == seen["wooshpay"]["created"] // 1000
        if seen["wooshpay"].get("currency") is not None:
            assert seen["stripe"]["currency"] == seen["wooshpay"]["currency"].lower()
        if made.kind == "payment_intent":
            assert "merchant_order_id" in seen["wooshpay"] and "merchant_order_id" not in seen["stripe"]
            assert seen["stripe"]["amount"] == seen["wooshpay"]["amount"] == made.body["amount"]


# -- lists ----------------------------------------------------------------------------------------------
LISTS = ("customer", "setup_intent", "payment_intent", "refund", "webhook_endpoint")


def _listed(world: World, dialect: str, kind: str, **params: Any) -> list[dict[str, Any]]:
    page = world.get(dialect, f"/v1/{kind}s", limit=100, **params)
    assert page["object"] == "list" and page["has_more"] is False
    return list(page["data"])


@pytest.mark.parametrize("kind", sorted(LISTS))
@pytest.mark.parametrize("dialect", DIALECTS)
def test_lists_show_objects_of_both_forms_newest_first(world: World, kind: str, dialect: str) -> None:
    ours = [m.id for m in world.of(kind)]
    rows = _listed(world, dialect, kind)
    ids = [row["id"] for row in rows]
    assert [i for i in ids if i in ours] == list(reversed(ours))  # newest first, whichever form
    assert {minted_in(i) for i in ids} == set(DIALECTS)
    times = [row["created"] for row in rows]
    assert times == sorted(times, reverse=True)
    for row in rows:
        assert_rendered(row, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_customers_payment_method_is_listed_from_both_dialects(world: World, dialect: str) -> None:
    for customer, pm in zip(world.of("customer"), world.of("payment_method"), strict=True):
        for path, params in ((f"/v1/customers/{customer.id}/payment_methods", {}),
                             ("/v1/payment_methods", {"customer": customer.id})):
            page = world.get(dialect, path, type="card", **params)
            assert [row["id"] for row in page["data"]] == [pm.id], (path, dialect)
            assert page["data"][0]["customer"] == customer.id
            assert_rendered(page["data"][0], dialect)


def _walk(world: World, dialect: str, kind: str, limit: int, direction: str) -> list[str]:
    """Every id of a list, page by page with starting_after (forwards) or ending_before (from the end)."""
    full = [row["id"] for row in _listed(world, dialect, kind)]
    collected: list[str] = []
    cursor: str | None = full[-1] if direction == "ending_before" else None
    if cursor is not None:
        collected.append(cursor)
    for _ in range(len(full) + 2):
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params[direction] = cursor
        page = world.get(dialect, f"/v1/{kind}s", **params)
        ids = [row["id"] for row in page["data"]]
        if direction == "ending_before":
            collected = ids + collected  # a page before the cursor, itself newest first
            cursor = ids[0] if ids else None
        else:
            collected += ids
            cursor = ids[-1] if ids else None
        if not page["has_more"]:
            break
    assert collected == full, (kind, dialect, direction, limit)
    return collected


@pytest.mark.parametrize("kind", ["customer", "payment_intent", "refund"])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_pagination_crosses_id_forms_both_ways(world: World, kind: str, dialect: str) -> None:
    for limit in (1, 2, 3):
        forwards = _walk(world, dialect, kind, limit, "starting_after")
        backwards = _walk(world, dialect, kind, limit, "ending_before")
        assert forwards == backwards
    ours = [m.id for m in world.of(kind)]
    for i, cursor in enumerate(ours):  # a cursor of either form, in a request of either form
        after = [r["id"] for r in _listed(world, dialect, kind, starting_after=cursor)]
        assert [x for x in after if x in ours] == list(reversed(ours[:i]))
        before = [r["id"] for r in _listed(world, dialect, kind, ending_before=cursor)]
        assert [x for x in before if x in ours] == list(reversed(ours[i + 1:]))


# -- expand ---------------------------------------------------------------------------------------------
def test_expanding_stripe_form_ids_from_a_wooshpay_request(world: World) -> None:
    intents = [m for m in world.of("payment_intent") if m.dialect == "stripe"]
    assert intents
    for intent in intents:
        body = world.get("wooshpay", intent.path,
                         **{"expand[]": ["customer", "payment_method", "latest_charge"]})
        assert minted_in(body["id"]) == "stripe"
        for name in ("customer", "payment_method", "latest_charge"):
            assert isinstance(body[name], dict), (name, body[name])
            assert_rendered(body[name], "wooshpay")
        assert body["customer"]["id"] == intent.body["customer"]
        assert minted_in(body["latest_charge"]["id"]) == "stripe"
        assert_currency(body["latest_charge"]["currency"], "wooshpay")
    refunds = [m for m in world.of("refund") if m.dialect == "wooshpay"]  # of intents made in Stripe's
    for refund in refunds:
        body = world.get("wooshpay", refund.path, **{"expand[]": ["payment_intent", "charge"]})
        assert minted_in(body["payment_intent"]["id"]) == "stripe"
        assert minted_in(body["charge"]["id"]) == "stripe"
        assert_rendered(body, "wooshpay")
    listed = world.get("wooshpay", "/v1/setup_intents", limit=100, **{"expand[]": ["data.customer"]})["data"]
    stripe_customers = [row["customer"] for row in listed if minted_in(row["customer"]["id"]) == "stripe"]
    assert stripe_customers and all(c["object"] == "customer" for c in stripe_customers)
    for customer in stripe_customers:
        assert_rendered(customer, "wooshpay")
    # and the other way round: a WooshPay-form id expanded in a Stripe request
    woosh = next(m for m in world.of("payment_intent") if m.dialect == "wooshpay")
    body = world.get("stripe", woosh.path, **{"expand[]": ["customer", "latest_charge"]})
    assert minted_in(body["customer"]["id"]) == "stripe"
    assert minted_in(body["latest_charge"]["id"]) == "wooshpay"
    assert_rendered(body, "stripe")


# -- created filters ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["customer", "payment_intent", "refund", "setup_intent"])
def test_created_filters_are_read_in_the_dialects_unit(world: World, kind: str) -> None:
    ours = world.of(kind)
    stored = {m.id: world.get("wooshpay", m.path)["created"] for m in ours}  # ms
    middle = ours[len(ours) // 2]
    ms = stored[middle.id]
    seconds = ms // 1000

    def filtered(dialect: str, **params: Any) -> set[str]:
        rows = world.get(dialect, f"/v1/{kind}s", limit=100, **params)["data"]
        return {row["id"] for row in rows} & set(stored)

    assert filtered("wooshpay", **{"created[gte]": ms}) == {i for i, t in stored.items() if t >= ms}
    assert filtered("wooshpay", **{"created[lt]": ms}) == {i for i, t in stored.items() if t < ms}
    secs = {i: t // 1000 for i, t in stored.items()}
    assert filtered("stripe", **{"created[gte]": seconds}) == {i for i, t in secs.items() if t >= seconds}
    assert filtered("stripe", **{"created[lt]": seconds}) == {i for i, t in secs.items() if t < seconds}
    assert middle.id in filtered("stripe", **{"created[gte]": seconds})
    # a value in the other dialect's unit means another time altogether
    assert filtered("stripe", **{"created[gte]": ms}) == set()  # ms read as seconds: tens of millennia ahead
    assert filtered("wooshpay", **{"created[gte]": seconds}) == set(stored)  # seconds read as ms: 1970
    assert filtered("wooshpay", **{"created[lt]": seconds}) == set()


def test_stripe_created_bounds_include_the_second_an_object_shows(world: World) -> None:
    """In the Stripe dialect an object shows `created` in whole seconds; a filter on that same value treats
    it as Stripe does: `lte`/`=` include the object, `gt` leaves it out (its ms are within that second)."""
    for made in world.of("customer"):
        seconds = world.get("stripe", made.path)["created"]

        def ids(**params: Any) -> set[str]:
            return {r["id"] for r in world.get("stripe", "/v1/customers", limit=100, **params)["data"]}

        assert made.id in ids(**{"created[lte]": seconds}), made.id
        assert made.id not in ids(**{"created[gt]": seconds}), made.id
        assert made.id in ids(created=seconds), made.id
        assert made.id not in ids(**{"created[lt]": seconds}), made.id


def test_event_lists_filter_on_created_in_the_dialects_unit(world: World) -> None:
    events = world.get("wooshpay", "/v1/events", limit=100)["data"]
    ms = events[len(events) // 2]["created"]
    expected = {e["id"] for e in events if e["created"] >= ms}
    assert {e["id"] for e in world.get("wooshpay", "/v1/events", limit=100, **{"created[gte]": ms})["data"]} \
        >= expected
    in_stripe = world.get("stripe", "/v1/events", limit=100, **{"created[gte]": ms // 1000})["data"]
    assert {e["id"] for e in in_stripe} >= expected
    assert all(e["created"] >= ms // 1000 for e in in_stripe)
    assert world.get("stripe", "/v1/events", **{"created[gte]": ms})["data"] == []


# -- webhooks -------------------------------------------------------------------------------------------
def _deliveries(world: World, name: str, event_ids: set[str]) -> dict[str, Received]:
    receiver = world.receivers[name]
    got = receiver.wait_for(lambda reqs: event_ids <= {json.loads(r.body)["id"] for r in reqs}, timeout=60)
    return {json.loads(r.body)["id"]: r for r in got}


def test_each_endpoint_receives_every_event_in_its_own_dialect_and_signature(world: World) -> None:
    events = world.get("wooshpay", "/v1/events", limit=100)["data"]
    assert len(events) >= ROUNDS * 5
    event_ids = {e["id"] for e in events}
    versions = {"stripe": STRIPE_VERSION, "stripe_default": DEFAULT_STRIPE_VERSION}
    for name in ("stripe", "stripe_default", "wooshpay"):
        dialect = "wooshpay" if name == "wooshpay" else "stripe"
        delivered = _deliveries(world, name, event_ids)
        for event_id in event_ids:
            received = delivered[event_id]
            if dialect == "stripe":
                signature = header_named(received, "Stripe-Signature")
                assert signature and header_named(received, "Wooshpay-Signature") is None
                event = stripe.Webhook.construct_event(received.body, signature, world.secrets[name])
                body = json.loads(received.body)
                assert event["id"] == event_id and body["api_version"] == versions[name]
            else:
                signature = header_named(received, "Wooshpay-Signature")
                assert signature and header_named(received, "Stripe-Signature") is None
                body = construct_event(received.body, signature, world.secrets[name])
                assert body["api_version"] == world.endpoints["wooshpay"].body["api_version"]
            assert body["id"] == event_id
            assert_time(body["created"], dialect)
            assert_rendered(body["data"]["object"], dialect)
            # exactly what the API says of that event in that dialect (and, in Stripe's, at that version)
            extra = {"Stripe-Version": versions[name]} if dialect == "stripe" else {}
            api_view = world.api.get(f"/v1/events/{event_id}", headers=headers(dialect, **extra)).json()
            assert api_view["data"] == body["data"] and api_view["created"] == body["created"]
            assert api_view["api_version"] == body["api_version"]
        assert {minted_in(i) for i in delivered} == set(DIALECTS)


# -- 3-D Secure without a return_url --------------------------------------------------------------------
def _answer(url: str, outcome: str) -> httpx.Response:
    page = httpx.get(url, timeout=30)
    assert page.status_code == 200, page.text
    assert 'value="complete"' in page.text and 'value="fail"' in page.text
    return httpx.post(url, data={"outcome": outcome}, timeout=30, follow_redirects=False)


def _challenge_body(customer: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {"amount": 3155, "currency": "usd", "confirm": True, "payment_method_types": ["card"],
            "payment_method_data": {"type": "card", "card": CHALLENGE_CARD}, **extra}
    if customer:
        body["customer"] = customer
    return body


def test_a_stripe_confirm_without_return_url_waits_for_use_stripe_sdk(world: World) -> None:
    resp = world.api.post("/v1/payment_intents", json=_challenge_body(), headers=headers("stripe"))
    assert resp.status_code == 200, resp.text
    intent = resp.json()
    assert intent["status"] == "requires_action" and minted_in(intent["id"]) == "stripe"
    action = intent["next_action"]
    assert action["type"] == "use_stripe_sdk"
    assert action["use_stripe_sdk"]["type"] == "three_d_secure_redirect"
    url = action["use_stripe_sdk"]["stripe_js"]
    assert url.startswith(world.srv.base_url + "/")
    done = _answer(url, "complete")
    assert done.status_code == 200, (done.status_code, done.headers, done.text)
    assert re.search(r'<h1 id="done" data-outcome="complete"', done.text)
    for dialect in DIALECTS:
        after = world.get(dialect, f"/v1/payment_intents/{intent['id']}")
        assert after["status"] == "succeeded" and after["next_action"] is None
        assert after["amount_received"] == 3155


def test_a_wooshpay_confirm_without_return_url_is_a_400_and_changes_nothing(world: World) -> None:
    before_intents = world.get("wooshpay", "/v1/payment_intents", limit=100)["data"]
    before_events = [e["id"] for e in world.get("wooshpay", "/v1/events", limit=100)["data"]]
    refused = world.api.post("/v1/payment_intents", json=_challenge_body(), headers=headers("wooshpay"))
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "parameter_missing"
    assert error["param"] == "return_url"
    assert world.get("wooshpay", "/v1/payment_intents", limit=100)["data"] == before_intents
    assert [e["id"] for e in world.get("wooshpay", "/v1/events", limit=100)["data"]] == before_events


def test_one_intent_confirmed_in_each_dialect(world: World) -> None:
    """Made and refused in WooshPay's (no return_url), then confirmed in Stripe's: use_stripe_sdk; failing
    the challenge leaves it waiting for another payment method, as Stripe does."""
    made = world.post("wooshpay", "/v1/payment_intents", {
        "amount": 3156, "currency": "USD", "payment_method_types": ["card"],
        "payment_method_data": {"type": "card", "card": CHALLENGE_CARD}})
    assert made["status"] == "requires_confirmation" and minted_in(made["id"]) == "wooshpay"
    path = f"/v1/payment_intents/{made['id']}"
    refused = world.api.post(f"{path}/confirm", json={}, headers=headers("wooshpay"))
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "return_url", refused.text
    assert world.get("wooshpay", path) == made  # unchanged
    waiting = world.post("stripe", f"{path}/confirm", {})
    assert waiting["status"] == "requires_action" and waiting["next_action"]["type"] == "use_stripe_sdk"
    done = _answer(waiting["next_action"]["use_stripe_sdk"]["stripe_js"], "fail")
    assert done.status_code == 200 and re.search(r'<h1 id="done" data-outcome="fail"', done.text), done.text
    after = world.get("wooshpay", path)
    assert after["status"] == "requires_payment_method" and after["last_payment_error"]
    assert after["id"] == made["id"]


# -- Stripe-Version -------------------------------------------------------------------------------------
def test_stripe_version_is_echoed_and_kept_by_the_endpoint(world: World) -> None:
    with_version = world.api.get("/v1/customers", params={"limit": 1},
                                 headers=headers("stripe", **{"Stripe-Version": STRIPE_VERSION}))
    assert with_version.status_code == 200 and with_version.headers["stripe-version"] == STRIPE_VERSION
    without = world.api.get("/v1/customers", params={"limit": 1}, headers=headers("stripe"))
    assert without.headers["stripe-version"] == DEFAULT_STRIPE_VERSION
    in_wooshpay = world.api.get("/v1/customers", params={"limit": 1},
                                headers=headers("wooshpay", **{"Stripe-Version": STRIPE_VERSION}))
    assert in_wooshpay.status_code == 200 and "stripe-version" not in in_wooshpay.headers
    made = world.api.post("/v1/customers", data={"email": f"v-{uuid.uuid4().hex[:8]}@example.com"},
                          headers=headers("stripe", **{"Stripe-Version": STRIPE_VERSION}))
    assert made.status_code == 200 and made.headers["stripe-version"] == STRIPE_VERSION
    endpoint = world.endpoints["stripe"]
    assert endpoint.body["api_version"] == STRIPE_VERSION
    for dialect in DIALECTS:
        assert world.get(dialect, endpoint.path)["api_version"] == STRIPE_VERSION
    default_endpoint = world.get("stripe", world.endpoints["stripe_default"].path)
    assert default_endpoint["api_version"] == DEFAULT_STRIPE_VERSION
    event = world.get("wooshpay", "/v1/events", limit=1)["data"][0]  # the customer.created just made
    assert event["data"]["object"]["id"] == made.json()["id"]
    delivered = _deliveries(world, "stripe", {event["id"]})[event["id"]]
    assert json.loads(delivered.body)["api_version"] == STRIPE_VERSION
    default = _deliveries(world, "stripe_default", {event["id"]})[event["id"]]
    assert json.loads(default.body)["api_version"] == DEFAULT_STRIPE_VERSION
