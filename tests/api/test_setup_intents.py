"""SetupIntents over HTTP: every test card of API.md §4.1 (JSON and form bodies), the seed's request, the
challenge, publishable-key retrieval, cancel, update and the transition rules; in each dialect (the
challenge's `next_action`, `request_three_d_secure`'s default, and a challenge without return_url: 400 in
WooshPay's, `use_stripe_sdk` in Stripe's, docs/dialects.md)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from support.assertions import assert_error
from support.cards import RETURN_URL, TABLE, Row, card, post, seed_request
from support.dialects import Dialect

ENCODINGS = ("json", "form")


def customer(api: httpx.Client) -> str:
    resp = api.post("/v1/customers", data={"email": "saver@example.com"})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["id"])


def seti_body(customer_id: str | None, card_values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"confirm": True, "payment_method_types": ["card"],
                            "payment_method_data": {"type": "card", "card": card_values},
                            "usage": "on_session", "return_url": RETURN_URL, **extra}
    if customer_id:
        body["customer"] = customer_id
    return body


def answer(url: str, outcome: str) -> httpx.Response:
    return httpx.post(url, data={"outcome": outcome}, follow_redirects=False, timeout=30)


def event_types(api: httpx.Client, object_id: str, prefix: str = "setup_intent.") -> list[str]:
    resp = api.get("/v1/events", params={"type": prefix + "*", "limit": 100})
    assert resp.status_code == 200, resp.text
    return [e["type"] for e in reversed(resp.json()["data"]) if e["data"]["object"]["id"] == object_id]


# -- API.md §4.1, row by row ---------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("row", TABLE, ids=[r.label for r in TABLE])
def test_test_card_table(api: httpx.Client, server: Any, dialect: Dialect, row: Row, encoding: str) -> None:
    cus = customer(api)
    resp = post(api, "/v1/setup_intents", seti_body(cus, row.card), encoding)
    assert resp.status_code == row.http, resp.text
    if row.http == 402:
        error = assert_error(resp, 402, row.code, param=row.param, type_="card_error")
        assert error.get("decline_code") == row.decline_code
        seti = error["setup_intent"]
        stored = api.get(f"/v1/setup_intents/{seti['id']}").json()
        assert stored["status"] == seti["status"] == "requires_payment_method"
        assert stored["payment_method"] is None
        for field in ("type", "code", "decline_code", "param", "message"):
            assert stored["last_setup_error"].get(field) == error.get(field), field
        return
    seti = resp.json()
    assert seti["status"] == row.status
    assert seti["last_setup_error"] is None
    assert seti["payment_method"].startswith("pm_")
    attached = api.get(f"/v1/customers/{cus}/payment_methods").json()["data"]
    if row.challenge:
        assert seti["next_action"]["type"] == dialect.next_action_type
        redirect = seti["next_action"][dialect.next_action_type]
        assert redirect["url"].startswith(server.base_url + "/3ds/")
        assert redirect["return_url"] == RETURN_URL
        assert attached == []  # saved only once the challenge is passed
    else:
        assert seti["next_action"] is None
        assert [pm["id"] for pm in attached] == [seti["payment_method"]]
        assert attached[0]["card"]["last4"] == row.card["number"][-4:]


# -- the seed's request --------------------------------------------------------------------------------------
SEED_OUTCOMES = [("4761344136141390", 200, "succeeded"), ("4462030000000000", 200, "requires_action"),
                 ("4000000000000002", 402, "requires_payment_method")]


@pytest.mark.parametrize(("number", "http", "status"), SEED_OUTCOMES)
def test_seed_request_verbatim(api: httpx.Client, server: Any, dialect: Dialect, number: str, http: int,
                               status: str) -> None:
    cus = customer(api)
    resp = api.post("/v1/setup_intents", content=seed_request(cus, number),
                    headers={"Content-Type": "application/json"})
    assert resp.status_code == http, resp.text
    seti = resp.json()["error"]["setup_intent"] if http == 402 else resp.json()
    assert seti["status"] == status
    assert seti["object"] == "setup_intent" and seti["customer"] == cus
    assert re.fullmatch(dialect.id_re("seti"), seti["id"]), seti["id"]
    assert abs(seti["created"] - dialect.now()) <= dialect.ts(60_000)
    assert seti["client_secret"].startswith(seti["id"] + "_secret_")
    assert seti["usage"] == "on_session"
    assert seti["payment_method_options"]["card"]["request_three_d_secure"] == \
        dialect.request_three_d_secure_default
    if status == "requires_action":
        assert seti["next_action"][dialect.next_action_type]["return_url"] == "https://yourwebsite.com"
        assert dialect.challenge_url(seti).startswith(server.base_url + "/3ds/")
    if status == "succeeded":
        pm = api.get(f"/v1/payment_methods/{seti['payment_method']}").json()
        assert pm["customer"] == cus and pm["billing_details"]["name"] == "XX XXX"
        assert pm["card"]["exp_month"] == 4 and pm["card"]["brand"] == "visa"


@pytest.mark.parametrize(("number", "http", "status"), SEED_OUTCOMES)
def test_seed_request_form_encoded(api: httpx.Client, number: str, http: int, status: str) -> None:
    import json

    cus = customer(api)
    resp = post(api, "/v1/setup_intents", json.loads(seed_request(cus, number)), "form")
    assert resp.status_code == http, resp.text
    seti = resp.json()["error"]["setup_intent"] if http == 402 else resp.json()
    assert seti["status"] == status


# -- the challenge -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("number", "outcome", "status", "redirect_status", "code"), [
    ("4462030000000000", "complete", "succeeded", "succeeded", None),
    ("4000002500003155", "fail", "requires_payment_method", "failed", "setup_intent_authentication_failure"),
    ("4000008260003178", "complete", "requires_payment_method", "failed", "card_declined"),
])
def test_challenge_answer(api: httpx.Client, dialect: Dialect, number: str, outcome: str, status: str,
                          redirect_status: str, code: str | None) -> None:
    cus = customer(api)
    seti = post(api, "/v1/setup_intents", seti_body(cus, card(number))).json()
    url = dialect.challenge_url(seti)
    page = httpx.get(url)
    assert page.status_code == 200 and f"•••• {number[-4:]}" in page.text
    resp = answer(url, outcome)
    assert resp.status_code == 303
    location = urlsplit(resp.headers["location"])
    assert location.netloc == "shop.example" and location.path == "/saved"
    query = parse_qs(location.query)
    assert query == {"from": ["test"], "setup_intent": [seti["id"]], "redirect_status": [redirect_status],
                     "setup_intent_client_secret": [seti["client_secret"]]}
    after = api.get(f"/v1/setup_intents/{seti['id']}").json()
    assert after["status"] == status and after["next_action"] is None
    attached = [pm["id"] for pm in api.get(f"/v1/customers/{cus}/payment_methods").json()["data"]]
    if status == "succeeded":
        assert after["payment_method"] == seti["payment_method"] and attached == [seti["payment_method"]]
        assert event_types(api, seti["id"]) == ["setup_intent.created", "setup_intent.requires_action",
                                                "setup_intent.succeeded"]
    else:
        assert after["last_setup_error"]["code"] == code and attached == []
        assert event_types(api, seti["id"])[-1] == "setup_intent.setup_failed"
    if number == "4000008260003178":
        assert after["last_setup_error"]["decline_code"] == "insufficient_funds"
    again = answer(url, "complete")
    assert again.status_code == 409 and "text/html" in again.headers["content-type"]
    assert api.get(f"/v1/setup_intents/{seti['id']}").json() == after


def test_challenge_page_is_protected(api: httpx.Client, dialect: Dialect) -> None:
    seti = post(api, "/v1/setup_intents", seti_body(customer(api), card("4000002760003184"))).json()
    page = httpx.get(dialect.challenge_url(seti))
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert "<script" not in page.text and "http" not in page.text.split("<body>")[1]
    assert '<form method="post">' in page.text
    assert '<button name="outcome" value="complete"' in page.text
    assert '<button name="outcome" value="fail"' in page.text
    assert "paykeep test merchant" in page.text


def test_unknown_or_malformed_challenge_is_a_404_page(server: Any) -> None:
    for token in ("tds_0000000000000000000_secret_" + "A" * 32, "nope", "x" * 500):
        for resp in (httpx.get(f"{server.base_url}/3ds/{token}"), answer(f"{server.base_url}/3ds/{token}",
                                                                          "complete")):
            assert resp.status_code == 404 and "text/html" in resp.headers["content-type"]


def test_a_bad_outcome_changes_nothing(api: httpx.Client, dialect: Dialect) -> None:
    seti = post(api, "/v1/setup_intents", seti_body(customer(api), card("4462030000000000"))).json()
    url = dialect.challenge_url(seti)
    assert answer(url, "maybe").status_code == 400
    assert api.get(f"/v1/setup_intents/{seti['id']}").json()["status"] == "requires_action"
    assert answer(url, "complete").status_code == 303


def _waits_for_stripe_sdk(resp: httpx.Response, server: Any) -> tuple[dict[str, Any], str]:
    """A Stripe-dialect confirm needing 3-D Secure without a return_url: 200, requires_action, the challenge
    handed to a client library as `use_stripe_sdk` (docs/dialects.md); returns the intent and the page URL."""
    assert resp.status_code == 200, resp.text
    seti = resp.json()
    assert seti["status"] == "requires_action", seti
    stripe_js = seti["next_action"]["use_stripe_sdk"]["stripe_js"]
    assert seti["next_action"] == {"type": "use_stripe_sdk", "use_stripe_sdk": {
        "type": "three_d_secure_redirect", "stripe_js": stripe_js}}
    assert stripe_js.startswith(server.base_url + "/3ds/")
    return seti, stripe_js


def _answered_without_return_url(url: str, outcome: str) -> None:
    """No return_url to go back to: the page answers 200 with its final page."""
    done = answer(url, outcome)
    assert done.status_code == 200 and "text/html" in done.headers["content-type"], done.text
    assert f'<h1 id="done" data-outcome="{outcome}">' in done.text


def test_return_url_required_when_the_card_needs_a_challenge(api: httpx.Client, server: Any,
                                                             dialect: Dialect) -> None:
    """WooshPay's dialect: no challenge without a return_url (400). Stripe's: the challenge is for a client
    library (`use_stripe_sdk`), answered on a page that ends there; the intent is then read again."""
    cus = customer(api)
    body = seti_body(cus, card("4462030000000000"))
    del body["return_url"]
    made = post(api, "/v1/setup_intents", body)
    if dialect.is_stripe:
        seti, stripe_js = _waits_for_stripe_sdk(made, server)
        assert [s["id"] for s in api.get("/v1/setup_intents", params={"customer": cus}).json()["data"]] == [
            seti["id"]]
        assert api.get(f"/v1/customers/{cus}/payment_methods").json()["data"] == []  # not before the answer
        _answered_without_return_url(stripe_js, "complete")
        after = api.get(f"/v1/setup_intents/{seti['id']}").json()
        assert after["status"] == "succeeded" and after["next_action"] is None
        attached = api.get(f"/v1/customers/{cus}/payment_methods").json()["data"]
        assert [pm["id"] for pm in attached] == [seti["payment_method"]] == [after["payment_method"]]
        assert answer(stripe_js, "complete").status_code == 409  # answered once
    else:
        assert_error(made, 400, "parameter_missing", param="return_url")
        assert api.get("/v1/setup_intents", params={"customer": cus}).json()["data"] == []
    # not needed for a frictionless card
    frictionless = seti_body(cus, card("4242424242424242"))
    del frictionless["return_url"]
    assert post(api, "/v1/setup_intents", frictionless).json()["status"] == "succeeded"
    # confirming an existing intent: refused, the intent is unchanged (WooshPay); use_stripe_sdk (Stripe)
    seti = api.post("/v1/setup_intents", data={"customer": cus}).json()
    resp = post(api, f"/v1/setup_intents/{seti['id']}/confirm",
                {"payment_method_data": {"type": "card", "card": card("4000002500003155")}})
    if dialect.is_stripe:
        confirmed, stripe_js = _waits_for_stripe_sdk(resp, server)
        assert confirmed["id"] == seti["id"]
        _answered_without_return_url(stripe_js, "fail")
        after = api.get(f"/v1/setup_intents/{seti['id']}").json()
        assert after["status"] == "requires_payment_method" and after["next_action"] is None
        assert after["last_setup_error"]["code"] == "setup_intent_authentication_failure"
    else:
        assert_error(resp, 400, "parameter_missing", param="return_url")
        assert api.get(f"/v1/setup_intents/{seti['id']}").json()["status"] == "requires_payment_method"


def test_request_three_d_secure_any_challenges_a_frictionless_card(api: httpx.Client) -> None:
    body = seti_body(customer(api), card("4242424242424242"),
                     payment_method_options={"card": {"request_three_d_secure": "any"}})
    seti = post(api, "/v1/setup_intents", body, "form").json()
    assert seti["status"] == "requires_action"
    assert seti["payment_method_options"]["card"]["request_three_d_secure"] == "any"


# -- create without confirm, confirm, update, cancel ---------------------------------------------------------
def test_create_then_confirm_with_a_saved_payment_method(api: httpx.Client) -> None:
    cus = customer(api)
    seti = api.post("/v1/setup_intents", data={"customer": cus, "metadata[order]": "42"}).json()
    assert seti["status"] == "requires_payment_method" and seti["usage"] == "off_session"
    assert seti["metadata"] == {"order": "42"} and seti["payment_method"] is None
    pm = api.post("/v1/payment_methods", data={"type": "card", **{f"card[{k}]": v for k, v in card(
        "4242424242424242", name=None).items()}}).json()
    updated = api.post(f"/v1/setup_intents/{seti['id']}", data={"payment_method": pm["id"]}).json()
    assert updated["status"] == "requires_confirmation" and updated["payment_method"] == pm["id"]
    confirmed = api.post(f"/v1/setup_intents/{seti['id']}/confirm", params={"expand[]": "payment_method"})
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["status"] == "succeeded" and body["payment_method"]["customer"] == cus
    assert event_types(api, pm["id"], "payment_method.") == ["payment_method.attached"]


def test_confirm_without_a_payment_method_is_refused(api: httpx.Client) -> None:
    seti = api.post("/v1/setup_intents", data={}).json()
    assert_error(api.post(f"/v1/setup_intents/{seti['id']}/confirm"), 400, "parameter_missing",
                 param="payment_method")


def test_cancel(api: httpx.Client) -> None:
    seti = api.post("/v1/setup_intents", data={"customer": customer(api)}).json()
    canceled = api.post(f"/v1/setup_intents/{seti['id']}/cancel",
                        data={"cancellation_reason": "requested_by_customer"}).json()
    assert canceled["status"] == "canceled" and canceled["cancellation_reason"] == "requested_by_customer"
    assert event_types(api, seti["id"]) == ["setup_intent.created", "setup_intent.canceled"]
    assert_error(api.post(f"/v1/setup_intents/{seti['id']}/cancel"), 400, "setup_intent_unexpected_state")
    newest_pm = api.get("/v1/payment_methods", params={"limit": 1}).json()["data"]
    resp = post(api, f"/v1/setup_intents/{seti['id']}/confirm",
                {"payment_method_data": {"type": "card", "card": card("4242424242424242")}})
    assert_error(resp, 400, "setup_intent_unexpected_state")
    assert api.get("/v1/payment_methods", params={"limit": 1}).json()["data"] == newest_pm  # none created


def test_a_canceled_challenge_can_no_longer_be_answered(api: httpx.Client, dialect: Dialect) -> None:
    seti = post(api, "/v1/setup_intents", seti_body(customer(api), card("4462030000000000"))).json()
    api.post(f"/v1/setup_intents/{seti['id']}/cancel")
    resp = answer(dialect.challenge_url(seti), "complete")
    assert resp.status_code == 409
    assert api.get(f"/v1/setup_intents/{seti['id']}").json()["status"] == "canceled"


def test_illegal_transitions_are_400s(api: httpx.Client) -> None:
    seti = post(api, "/v1/setup_intents", seti_body(customer(api), card("4242424242424242"))).json()
    assert seti["status"] == "succeeded"
    error = assert_error(api.post(f"/v1/setup_intents/{seti['id']}/confirm"), 400,
                         "setup_intent_unexpected_state")
    assert "succeeded" in error["message"]
    assert_error(api.post(f"/v1/setup_intents/{seti['id']}/cancel"), 400, "setup_intent_unexpected_state")
    assert_error(api.post(f"/v1/setup_intents/{seti['id']}", data={"payment_method_options[card]"
                                                                   "[request_three_d_secure]": "any"}),
                 400, "setup_intent_unexpected_state")
    # metadata and description may change at any time
    ok = api.post(f"/v1/setup_intents/{seti['id']}", data={"metadata[a]": "1", "description": "kept"}).json()
    assert ok["metadata"] == {"a": "1"} and ok["description"] == "kept" and ok["status"] == "succeeded"


def test_a_declined_attempt_can_be_retried_with_another_card(api: httpx.Client) -> None:
    cus = customer(api)
    declined = post(api, "/v1/setup_intents", seti_body(cus, card("4000000000009995")))
    seti = declined.json()["error"]["setup_intent"]
    retry = post(api, f"/v1/setup_intents/{seti['id']}/confirm",
                 {"payment_method_data": {"type": "card", "card": card("5555555555554444")}}, "form")
    assert retry.status_code == 200 and retry.json()["status"] == "succeeded"
    assert retry.json()["last_setup_error"] is None
    assert event_types(api, seti["id"]) == ["setup_intent.created", "setup_intent.setup_failed",
                                            "setup_intent.succeeded"]


def test_payment_method_of_another_customer_is_refused(api: httpx.Client) -> None:
    owner, other = customer(api), customer(api)
    pm = post(api, "/v1/setup_intents", seti_body(owner, card("4242424242424242"))).json()["payment_method"]
    resp = api.post("/v1/setup_intents", data={"confirm": "true", "customer": other, "payment_method": pm})
    assert_error(resp, 400, param="payment_method")
    assert_error(api.post("/v1/setup_intents", data={"payment_method": "pm_0000000000000000000"}), 404,
                 "resource_missing", param="payment_method")


def test_unknown_customer_and_parameters(api: httpx.Client) -> None:
    assert_error(api.post("/v1/setup_intents", data={"customer": "cus_0000000000000000000"}), 404,
                 "resource_missing", param="customer")
    assert_error(api.post("/v1/setup_intents", data={"usage": "sometimes"}), 400, param="usage")
    assert_error(api.post("/v1/setup_intents", data={"confirm": "true", "return_url": "javascript:alert(1)"}),
                 400, param="return_url")
    assert_error(post(api, "/v1/setup_intents", {"payment_method_data": {"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 4, "exp_year": 2030, "pin": "1234"}}}), 400,
        "parameter_unknown", param="payment_method_data[card][pin]")


# -- retrieve, list ------------------------------------------------------------------------------------------
def test_retrieve_with_a_publishable_key_and_the_client_secret(api: httpx.Client, server: Any) -> None:
    seti = api.post("/v1/setup_intents", data={"customer": customer(api), "metadata[secret]": "x"}).json()
    with server.client(server.pk) as public:
        resp = public.get(f"/v1/setup_intents/{seti['id']}", params={"client_secret": seti["client_secret"]})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["id"] == seti["id"] and body["status"] == "requires_payment_method"
        assert "metadata" not in body and "customer" not in body
        assert body["client_secret"] == seti["client_secret"]
        assert_error(public.get(f"/v1/setup_intents/{seti['id']}"), 403, "secret_key_required")
        wrong = {"client_secret": seti["id"] + "_secret_x"}
        assert_error(public.get(f"/v1/setup_intents/{seti['id']}", params=wrong), 400, param="client_secret")
        assert_error(public.get("/v1/setup_intents"), 403, "secret_key_required")
        assert_error(public.post("/v1/setup_intents"), 403, "secret_key_required")
    full = api.get(f"/v1/setup_intents/{seti['id']}").json()
    assert full["metadata"] == {"secret": "x"}


def test_list_by_customer_and_created(api: httpx.Client) -> None:
    cus = customer(api)
    ids = [api.post("/v1/setup_intents", data={"customer": cus}).json()["id"] for _ in range(3)]
    listed = api.get("/v1/setup_intents", params={"customer": cus, "limit": 2}).json()
    assert listed["object"] == "list" and listed["has_more"] is True
    assert [s["id"] for s in listed["data"]] == ids[:0:-1]
    first = api.get(f"/v1/setup_intents/{ids[0]}").json()
    after = api.get("/v1/setup_intents", params={"customer": cus, "created[gt]": first["created"]}).json()
    assert ids[0] not in [s["id"] for s in after["data"]]
    expanded = api.get("/v1/setup_intents", params={"customer": cus, "expand[]": "data.customer"}).json()
    assert expanded["data"][0]["customer"]["id"] == cus


def test_expand_on_null_expandable_fields_gives_null(api: httpx.Client) -> None:
    """`latest_attempt`, `mandate` and a missing `customer` are expandable on Stripe: null stays null."""
    seti = api.post("/v1/setup_intents", data={}).json()
    assert seti["customer"] is None and seti["latest_attempt"] is None
    got = api.get(f"/v1/setup_intents/{seti['id']}",
                  params={"expand[]": ["customer", "latest_attempt", "mandate", "payment_method"]})
    assert got.status_code == 200 and got.json() == seti
    usage = api.get(f"/v1/setup_intents/{seti['id']}", params={"expand[]": "usage"})
    assert_error(usage, 400, param="expand")


def test_live_mode_has_no_processor(server: Any) -> None:
    with server.client(server.sk_live) as live:
        cus = live.post("/v1/customers", data={"email": "live@example.com"}).json()["id"]
        resp = post(live, "/v1/setup_intents", seti_body(cus, card("4242424242424242")))
        assert_error(resp, 400, "live_mode_unavailable")
        assert live.get("/v1/setup_intents").json()["data"] == []


def test_update_with_card_data_then_confirm(api: httpx.Client) -> None:
    cus = customer(api)
    seti = api.post("/v1/setup_intents", data={"customer": cus}).json()
    updated = post(api, f"/v1/setup_intents/{seti['id']}",
                   {"payment_method_data": {"type": "card", "card": card("6011111111111117")}}, "form").json()
    assert updated["status"] == "requires_confirmation" and updated["payment_method"].startswith("pm_")
    confirmed = api.post(f"/v1/setup_intents/{seti['id']}/confirm").json()
    assert confirmed["status"] == "succeeded" and confirmed["payment_method"] == updated["payment_method"]
    pm = api.get(f"/v1/payment_methods/{confirmed['payment_method']}").json()
    assert pm["card"]["brand"] == "discover" and pm["customer"] == cus


def test_a_declined_confirm_is_replayed_with_its_idempotency_key(api: httpx.Client) -> None:
    body = seti_body(customer(api), card("4000000000009987"))
    first = post(api, "/v1/setup_intents", body, headers={"Idempotency-Key": "decline-" + body["customer"]})
    again = post(api, "/v1/setup_intents", body, headers={"Idempotency-Key": "decline-" + body["customer"]})
    assert first.status_code == again.status_code == 402
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    listed = api.get("/v1/setup_intents", params={"customer": body["customer"]}).json()["data"]
    assert [s["id"] for s in listed] == [first.json()["error"]["setup_intent"]["id"]]
