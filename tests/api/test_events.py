"""/v1/events: every change writes its event with the API's request ids; filters and pages."""

from __future__ import annotations

import re
import time
import uuid

from paykeep import API_VERSION
from support.dialects import STRIPE_API_VERSION


def new_customer(api, **data):
    resp = api.post("/v1/customers", data={"email": f"{uuid.uuid4().hex[:8]}@example.com", **data})
    assert resp.status_code == 200, resp.text
    return resp


def events_for(api, object_id, **params):
    found = api.get("/v1/events", params={"limit": 100, **params}).json()["data"]
    return [e for e in found if e["data"]["object"]["id"] == object_id]


def test_customer_created_event_has_the_contract_fields(api, dialect):
    resp = new_customer(api, name="Ada")
    cus = resp.json()
    (event,) = events_for(api, cus["id"], type="customer.created")
    assert re.fullmatch(dialect.id_re("evt"), event["id"])
    assert event["object"] == "event" and event["type"] == "customer.created"
    assert event["livemode"] is False
    assert event["api_version"] == (STRIPE_API_VERSION if dialect.is_stripe else API_VERSION)
    assert event["created"] >= cus["created"]
    assert abs(event["created"] - dialect.now()) <= dialect.ts(60_000)  # ms, or s in Stripe's dialect
    assert event["data"]["object"] == cus
    assert "previous_attributes" not in event["data"]
    assert event["request"] == {"id": resp.headers["request-id"], "idempotency_key": None}
    assert event["pending_webhooks"] == 0  # no endpoint in this module is subscribed
    assert api.get(f"/v1/events/{event['id']}").json() == event
    # Stripe's dialect writes an event in the reading request's Stripe-Version; WooshPay's has one version
    versioned = api.get(f"/v1/events/{event['id']}", headers={"Stripe-Version": "2023-10-16"})
    expected = "2023-10-16" if dialect.is_stripe else API_VERSION
    assert versioned.json() == {**event, "api_version": expected}
    assert versioned.headers.get("stripe-version") == ("2023-10-16" if dialect.is_stripe else None)


def test_idempotency_key_is_recorded_and_a_replay_writes_no_second_event(api):
    key = uuid.uuid4().hex
    first = api.post("/v1/customers", data={"email": "idem@example.com"}, headers={"Idempotency-Key": key})
    replay = api.post("/v1/customers", data={"email": "idem@example.com"}, headers={"Idempotency-Key": key})
    assert replay.headers.get("idempotent-replayed") == "true"
    events = events_for(api, first.json()["id"])
    assert len(events) == 1
    assert events[0]["request"] == {"id": first.headers["request-id"], "idempotency_key": key}


def test_updated_and_deleted_events(api):
    cus = new_customer(api, name="Before").json()
    api.post(f"/v1/customers/{cus['id']}", data={"name": "After", "metadata[k]": "v"})
    api.delete(f"/v1/customers/{cus['id']}")
    events = events_for(api, cus["id"])
    assert [e["type"] for e in events] == ["customer.deleted", "customer.updated", "customer.created"]
    updated = events[1]
    assert updated["data"]["object"]["name"] == "After"
    assert updated["data"]["previous_attributes"] == {"name": "Before", "metadata": {}}
    assert events[0]["data"]["object"]["id"] == cus["id"]


def test_type_filters(api):
    cus = new_customer(api).json()
    api.post(f"/v1/customers/{cus['id']}", data={"name": "x"})
    assert [e["type"] for e in events_for(api, cus["id"], type="customer.updated")] == ["customer.updated"]
    assert len(events_for(api, cus["id"], type="customer.*")) == 2
    assert len(events_for(api, cus["id"], type="*.created")) == 1
    assert len(events_for(api, cus["id"], type="*")) == 2
    assert events_for(api, cus["id"], type="setup_intent.*") == []
    both = api.get("/v1/events", params={"types[]": ["customer.created", "customer.updated"], "limit": 100})
    assert {e["type"] for e in both.json()["data"]} == {"customer.created", "customer.updated"}
    # `_` is not a LIKE wildcard here
    assert api.get("/v1/events", params={"type": "customer_created"}).json()["data"] == []


def test_bad_filters_are_400(api):
    resp = api.get("/v1/events", params={"type": "customer.created", "types[]": "customer.updated"})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "types"
    assert api.get("/v1/events", params={"type": "customer.%"}).status_code == 400
    assert api.get("/v1/events", params={"types[]": "customer.*"}).status_code == 400
    assert api.get("/v1/events", params={"types[]": [f"t{i}.x" for i in range(21)]}).status_code == 400
    assert api.get("/v1/events", params={"delivery_success": "maybe"}).status_code == 400
    assert api.get("/v1/events", params={"created[gte]": "soon"}).status_code == 400
    assert api.get("/v1/events", params={"colour": "red"}).status_code == 400


def test_created_filter_and_pagination(api):
    new_customer(api)  # an older event, whichever test ran first on this server: `has_more` below is true
    first = new_customer(api).json()
    (e1,) = events_for(api, first["id"])
    # e2 at least one unit of `created` after e1 (a ms; a second in Stripe's dialect): customers are made
    # until one is, polled with a bound; `previous` is the event just before e2
    previous, deadline = e1, time.monotonic() + 5
    while True:
        (e2,) = events_for(api, new_customer(api).json()["id"])
        if e2["created"] > e1["created"] or time.monotonic() > deadline:
            break
        previous = e2
        time.sleep(0.05)
    assert e2["created"] > e1["created"], (e1, e2)
    newer = api.get("/v1/events", params={"created[gt]": e1["created"], "limit": 100}).json()["data"]
    assert e2["id"] in [e["id"] for e in newer] and e1["id"] not in [e["id"] for e in newer]
    exact = api.get(
        "/v1/events", params={"created[gte]": e1["created"], "created[lte]": e1["created"], "limit": 100}
    ).json()  # e1's second holds every event the loop made in it (a dozen or more in Stripe's dialect)
    assert e1["id"] in [e["id"] for e in exact["data"]]
    page = api.get("/v1/events", params={"limit": 1, "starting_after": e2["id"]}).json()
    assert page["data"][0]["id"] == previous["id"] and page["has_more"] is True
    back = api.get("/v1/events", params={"limit": 1, "ending_before": previous["id"]}).json()
    assert back["data"][0]["id"] == e2["id"]
    assert api.get("/v1/events", params={"starting_after": "evt_0000000000000000000"}).status_code == 404


def test_delivery_success_filter(api):
    cus = new_customer(api).json()
    assert events_for(api, cus["id"], delivery_success="true")  # nothing to deliver counts as success
    assert events_for(api, cus["id"], delivery_success="false") == []


def test_events_are_per_mode(server, api):
    cus = new_customer(api).json()
    (event,) = events_for(api, cus["id"])
    with server.client(server.sk_live) as live:
        assert live.get(f"/v1/events/{event['id']}").status_code == 404
        assert event["id"] not in [
            e["id"] for e in live.get("/v1/events", params={"limit": 100}).json()["data"]
        ]


def test_unknown_event_is_404(api):
    resp = api.get("/v1/events/evt_0000000000000000000")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "resource_missing"
