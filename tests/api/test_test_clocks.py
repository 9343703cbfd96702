"""Test clocks over real HTTP (Stripe's /v1/test_helpers/test_clocks, API.md §11), in both dialects: create,
retrieve, list; customers on a clock; the effects of advancing (an uncaptured authorization canceled after
7 days of clock time with payment_intent.canceled and charge.expired, a Checkout Session expired after 24
hours), the clock's own events, advancing twice, deleting a clock and what lives on it; and the refusals
(advancing backwards or too far, unknown or deleted clocks, live mode).

Every time is given and read in the dialect's unit (`dialect.ts`: ms in WooshPay's, seconds in Stripe's). The
clocks start on 2020-01-01, long before the real now: an object of a clock customer that went by the real
time would be seen at once."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from support.assertions import assert_error
from support.dialects import Dialect
from support.payments import card, pay
from support.receiver import wait_until
from support.server import PaykeepServer

SECOND_MS = 1000
HOUR_MS = 3600 * SECOND_MS
DAY_MS = 24 * HOUR_MS
START_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
PATH = "/v1/test_helpers/test_clocks"
SUCCESS = "https://merchant.example/billing/success"


# -- helpers ---------------------------------------------------------------------------------------------
def new_clock(api: httpx.Client, dialect: Dialect, frozen_ms: int = START_MS,
              **params: Any) -> dict[str, Any]:
    resp = api.post(PATH, data={"frozen_time": str(dialect.ts(frozen_ms)), **params})
    assert resp.status_code == 200, resp.text
    return resp.json()


def clock_customer(api: httpx.Client, clock: dict[str, Any]) -> dict[str, Any]:
    resp = api.post("/v1/customers", data={"email": f"c-{uuid.uuid4().hex[:10]}@example.com",
                                           "test_clock": clock["id"]})
    assert resp.status_code == 200, resp.text
    return resp.json()


def advance(api: httpx.Client, clock: dict[str, Any], to_ms: int, dialect: Dialect) -> dict[str, Any]:
    """POST …/advance, then poll (bounded) until the clock is ready; returns the ready clock."""
    resp = api.post(f"{PATH}/{clock['id']}/advance", json={"frozen_time": dialect.ts(to_ms)})
    assert resp.status_code == 200, resp.text
    advancing = resp.json()
    assert advancing["status"] == "advancing", advancing
    assert advancing["status_details"] == {"advancing": {"target_frozen_time": dialect.ts(to_ms)}}
    return wait_until(lambda: (c := api.get(f"{PATH}/{clock['id']}").json())["status"] == "ready" and c,
                      timeout=30)  # type: ignore[no-any-return]


def uncaptured(api: httpx.Client, customer_id: str) -> dict[str, Any]:
    resp = pay(api, "4242424242424242", capture_method="manual", customer=customer_id)
    assert resp.status_code == 200, resp.text
    intent = resp.json()
    assert intent["status"] == "requires_capture", intent
    return intent


def events_of(api: httpx.Client, object_id: str, pattern: str) -> list[dict[str, Any]]:
    """The events about one object whose type matches `pattern` (`charge.*`), oldest first."""
    resp = api.get("/v1/events", params={"type": pattern, "limit": 100})
    assert resp.status_code == 200, resp.text
    return [e for e in reversed(resp.json()["data"]) if e["data"]["object"].get("id") == object_id]


def types_of(api: httpx.Client, object_id: str, pattern: str) -> list[str]:
    return [e["type"] for e in events_of(api, object_id, pattern)]


def with_charge(api: httpx.Client, intent_id: str) -> dict[str, Any]:
    resp = api.get(f"/v1/payment_intents/{intent_id}", params={"expand[]": "latest_charge"})
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


# -- the object ------------------------------------------------------------------------------------------
def test_create_retrieve_and_list(api: httpx.Client, dialect: Dialect) -> None:
    before = dialect.now()
    clock = new_clock(api, dialect, name="monthly renewals")
    assert clock["id"].startswith("clock_") and clock["object"] == "test_helpers.test_clock"
    assert clock["frozen_time"] == dialect.ts(START_MS)
    assert before - dialect.ts(60_000) <= clock["created"] <= dialect.now() + dialect.ts(60_000)
    assert clock["deletes_after"] - clock["created"] == dialect.ts(7 * DAY_MS)  # as Stripe's
    assert (clock["name"], clock["status"], clock["status_details"], clock["livemode"]) == (
        "monthly renewals", "ready", {}, False)
    assert "deleted" not in clock

    assert api.get(f"{PATH}/{clock['id']}").json() == clock
    other = new_clock(api, dialect)
    listed = api.get(PATH, params={"limit": 2}).json()
    assert listed["object"] == "list" and listed["url"] == PATH
    assert [c["id"] for c in listed["data"]] == [other["id"], clock["id"]], "newest first"
    assert listed["data"][1] == clock
    after = api.get(PATH, params={"limit": 1, "starting_after": other["id"]}).json()
    assert [c["id"] for c in after["data"]] == [clock["id"]]
    assert types_of(api, clock["id"], "test_helpers.test_clock.*") == ["test_helpers.test_clock.created"]
    created = events_of(api, clock["id"], "test_helpers.test_clock.created")[0]
    assert created["data"]["object"] == clock, "the event's object is written in the dialect too"


def test_frozen_time_is_required_and_checked(api: httpx.Client, dialect: Dialect) -> None:
    assert_error(api.post(PATH, data={"name": "no time"}), 400, "parameter_missing", param="frozen_time")
    assert_error(api.post(PATH, data={"frozen_time": "soon"}), 400, param="frozen_time")
    assert_error(api.post(PATH, data={"frozen_time": "-5"}), 400, param="frozen_time")
    assert_error(api.post(PATH, data={"frozen_time": str(dialect.ts(START_MS)), "colour": "red"}), 400,
                 "parameter_unknown", param="colour")


def test_unknown_clock_is_404_everywhere(api: httpx.Client, dialect: Dialect) -> None:
    missing = "clock_1234567890123456789"
    for resp in (api.get(f"{PATH}/{missing}"),
                 api.post(f"{PATH}/{missing}/advance", data={"frozen_time": str(dialect.ts(START_MS))}),
                 api.delete(f"{PATH}/{missing}")):
        error = assert_error(resp, 404, "resource_missing", param="id")
        assert error["message"] == f"No such test clock: '{missing}'"
    assert_error(api.post("/v1/customers", data={"test_clock": missing}), 404, "resource_missing",
                 param="test_clock")


def test_live_mode_has_no_test_clocks(server: PaykeepServer, dialect: Dialect) -> None:
    with server.client(server.sk_live) as live:
        error = assert_error(live.post(PATH, data={"frozen_time": str(dialect.ts(START_MS))}), 400)
        assert "test mode" in error["message"]


# -- customers on a clock ----------------------------------------------------------------------------------
def test_a_customer_on_a_clock_is_made_at_its_time(api: httpx.Client, dialect: Dialect) -> None:
    clock = new_clock(api, dialect)
    customer = clock_customer(api, clock)
    assert customer["test_clock"] == clock["id"]
    assert customer["created"] == dialect.ts(START_MS)
    plain = api.post("/v1/customers").json()
    assert plain["test_clock"] is None

    expanded = api.get(f"/v1/customers/{customer['id']}", params={"expand[]": "test_clock"}).json()
    assert expanded["test_clock"] == api.get(f"{PATH}/{clock['id']}").json()
    # As Stripe's: the list leaves out customers on clocks, unless it asks for one clock's.
    everyone = [c["id"] for c in api.get("/v1/customers", params={"limit": 100}).json()["data"]]
    assert plain["id"] in everyone and customer["id"] not in everyone
    on_clock = api.get("/v1/customers", params={"test_clock": clock["id"]}).json()["data"]
    assert [c["id"] for c in on_clock] == [customer["id"]]
    # A customer's clock is given when it is made, never changed.
    assert_error(api.post(f"/v1/customers/{customer['id']}", data={"test_clock": ""}), 400,
                 "parameter_unknown", param="test_clock")


def test_creating_a_clock_for_an_existing_customer(api: httpx.Client, dialect: Dialect) -> None:
    customer = api.post("/v1/customers").json()
    clock = new_clock(api, dialect, customer=customer["id"])
    moved = api.get(f"/v1/customers/{customer['id']}").json()
    assert moved["test_clock"] == clock["id"] and moved["created"] == customer["created"]
    updated = events_of(api, customer["id"], "customer.updated")
    assert updated[-1]["data"]["previous_attributes"] == {"test_clock": None}
    error = assert_error(api.post(PATH, data={"frozen_time": str(dialect.ts(START_MS)),
                                              "customer": customer["id"]}), 400, param="customer")
    assert clock["id"] in error["message"]


# -- the effects of advancing ------------------------------------------------------------------------
def test_an_uncaptured_payment_expires_after_7_days_of_clock_time(api: httpx.Client,
                                                                  dialect: Dialect) -> None:
    clock = new_clock(api, dialect)
    customer = clock_customer(api, clock)
    intent = uncaptured(api, customer["id"])
    assert intent["created"] == dialect.ts(START_MS)
    charge = with_charge(api, intent["id"])["latest_charge"]
    assert charge["created"] == dialect.ts(START_MS)
    deadline = START_MS + 7 * DAY_MS
    assert charge["payment_method_details"]["card"]["capture_before"] == dialect.ts(deadline)
    real_time = uncaptured(api, api.post("/v1/customers").json()["id"])  # a customer on no clock

    first = advance(api, clock, deadline - SECOND_MS, dialect)  # one second early: still capturable
    assert first["frozen_time"] == dialect.ts(deadline - SECOND_MS) and first["status_details"] == {}
    assert api.get(f"/v1/payment_intents/{intent['id']}").json()["status"] == "requires_capture"

    second = advance(api, clock, deadline + HOUR_MS, dialect)  # advancing twice: now past the 7 days
    assert second["frozen_time"] == dialect.ts(deadline + HOUR_MS)
    expired = with_charge(api, intent["id"])
    assert (expired["status"], expired["cancellation_reason"]) == ("canceled", "automatic")
    assert expired["canceled_at"] == dialect.ts(deadline), "canceled at the clock's time it fell due"
    assert expired["amount_capturable"] == 0
    released = expired["latest_charge"]
    assert released["refunded"] is True and released["captured"] is False
    assert types_of(api, intent["id"], "payment_intent.*")[-1] == "payment_intent.canceled"
    [charge_expired] = events_of(api, charge["id"], "charge.expired")
    assert charge_expired["data"]["object"]["refunded"] is True
    assert charge_expired["request"]["id"] is None, "made by the advance, not by a request"
    assert types_of(api, clock["id"], "test_helpers.test_clock.*") == [
        "test_helpers.test_clock.created",
        "test_helpers.test_clock.advancing", "test_helpers.test_clock.ready",
        "test_helpers.test_clock.advancing", "test_helpers.test_clock.ready"]
    ready = events_of(api, clock["id"], "test_helpers.test_clock.ready")[-1]["data"]["object"]
    assert ready["status"] == "ready" and ready["frozen_time"] == dialect.ts(deadline + HOUR_MS)

    assert api.get(f"/v1/payment_intents/{real_time['id']}").json()["status"] == "requires_capture", \
        "a payment of a customer on no clock goes by the real time"


def test_a_captured_payment_is_not_touched(api: httpx.Client, dialect: Dialect) -> None:
    clock = new_clock(api, dialect)
    customer = clock_customer(api, clock)
    intent = uncaptured(api, customer["id"])
    captured = api.post(f"/v1/payment_intents/{intent['id']}/capture", json={})
    assert captured.status_code == 200, captured.text
    advance(api, clock, START_MS + 8 * DAY_MS, dialect)
    assert api.get(f"/v1/payment_intents/{intent['id']}").json()["status"] == "succeeded"
    assert types_of(api, intent["latest_charge"], "charge.expired") == []


def test_a_checkout_session_expires_after_24_hours_of_clock_time(api: httpx.Client, dialect: Dialect) -> None:
    clock = new_clock(api, dialect)
    customer = clock_customer(api, clock)
    resp = api.post("/v1/checkout/sessions/setup", json={"success_url": SUCCESS, "customer": customer["id"]})
    assert resp.status_code == 200, resp.text
    session = resp.json()
    assert session["created"] == dialect.ts(START_MS)
    assert session["expires_at"] == dialect.ts(START_MS + DAY_MS)
    assert api.get(f"/v1/setup_intents/{session['setup_intent']}").json()["created"] == dialect.ts(START_MS)
    page = httpx.get(session["url"], timeout=30)
    assert page.status_code == 200, "open on the clock's time, however long ago that is in real time"

    advance(api, clock, START_MS + 23 * HOUR_MS, dialect)
    assert api.get(f"/v1/checkout/sessions/{session['id']}").json()["status"] == "open"
    advance(api, clock, START_MS + DAY_MS + SECOND_MS, dialect)
    expired = api.get(f"/v1/checkout/sessions/{session['id']}").json()
    assert expired["status"] == "expired" and expired["url"] is None
    assert types_of(api, session["id"], "checkout.session.*") == ["checkout.session.expired"]
    setup_intent = api.get(f"/v1/setup_intents/{session['setup_intent']}").json()
    assert (setup_intent["status"], setup_intent["cancellation_reason"]) == ("canceled", "abandoned")
    assert httpx.get(session["url"], timeout=30).status_code == 410


def test_effects_follow_the_order_of_their_due_times(api: httpx.Client, dialect: Dialect) -> None:
    clock = new_clock(api, dialect)
    customer = clock_customer(api, clock)
    session = api.post("/v1/checkout/sessions/setup",
                       json={"success_url": SUCCESS, "customer": customer["id"]}).json()  # due after 1 day
    intent = uncaptured(api, customer["id"])  # due after 7 days
    advance(api, clock, START_MS + 10 * DAY_MS, dialect)
    [expired] = events_of(api, session["id"], "checkout.session.expired")
    [canceled] = events_of(api, intent["id"], "payment_intent.canceled")
    assert expired["id"] < canceled["id"], "event ids grow with time: the session's 24 hours came first"
    assert api.get(f"/v1/payment_intents/{intent['id']}").json()["canceled_at"] == dialect.ts(
        START_MS + 7 * DAY_MS)


# -- refusals ------------------------------------------------------------------------------------------------
def test_advancing_backwards_or_too_far_is_refused(api: httpx.Client, dialect: Dialect) -> None:
    clock = new_clock(api, dialect)
    for to_ms in (START_MS - DAY_MS, START_MS):
        error = assert_error(api.post(f"{PATH}/{clock['id']}/advance",
                                      data={"frozen_time": str(dialect.ts(to_ms))}), 400, param="frozen_time")
        assert "only moves forward" in error["message"] and "2020-01-01T00:00:00Z" in error["message"]
    error = assert_error(api.post(f"{PATH}/{clock['id']}/advance",
                                  data={"frozen_time": str(dialect.ts(START_MS + 800 * DAY_MS))}), 400,
                         param="frozen_time")
    assert "two years" in error["message"]
    error = assert_error(api.post(f"{PATH}/{clock['id']}/advance", data={"frozen_time": str(10**15)}), 400,
                         param="frozen_time")  # past the year 9999 in either unit
    assert "between 1970 and 9999" in error["message"]
    assert_error(api.post(f"{PATH}/{clock['id']}/advance", data={}), 400, "parameter_missing",
                 param="frozen_time")
    unchanged = api.get(f"{PATH}/{clock['id']}").json()
    assert (unchanged["status"], unchanged["frozen_time"]) == ("ready", dialect.ts(START_MS))
    assert types_of(api, clock["id"], "test_helpers.test_clock.*") == ["test_helpers.test_clock.created"]


# -- deleting ------------------------------------------------------------------------------------------------
def test_deleting_a_clock_deletes_its_customers(api: httpx.Client, dialect: Dialect) -> None:
    clock = new_clock(api, dialect)
    customer = clock_customer(api, clock)
    pm = api.post("/v1/payment_methods", json={"type": "card", "card": card("4242424242424242")}).json()
    attached = api.post(f"/v1/payment_methods/{pm['id']}/attach", json={"customer": customer["id"]})
    assert attached.status_code == 200, attached.text
    intent = uncaptured(api, customer["id"])
    session = api.post("/v1/checkout/sessions/setup",
                       json={"success_url": SUCCESS, "customer": customer["id"]}).json()
    bystander = api.post("/v1/customers").json()

    resp = api.delete(f"{PATH}/{clock['id']}")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"id": clock["id"], "object": "test_helpers.test_clock", "deleted": True}

    assert_error(api.get(f"{PATH}/{clock['id']}"), 404, "resource_missing")
    assert_error(api.delete(f"{PATH}/{clock['id']}"), 404, "resource_missing")
    assert_error(api.post(f"{PATH}/{clock['id']}/advance",
                          data={"frozen_time": str(dialect.ts(START_MS + DAY_MS))}), 404, "resource_missing")
    assert clock["id"] not in [c["id"] for c in api.get(PATH, params={"limit": 100}).json()["data"]]
    assert_error(api.post("/v1/customers", data={"test_clock": clock["id"]}), 404, param="test_clock")

    assert api.get(f"/v1/customers/{customer['id']}").json() == {
        "id": customer["id"], "object": "customer", "deleted": True}
    assert api.get(f"/v1/payment_methods/{pm['id']}").json()["customer"] is None
    canceled = with_charge(api, intent["id"])
    assert (canceled["status"], canceled["cancellation_reason"]) == ("canceled", "abandoned")
    assert canceled["latest_charge"]["refunded"] is True
    assert api.get(f"/v1/checkout/sessions/{session['id']}").json()["status"] == "expired"
    assert "deleted" not in api.get(f"/v1/customers/{bystander['id']}").json(), "a customer on no clock"

    assert types_of(api, customer["id"], "customer.deleted") == ["customer.deleted"]
    [deleted] = events_of(api, clock["id"], "test_helpers.test_clock.deleted")
    assert deleted["data"]["object"]["id"] == clock["id"]
    assert deleted["data"]["object"]["frozen_time"] == dialect.ts(START_MS)


@pytest.mark.parametrize("path", [PATH, f"{PATH}/clock_1234567890123456789"])
def test_a_publishable_key_cannot_use_test_clocks(server: PaykeepServer, path: str) -> None:
    with server.client(server.pk) as public:
        assert_error(public.get(path), 403)
