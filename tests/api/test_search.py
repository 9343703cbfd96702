"""Search over real HTTP (API.md §9, docs/search.md): GET /v1/customers/search, /v1/payment_intents/search
and /v1/charges/search with Stripe's query language, the search_result envelope, page / next_page, in both
dialects (times in the query in the dialect's unit), scoped to the caller's account and mode.

The module's server is shared: every test tags what it makes with its own metadata value and searches within
that tag, so objects of other tests never count."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from support.assertions import assert_error
from support.payments import RETURN_URL, card, customer, pay
from support.server import PaykeepServer

VISA, MASTERCARD = "4242424242424242", "5555555555554444"


def _tag() -> str:
    return uuid.uuid4().hex[:12]


def _search(api: httpx.Client, resource: str, query: str, **params: Any) -> httpx.Response:
    return api.get(f"/v1/{resource}/search", params={"query": query, **params})


def _found(api: httpx.Client, resource: str, query: str, **params: Any) -> list[str]:
    resp = _search(api, resource, query, **params)
    assert resp.status_code == 200, (query, resp.text)
    return [obj["id"] for obj in resp.json()["data"]]


def _customer(api: httpx.Client, tag: str, **params: Any) -> dict[str, Any]:
    meta = {"run": tag, **params.pop("metadata", {})}
    resp = api.post("/v1/customers", json={"metadata": meta, **params})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _paid(api: httpx.Client, tag: str, number: str = VISA, **params: Any) -> dict[str, Any]:
    resp = pay(api, number, metadata={"run": tag, **params.pop("metadata", {})}, **params)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


# -- customers: the envelope, each operator -----
def test_exact_email_is_case_insensitive_in_the_search_result_envelope(api, dialect):
    tag = _tag()
    jenny = _customer(api, tag, email=f"Jenny.{tag}@Example.com", name="Jenny Rosen")
    _customer(api, tag, email=f"other.{tag}@example.com")
    resp = _search(api, "customers", f'email:"jenny.{tag}@example.com"')
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["object"] == "search_result" and body["url"] == "/v1/customers/search"
    assert body["has_more"] is False and body["next_page"] is None and "total_count" not in body
    [found] = body["data"]
    assert found == api.get(f"/v1/customers/{jenny['id']}").json()  # the same object, in the dialect
    assert found["object"] == "customer" and abs(found["created"] - dialect.now()) <= dialect.ts(60_000)
    assert _found(api, "customers", f'email:"JENNY.{tag}@EXAMPLE.COM"') == [jenny["id"]]
    assert _found(api, "customers", f'email:"jenny.{tag}"') == []  # exact, not a prefix


def test_substring_on_string_fields(api):
    tag = _tag()
    rosen = _customer(api, tag, name=f"Jenny Rosen {tag}", phone="+1 555 0100")
    _customer(api, tag, name=f"Bob Smith {tag}", phone="+1 555 0199")
    assert _found(api, "customers", f'metadata["run"]:"{tag}" name~"ROS"') == [rosen["id"]]
    assert _found(api, "customers", f'metadata["run"]:"{tag}" phone~"0100"') == [rosen["id"]]
    assert len(_found(api, "customers", f'name~"{tag}"')) == 2
    assert _found(api, "customers", f'name~"{tag[:6]}%"') == []  # % and _ are characters, not wildcards
    error = assert_error(_search(api, "customers", 'name~"ro"'), 400, "parameter_invalid", param="query")
    assert "position 5" in error["message"] and "at least 3 characters" in error["message"]


def test_metadata_values_keys_and_quotes(api):
    tag = _tag()
    gold = _customer(api, tag, metadata={"tier": "gold", "order id": "o-1"})
    silver = _customer(api, tag, metadata={"tier": "silver"})
    plain = _customer(api, tag)
    run = f'metadata["run"]:"{tag}"'
    assert _found(api, "customers", f'{run} metadata["tier"]:"gold"') == [gold["id"]]
    assert _found(api, "customers", f"metadata['run']:'{tag}' metadata['tier']:'silver'") == [silver["id"]]
    assert _found(api, "customers", f'{run} metadata["order id"]:"o-1"') == [gold["id"]]
    assert _found(api, "customers", f'{run} metadata["tier"]:"GOLD"') == []  # metadata values are exact
    assert _found(api, "customers", f'{run} metadata["tier"]:null') == [plain["id"]]
    assert _found(api, "customers", f'{run} -metadata["tier"]:null') == [silver["id"], gold["id"]]
    assert _found(api, "customers", f'{run} -metadata["tier"]:"gold"') == [plain["id"], silver["id"]]


def test_metadata_changes_are_searched_at_once(api):
    tag = _tag()
    cus = _customer(api, tag, metadata={"stage": "lead"})
    run = f'metadata["run"]:"{tag}"'
    assert _found(api, "customers", f'{run} metadata["stage"]:"lead"') == [cus["id"]]
    assert api.post(f"/v1/customers/{cus['id']}", json={"metadata": {"stage": "won"}}).status_code == 200
    assert _found(api, "customers", f'{run} metadata["stage"]:"lead"') == []
    assert _found(api, "customers", f'{run} metadata["stage"]:"won"') == [cus["id"]]
    assert api.post(f"/v1/customers/{cus['id']}", json={"metadata": {"stage": ""}}).status_code == 200
    assert _found(api, "customers", f'{run} metadata["stage"]:null') == [cus["id"]]
    assert api.delete(f"/v1/customers/{cus['id']}").status_code == 200
    assert _found(api, "customers", run) == []  # a deleted customer is not found


def test_negation_and_null(api):
    tag = _tag()
    with_email = _customer(api, tag, email=f"n.{tag}@example.com")
    without = _customer(api, tag)
    run = f'metadata["run"]:"{tag}"'
    assert _found(api, "customers", f"{run} email:null") == [without["id"]]
    assert _found(api, "customers", f"{run} -email:null") == [with_email["id"]]
    # a negation keeps the objects whose field is empty (they do not have that e-mail either)
    assert _found(api, "customers", f'{run} -email:"n.{tag}@example.com"') == [without["id"]]


def test_and_or_and_never_both(api):
    tag = _tag()
    a = _customer(api, tag, email=f"a.{tag}@example.com", name="Ann")
    b = _customer(api, tag, email=f"b.{tag}@example.com", name="Ann")
    assert _found(api, "customers", f'email:"a.{tag}@example.com" OR email:"b.{tag}@example.com"') == [
        b["id"],
        a["id"],
    ]
    assert _found(api, "customers", f'email:"a.{tag}@example.com" or email:"b.{tag}@example.com"') == [
        b["id"],
        a["id"],
    ]
    assert _found(
        api, "customers", f'metadata["run"]:"{tag}" AND name:"ann" and -email:"a.{tag}@example.com"'
    ) == [b["id"]]
    error = assert_error(
        _search(api, "customers", 'name:"Ann" AND email:"x" OR phone:"y"'),
        400,
        "parameter_invalid",
        param="query",
    )
    assert error["message"].startswith("Syntax error at position 25: AND and OR cannot be combined")


def test_created_comparisons_in_the_dialects_unit(api, dialect):
    tag = _tag()
    first = _customer(api, tag)
    time.sleep(1.1)  # another second: Stripe's unit
    second = _customer(api, tag)
    t1, t2 = first["created"], second["created"]  # as rendered: seconds (Stripe) or ms (WooshPay)
    assert t2 > t1 and abs(t1 - dialect.now()) <= dialect.ts(60_000)
    run = f'metadata["run"]:"{tag}"'
    both, only_first, only_second = [second["id"], first["id"]], [first["id"]], [second["id"]]
    assert _found(api, "customers", f"{run} created>{t1}") == only_second
    assert _found(api, "customers", f"{run} created>={t1}") == both
    assert _found(api, "customers", f"{run} created<{t2}") == only_first
    assert _found(api, "customers", f"{run} created<={t2}") == both
    assert _found(api, "customers", f"{run} created:{t1}") == only_first
    assert _found(api, "customers", f"{run} created={t2}") == only_second
    assert _found(api, "customers", f'{run} created>"{t1}"') == only_second  # a quoted number
    assert _found(api, "customers", f"{run} -created:{t1}") == only_second
    assert _found(api, "customers", f"{run} created>{dialect.now() + dialect.ts(3_600_000)}") == []


# -- pages and limits -----
def test_pages_with_page_and_next_page(api):
    tag = _tag()
    made = [_customer(api, tag)["id"] for _ in range(5)]
    query = f'metadata["run"]:"{tag}"'
    seen, page, pages = [], None, []
    while True:
        params: dict[str, Any] = {"limit": 2, **({"page": page} if page else {})}
        body = _search(api, "customers", query, **params).json()
        pages.append(len(body["data"]))
        seen += [c["id"] for c in body["data"]]
        assert body["has_more"] is (body["next_page"] is not None)
        if not body["has_more"]:
            break
        page = body["next_page"]
        assert isinstance(page, str) and page.startswith("page_") and tag not in page
    assert pages == [2, 2, 1]
    assert seen == list(reversed(made))  # newest first, each once
    counted = _search(api, "customers", query, limit=1, **{"expand[]": "total_count"}).json()
    assert counted["total_count"] == 5 and len(counted["data"]) == 1 and counted["has_more"] is True


def test_limits(api):
    tag = _tag()
    for _ in range(11):
        _customer(api, tag)
    query = f'metadata["run"]:"{tag}"'
    default = _search(api, "customers", query).json()
    assert len(default["data"]) == 10 and default["has_more"] is True
    assert len(_found(api, "customers", query, limit=100)) == 11
    assert len(_found(api, "customers", query, limit="1")) == 1
    for bad in (0, 101, "ten"):
        assert_error(_search(api, "customers", query, limit=bad), 400, param="limit")


# -- payment intents and charges -----
def test_payment_intents_by_amount_currency_customer_status(api, dialect):
    tag = _tag()
    cus = customer(api, f"pi.{tag}@example.com")
    small = _paid(api, tag, amount=1000, customer=cus)
    large = _paid(api, tag, amount=5000, currency="EUR", customer=cus)
    open_ = api.post(
        "/v1/payment_intents", json={"amount": 3000, "currency": "usd", "metadata": {"run": tag}}
    ).json()
    assert open_["status"] == "requires_payment_method"
    run = f'metadata["run"]:"{tag}"'
    assert _found(api, "payment_intents", f"{run} amount>1000") == [open_["id"], large["id"]]
    assert _found(api, "payment_intents", f"{run} amount<=3000 amount>=1000") == [open_["id"], small["id"]]
    assert _found(api, "payment_intents", f"{run} amount:5000") == [large["id"]]
    assert _found(api, "payment_intents", f'{run} currency:"eur"') == [large["id"]]
    assert _found(api, "payment_intents", f'{run} currency:"USD"') == [open_["id"], small["id"]]
    assert _found(api, "payment_intents", f'customer:"{cus}"') == [large["id"], small["id"]]
    assert _found(api, "payment_intents", f'{run} status:"succeeded"') == [large["id"], small["id"]]
    assert _found(api, "payment_intents", f'{run} -status:"succeeded"') == [open_["id"]]
    assert _found(api, "payment_intents", f'{run} status:"Succeeded"') == []  # statuses are exact
    body = _search(api, "payment_intents", f"{run} amount:5000", **{"expand[]": "data.customer"}).json()
    assert body["url"] == "/v1/payment_intents/search"
    [found] = body["data"]
    assert found["customer"]["id"] == cus and found["currency"] == dialect.currency("eur")
    assert (
        _search(api, "payment_intents", f"{run} amount:5000", **{"expand[]": "customer"}).json()["data"][0][
            "customer"
        ]["id"]
        == cus
    )


def test_charges_by_card_customer_amount_refunded(api, dialect):
    tag = _tag()
    cus = customer(api, f"ch.{tag}@example.com")
    visa = _paid(api, tag, VISA, amount=2000, customer=cus)
    resp = api.post(
        "/v1/payment_intents",
        json={
            "amount": 4000,
            "currency": "USD",
            "confirm": True,
            "return_url": RETURN_URL,
            "metadata": {"run": tag},
            "payment_method_data": {
                "type": "card",
                "card": card(MASTERCARD),
                "billing_details": {"address": {"postal_code": "94107"}},
            },
        },
    )
    assert resp.status_code == 200, resp.text
    mastercard = resp.json()
    ch_visa, ch_mc = visa["latest_charge"], mastercard["latest_charge"]
    for charge_id in (ch_visa, ch_mc):  # a charge's own metadata (POST /v1/charges/{id})
        assert api.post(f"/v1/charges/{charge_id}", json={"metadata": {"run": tag}}).status_code == 200
    run = f'metadata["run"]:"{tag}"'
    assert _found(api, "charges", run) == [ch_mc, ch_visa]
    assert _found(api, "charges", f'{run} payment_method_details.card.last4:"4242"') == [ch_visa]
    assert _found(api, "charges", f"{run} payment_method_details.card.last4:4444") == [ch_mc]
    assert _found(api, "charges", f'{run} payment_method_details.card.brand:"mastercard"') == [ch_mc]
    assert _found(api, "charges", f"{run} payment_method_details.card.exp_year:2034") == [ch_mc, ch_visa]
    assert _found(api, "charges", f"{run} payment_method_details.card.exp_month>4") == []
    fingerprint = api.get(f"/v1/charges/{ch_visa}").json()["payment_method_details"]["card"]["fingerprint"]
    assert _found(api, "charges", f'{run} payment_method_details.card.fingerprint:"{fingerprint}"') == [
        ch_visa
    ]
    assert _found(api, "charges", f'{run} billing_details.address.postal_code:"94107"') == [ch_mc]
    assert _found(api, "charges", f"{run} billing_details.address.postal_code:null") == [ch_visa]
    assert _found(api, "charges", f'customer:"{cus}"') == [ch_visa]
    assert _found(api, "charges", f'{run} amount>2000 currency:"usd" status:"succeeded"') == [ch_mc]
    assert _found(api, "charges", f"{run} disputed:false") == [ch_mc, ch_visa]
    assert _found(api, "charges", f"{run} disputed:true") == []
    assert _found(api, "charges", f"{run} refunded:true") == []
    assert api.post("/v1/refunds", json={"payment_intent": visa["id"]}).status_code == 200
    assert _found(api, "charges", f"{run} refunded:true") == [ch_visa]
    assert _found(api, "charges", f"{run} -refunded:true") == [ch_mc]
    body = _search(api, "charges", f"{run} refunded:true").json()
    assert body["url"] == "/v1/charges/search" and body["data"][0]["refunded"] is True
    assert body["data"][0]["currency"] == dialect.currency("usd")


# -- scope -----
def test_another_account_and_the_other_mode_never_see_these_objects(api, server: PaykeepServer, dialect):
    tag = _tag()
    other = json.loads(server.cli("accounts", "create", "--json", "--dialect", dialect.name).stdout)
    mine = _customer(api, tag, email=f"same.{tag}@example.com")
    pi = _paid(api, tag)
    with server.client(other["test"]["secret_key"]) as theirs:
        their_customer = _customer(theirs, tag, email=f"same.{tag}@example.com")
        for query in (f'metadata["run"]:"{tag}"', f'email:"same.{tag}@example.com"', "-email:null"):
            found = _found(theirs, "customers", query, limit=100)
            assert mine["id"] not in found
            assert their_customer["id"] in found
        assert _found(theirs, "payment_intents", f'metadata["run"]:"{tag}"') == []
        assert _found(theirs, "charges", 'status:"succeeded"') == []
    assert _found(api, "customers", f'email:"same.{tag}@example.com"') == [mine["id"]]
    assert _found(api, "payment_intents", f'metadata["run"]:"{tag}"') == [pi["id"]]
    with server.client(server.sk_live) as live:
        assert _found(live, "customers", f'metadata["run"]:"{tag}"') == []
    with server.client(server.pk) as publishable:
        assert_error(_search(publishable, "customers", "email:null"), 403)


# -- refusals -----
@pytest.mark.parametrize("resource", ["customers", "payment_intents", "charges"])
def test_a_query_is_required(api, resource):
    assert_error(api.get(f"/v1/{resource}/search"), 400, "parameter_missing", param="query")


@pytest.mark.parametrize(
    ("resource", "query", "words"),
    [
        ("customers", 'email:"a" name:', "Syntax error at position 15: expected a value after ':'"),
        (
            "customers",
            'email:"unclosed',
            "Syntax error at position 6: the string that starts here is not closed",
        ),
        ("customers", "", "Syntax error at position 0: the query is empty"),
        ("customers", "amount>10", "Invalid query at position 0: amount is not a search field of customers"),
        ("payment_intents", 'email:"x"', "email is not a search field of payment_intents"),
        (
            "charges",
            'payment_method_details.card.cvc:"123"',
            "payment_method_details.card.cvc is not a search field of charges",
        ),
        ("payment_intents", 'amount~"100"', "amount cannot be searched with '~'"),
        ("payment_intents", "status:succeeded", "string values must be in quotes"),
        ("customers", "(email:null)", "Syntax error at position 0: parentheses are not supported"),
    ],
)
def test_bad_queries_are_400s_that_say_where(api, resource, query, words):
    error = assert_error(_search(api, resource, query), 400, "parameter_invalid", param="query")
    assert words in error["message"], error


def test_bad_pages_and_parameters(api):
    assert_error(_search(api, "customers", "email:null", page="page_nonsense!"), 400, param="page")
    assert_error(_search(api, "customers", "email:null", page="cus_123"), 400, param="page")
    assert_error(
        _search(api, "customers", "email:null", starting_after="cus_1"),
        400,
        "parameter_unknown",
        param="starting_after",
    )
    tag = _tag()
    _customer(api, tag)
    assert_error(
        _search(api, "customers", f'metadata["run"]:"{tag}"', **{"expand[]": "data.address"}),
        400,
        param="expand",
    )


def test_the_search_route_does_not_hide_retrieve(api, server: PaykeepServer):
    assert_error(api.get("/v1/customers/cus_0"), 404, "resource_missing")
    assert_error(api.get("/v1/charges/ch_0"), 404, "resource_missing")
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        assert_error(anonymous.get("/v1/customers/search", params={"query": "email:null"}), 401)
