"""Checkout Sessions (setup mode) over real HTTP: create on both paths, every field, every refusal, retrieve,
list and pagination, expire, livemode separation (API.md §6)."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import httpx
import pytest

from support.assertions import assert_error, without
from support.dialects import Dialect
from support.server import PaykeepServer

DAY_MS = 24 * 3600 * 1000
SUCCESS = "https://merchant.example/billing/success?session={CHECKOUT_SESSION_ID}"
CANCEL = "https://merchant.example/billing/cancel"
# The session's id after `cs_` (19 digits; in the Stripe dialect, and 5 base-62 characters) in the link's path
HOSTED = re.compile(
    r"^(http://127\.0\.0\.1:\d+)/checkout/setup/cs_(test|live)_(\d{19}(?:[0-9A-Za-z]{5})?)\?key=([0-9a-f]{40})$")


def create(api: httpx.Client, path: str = "/v1/checkout/sessions/setup", **params: Any) -> dict[str, Any]:
    body = {"success_url": SUCCESS, "cancel_url": CANCEL, **params}
    resp = api.post(path, json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def events_for(api: httpx.Client, event_type: str, object_id: str) -> list[dict[str, Any]]:
    resp = api.get("/v1/events", params={"type": event_type, "limit": 100})
    assert resp.status_code == 200, resp.text
    return [e for e in resp.json()["data"] if e["data"]["object"].get("id") == object_id]


def listed(client: httpx.Client) -> list[dict[str, Any]]:
    return client.get("/v1/checkout/sessions", params={"limit": 100}).json()["data"]  # type: ignore[no-any-return]


def new_customer(api: httpx.Client, **params: Any) -> dict[str, Any]:
    resp = api.post("/v1/customers", json={"email": f"c-{uuid.uuid4().hex[:10]}@example.com", **params})
    assert resp.status_code == 200, resp.text
    return resp.json()


# -- create --------------------------------------------------------------------------------------------------
def test_create_on_the_seed_path_renders_every_field(api: httpx.Client, server: PaykeepServer,
                                                     dialect: Dialect) -> None:
    before = int(time.time() * 1000)
    resp = api.post("/v1/checkout/sessions/setup", data={
        "success_url": SUCCESS, "cancel_url": CANCEL, "payment_method_types[]": "card",
        "metadata[order_id]": "order123", "metadata[merchant_user_id]": "123",
        "client_reference_id": "user-42", "customer_email": "new-buyer@example.com",
    })
    after = int(time.time() * 1000)
    assert resp.status_code == 200, resp.text
    assert resp.headers["request-id"].startswith("req_")
    cs = resp.json()
    assert re.fullmatch(dialect.id_re("cs"), cs["id"])
    assert cs["object"] == "checkout.session"
    assert cs["mode"] == "setup" and cs["status"] == "open" and cs["payment_status"] == "no_payment_required"
    assert dialect.ts(before - 1000) <= cs["created"] <= dialect.ts(after + 1000), "the dialect's unit"
    assert cs["expires_at"] - cs["created"] == dialect.ts(DAY_MS)
    assert cs["livemode"] is False
    if dialect.is_stripe:
        assert "live_mode" not in cs  # WooshPay's spelling only
    else:
        assert cs["live_mode"] is False
    assert cs["success_url"] == SUCCESS and cs["cancel_url"] == CANCEL
    assert cs["metadata"] == {"order_id": "order123", "merchant_user_id": "123"}
    assert cs["client_reference_id"] == "user-42"
    assert cs["customer_email"] == "new-buyer@example.com"
    assert cs["payment_method_types"] == ["card"]
    assert cs["payment_intent"] is None and cs["ui_mode"] == "hosted"
    match = HOSTED.match(cs["url"])
    assert match, cs["url"]
    assert match.group(1) == server.base_url and match.group(2) == "test"
    assert "cs_" + match.group(3) == cs["id"]
    # The customer was created (customer.created fired) with the given email.
    assert cs["customer_creation"] == "always"
    customer = api.get(f"/v1/customers/{cs['customer']}").json()
    assert customer["email"] == "new-buyer@example.com"
    assert cs["customer_details"]["email"] == "new-buyer@example.com"
    assert len(events_for(api, "customer.created", cs["customer"])) == 1
    # The session owns a SetupIntent from the start; it returns to the hosted page after 3-D Secure.
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "requires_payment_method"
    assert seti["customer"] == cs["customer"] and seti["usage"] == "off_session"
    assert seti["return_url"] == cs["url"]
    assert seti["metadata"] == cs["metadata"], "the session's metadata is copied to its SetupIntent"
    created = events_for(api, "setup_intent.created", cs["setup_intent"])
    assert len(created) == 1 and created[0]["data"]["object"]["customer"] == cs["customer"]
    # The link works.
    page = httpx.get(cs["url"], timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def test_stripe_path_with_mode_setup_and_an_existing_customer(api: httpx.Client) -> None:
    customer = new_customer(api, name="Grace Hopper")
    cs = create(api, "/v1/checkout/sessions", mode="setup", customer=customer["id"])
    assert cs["mode"] == "setup" and cs["customer"] == customer["id"]
    assert cs["customer_creation"] is None and cs["customer_email"] is None
    assert cs["customer_details"]["email"] == customer["email"]
    assert cs["customer_details"]["name"] == "Grace Hopper"
    assert cs["metadata"] == {} and cs["client_reference_id"] is None
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["customer"] == customer["id"]


def test_seed_path_accepts_an_explicit_mode_setup_and_no_cancel_url(api: httpx.Client) -> None:
    resp = api.post("/v1/checkout/sessions/setup", json={"success_url": SUCCESS, "mode": "setup"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["cancel_url"] is None


def test_omitted_customer_is_created_without_email(api: httpx.Client) -> None:
    cs = create(api)
    customer = api.get(f"/v1/customers/{cs['customer']}").json()
    assert customer["object"] == "customer" and customer["email"] is None
    assert cs["customer_creation"] == "always"


def test_expand_customer_and_setup_intent(api: httpx.Client) -> None:
    resp = api.post("/v1/checkout/sessions/setup",
                    data={"success_url": SUCCESS, "expand[]": ["customer", "setup_intent"]})
    assert resp.status_code == 200, resp.text
    cs = resp.json()
    assert cs["customer"]["object"] == "customer"
    assert cs["setup_intent"]["object"] == "setup_intent"
    got = api.get(f"/v1/checkout/sessions/{cs['id']}", params={"expand[]": "setup_intent"}).json()
    assert got["setup_intent"]["id"] == cs["setup_intent"]["id"]


def test_idempotent_create_replays_without_a_second_session(api: httpx.Client) -> None:
    key = uuid.uuid4().hex
    body = {"success_url": SUCCESS, "client_reference_id": key}
    first = api.post("/v1/checkout/sessions/setup", json=body, headers={"Idempotency-Key": key})
    second = api.post("/v1/checkout/sessions/setup", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 200
    assert second.headers.get("idempotent-replayed") == "true"
    assert second.json() == first.json()
    sessions = api.get("/v1/checkout/sessions", params={"limit": 100}).json()["data"]
    assert [s["id"] for s in sessions if s["client_reference_id"] == key] == [first.json()["id"]]


# -- refusals ------------------------------------------------------------------------------------------------
def test_missing_success_url(api: httpx.Client) -> None:
    assert_error(api.post("/v1/checkout/sessions/setup", json={"cancel_url": CANCEL}), 400,
                 "parameter_missing", param="success_url")
    assert_error(api.post("/v1/checkout/sessions", json={"mode": "setup"}), 400, "parameter_missing",
                 param="success_url")


@pytest.mark.parametrize("bad", ["", "not a url", "example.com/success", "/relative/path", "ftp://example.com/x",
                                 "javascript:alert(1)", "https://", "https://exa mple.com/", "http://host:99999/"])
@pytest.mark.parametrize("param", ["success_url", "cancel_url"])
def test_bad_urls_are_refused(api: httpx.Client, param: str, bad: str) -> None:
    body = {"success_url": SUCCESS, "cancel_url": CANCEL, param: bad}
    if param == "cancel_url" and bad == "":
        resp = api.post("/v1/checkout/sessions/setup", json=body)
        assert resp.status_code == 200, "an empty cancel_url means none"
        return
    error = assert_error(api.post("/v1/checkout/sessions/setup", json=body), 400, param=param)
    assert error["code"].startswith("parameter_invalid")


def test_too_long_url_is_refused(api: httpx.Client) -> None:
    body = {"success_url": "https://merchant.example/" + "a" * 5000}
    assert_error(api.post("/v1/checkout/sessions/setup", json=body), 400, "parameter_invalid",
                 param="success_url")


def test_mode_rules(api: httpx.Client) -> None:
    assert_error(api.post("/v1/checkout/sessions", json={"success_url": SUCCESS}), 400, "parameter_missing",
                 param="mode")
    for path in ("/v1/checkout/sessions", "/v1/checkout/sessions/setup"):
        error = assert_error(api.post(path, json={"success_url": SUCCESS, "mode": "subscription"}), 400,
                             "parameter_invalid", param="mode")
        assert "mode=setup" in error["message"] and "subscription" in error["message"]
    # payment mode (tests/api/test_checkout_payment_mode.py): on Stripe's path only, and with line items
    resp = api.post("/v1/checkout/sessions/setup", json={"success_url": SUCCESS, "mode": "payment"})
    error = assert_error(resp, 400, "parameter_invalid", param="mode")
    assert "mode=setup" in error["message"] and "mode=payment" in error["message"]
    assert_error(api.post("/v1/checkout/sessions", json={"success_url": SUCCESS, "mode": "payment"}), 400,
                 "parameter_missing", param="line_items")
    error = assert_error(api.post("/v1/checkout/sessions", json={"success_url": SUCCESS, "mode": "donate"}),
                         400, "parameter_invalid", param="mode")
    assert "payment, setup, subscription" in error["message"]


def test_unknown_and_deleted_customer(api: httpx.Client) -> None:
    assert_error(api.post("/v1/checkout/sessions/setup",
                          json={"success_url": SUCCESS, "customer": "cus_0000000000000000000"}),
                 404, "resource_missing", param="customer")
    customer = new_customer(api)
    assert api.delete(f"/v1/customers/{customer['id']}").status_code == 200
    body = {"success_url": SUCCESS, "customer": customer["id"]}
    assert_error(api.post("/v1/checkout/sessions/setup", json=body), 404, "resource_missing",
                 param="customer")


def test_customer_and_customer_email_together_or_a_bad_email(api: httpx.Client) -> None:
    customer = new_customer(api)
    assert_error(api.post("/v1/checkout/sessions/setup", json={
        "success_url": SUCCESS, "customer": customer["id"], "customer_email": "x@example.com"}),
        400, "parameter_invalid", param="customer_email")
    body = {"success_url": SUCCESS, "customer_email": "nope"}
    assert_error(api.post("/v1/checkout/sessions/setup", json=body), 400, "parameter_invalid",
                 param="customer_email")


def test_payment_method_types_other_than_card(api: httpx.Client) -> None:
    assert_error(api.post("/v1/checkout/sessions/setup",
                          json={"success_url": SUCCESS, "payment_method_types": ["card", "alipay"]}),
                 400, "parameter_invalid", param="payment_method_types[1]")
    body = {"success_url": SUCCESS, "payment_method_types": []}
    assert_error(api.post("/v1/checkout/sessions/setup", json=body), 400, "parameter_invalid_empty",
                 param="payment_method_types")


def test_unknown_parameter_metadata_and_lengths(api: httpx.Client) -> None:
    assert_error(api.post("/v1/checkout/sessions/setup", json={"success_url": SUCCESS, "colour": "red"}),
                 400, "parameter_unknown", param="colour")
    assert_error(api.post("/v1/checkout/sessions/setup", json={"success_url": SUCCESS, "line_items": []}),
                 400, param="line_items")  # payment mode's
    assert_error(api.post("/v1/checkout/sessions/setup",
                          json={"success_url": SUCCESS, "metadata": {"k" * 41: "v"}}), 400, param="metadata")
    assert_error(api.post("/v1/checkout/sessions/setup",
                          json={"success_url": SUCCESS, "client_reference_id": "r" * 201}),
                 400, param="client_reference_id")


def test_refusals_create_nothing(api: httpx.Client) -> None:
    before = api.get("/v1/customers", params={"limit": 100}).json()["data"]
    assert api.post("/v1/checkout/sessions/setup", json={"success_url": "nope"}).status_code == 400
    payment_mode = {"success_url": SUCCESS, "mode": "payment"}
    assert api.post("/v1/checkout/sessions", json=payment_mode).status_code == 400
    after = api.get("/v1/customers", params={"limit": 100}).json()["data"]
    assert [c["id"] for c in after] == [c["id"] for c in before], "no customer for a refused session"


def test_keys(server: PaykeepServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=10) as anonymous:
        assert_error(anonymous.post("/v1/checkout/sessions/setup", json={"success_url": SUCCESS}), 401)
    with server.client(server.pk) as publishable:
        assert_error(publishable.post("/v1/checkout/sessions/setup", json={"success_url": SUCCESS}), 403,
                     "secret_key_required")
        assert_error(publishable.get("/v1/checkout/sessions"), 403, "secret_key_required")


# -- retrieve and list ---------------------------------------------------------------------------------------
def test_retrieve_returns_the_created_object(api: httpx.Client) -> None:
    cs = create(api, metadata={"a": "1"})
    got = api.get(f"/v1/checkout/sessions/{cs['id']}")
    assert got.status_code == 200
    assert got.json() == cs
    assert_error(api.get("/v1/checkout/sessions/cs_0000000000000000000"), 404, "resource_missing", param="id")
    assert_error(api.get("/v1/checkout/sessions/setup"), 404, "resource_missing")


def test_list_pagination_and_filters(api: httpx.Client) -> None:
    customer = new_customer(api)
    made = [create(api, customer=customer["id"], client_reference_id=str(i)) for i in range(5)]
    newest_first = [cs["id"] for cs in reversed(made)]
    page = api.get("/v1/checkout/sessions", params={"customer": customer["id"], "limit": 2}).json()
    assert page["object"] == "list" and page["url"] == "/v1/checkout/sessions"
    assert [cs["id"] for cs in page["data"]] == newest_first[:2] and page["has_more"] is True
    page2 = api.get("/v1/checkout/sessions", params={"customer": customer["id"], "limit": 2,
                                                     "starting_after": newest_first[1]}).json()
    assert [cs["id"] for cs in page2["data"]] == newest_first[2:4] and page2["has_more"] is True
    page3 = api.get("/v1/checkout/sessions", params={"customer": customer["id"], "limit": 2,
                                                     "starting_after": newest_first[3]}).json()
    assert [cs["id"] for cs in page3["data"]] == newest_first[4:] and page3["has_more"] is False
    back = api.get("/v1/checkout/sessions", params={"customer": customer["id"], "limit": 2,
                                                    "ending_before": newest_first[4]}).json()
    assert [cs["id"] for cs in back["data"]] == newest_first[2:4]
    assert page["data"][0] == api.get(f"/v1/checkout/sessions/{newest_first[0]}").json()
    by_intent = api.get("/v1/checkout/sessions", params={"setup_intent": made[2]["setup_intent"]}).json()
    assert [cs["id"] for cs in by_intent["data"]] == [made[2]["id"]]
    assert api.post(f"/v1/checkout/sessions/{made[0]['id']}/expire").status_code == 200
    mine = {"customer": customer["id"]}
    expired = api.get("/v1/checkout/sessions", params={**mine, "status": "expired"}).json()
    assert [cs["id"] for cs in expired["data"]] == [made[0]["id"]]
    still_open = api.get("/v1/checkout/sessions", params={**mine, "status": "open"}).json()
    assert [cs["id"] for cs in still_open["data"]] == newest_first[:4]
    assert_error(api.get("/v1/checkout/sessions", params={"status": "closed"}), 400, param="status")
    assert_error(api.get("/v1/checkout/sessions", params={"limit": 0}), 400, param="limit")
    assert_error(api.get("/v1/checkout/sessions", params={"starting_after": "cs_0000000000000000000"}), 404,
                 "resource_missing", param="starting_after")
    assert_error(api.get("/v1/checkout/sessions", params={"bogus": "1"}), 400, "parameter_unknown",
                 param="bogus")


# -- expire --------------------------------------------------------------------------------------------------
def test_expire_then_expire_again(api: httpx.Client) -> None:
    cs = create(api)
    resp = api.post(f"/v1/checkout/sessions/{cs['id']}/expire")
    assert resp.status_code == 200, resp.text
    expired = resp.json()
    assert expired["status"] == "expired" and expired["url"] is None
    assert without(expired, "status", "url") == without(cs, "status", "url")
    assert api.get(f"/v1/checkout/sessions/{cs['id']}").json() == expired
    events = events_for(api, "checkout.session.expired", cs["id"])
    assert len(events) == 1 and events[0]["data"]["object"] == expired
    assert events[0]["request"]["id"] == resp.headers["request-id"]
    seti = api.get(f"/v1/setup_intents/{cs['setup_intent']}").json()
    assert seti["status"] == "canceled" and seti["cancellation_reason"] == "abandoned"
    assert len(events_for(api, "setup_intent.canceled", cs["setup_intent"])) == 1
    again = assert_error(api.post(f"/v1/checkout/sessions/{cs['id']}/expire"), 400,
                         "checkout_session_unexpected_state")
    assert "expired" in again["message"]
    assert len(events_for(api, "checkout.session.expired", cs["id"])) == 1, "no second event"
    page = httpx.get(cs["url"], timeout=10)
    assert page.status_code == 410 and "has expired" in page.text and "<form" not in page.text


def test_expire_unknown_session_and_unknown_parameter(api: httpx.Client) -> None:
    assert_error(api.post("/v1/checkout/sessions/cs_0000000000000000000/expire"), 404, "resource_missing")
    cs = create(api)
    assert_error(api.post(f"/v1/checkout/sessions/{cs['id']}/expire", json={"now": True}), 400,
                 "parameter_unknown", param="now")
    assert api.get(f"/v1/checkout/sessions/{cs['id']}").json()["status"] == "open"


# -- modes ---------------------------------------------------------------------------------------------------
def test_livemode_separation(api: httpx.Client, server: PaykeepServer, dialect: Dialect) -> None:
    with server.client(server.sk_live) as live:
        live_cs = create(live)
        assert live_cs["livemode"] is True
        assert live_cs.get("live_mode", "absent") == ("absent" if dialect.is_stripe else True)
        match = HOSTED.match(live_cs["url"])
        assert match and match.group(2) == "live"
        assert live.get(f"/v1/customers/{live_cs['customer']}").json()["livemode"] is True
        assert live.get(f"/v1/setup_intents/{live_cs['setup_intent']}").json()["livemode"] is True
        test_cs = create(api)
        assert_error(api.get(f"/v1/checkout/sessions/{live_cs['id']}"), 404, "resource_missing")
        assert_error(live.get(f"/v1/checkout/sessions/{test_cs['id']}"), 404, "resource_missing")
        assert_error(api.post(f"/v1/checkout/sessions/{live_cs['id']}/expire"), 404, "resource_missing")
        live_ids = {cs["id"] for cs in listed(live)}
        test_ids = {cs["id"] for cs in listed(api)}
        assert live_cs["id"] in live_ids and live_cs["id"] not in test_ids
        assert test_cs["id"] in test_ids and test_cs["id"] not in live_ids
        assert_error(live.post("/v1/checkout/sessions/setup",
                               json={"success_url": SUCCESS, "customer": test_cs["customer"]}), 404,
                     "resource_missing", param="customer")
    # The hosted link names the mode: the live session's id under cs_test_ is not found.
    wrong_mode = live_cs["url"].replace("/cs_live_", "/cs_test_")
    assert httpx.get(wrong_mode, timeout=10).status_code == 404
    assert httpx.get(live_cs["url"], timeout=10).status_code == 200
