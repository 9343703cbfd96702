"""Customers over real HTTP: CRUD, form and JSON bodies, metadata, pagination, filters and expand[]."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from support.assertions import assert_error, without
from support.dialects import Dialect
from support.server import PaykeepServer

ADDRESS = {
    "line1": "1 Market St",
    "line2": "Suite 5",
    "city": "San Francisco",
    "state": "CA",
    "postal_code": "94105",
    "country": "US",
}
SHIPPING = {
    "name": "Ada Lovelace",
    "phone": "+15550001111",
    "address": {
        "line1": "2 Ship Rd",
        "line2": None,
        "city": "Oakland",
        "state": "CA",
        "postal_code": "94601",
        "country": "US",
    },
}


def unique_email(tag: str = "c") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


def full_params(email: str) -> dict[str, Any]:
    return {
        "email": email,
        "name": "Ada Lovelace",
        "phone": "+15551234567",
        "description": "first customer",
        "address": ADDRESS,
        "shipping": SHIPPING,
        "metadata": {"order": "42", "tier": "gold"},
    }


def as_form(params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Stripe's bracket notation for a nested dict (None values left out, as a client would)."""
    form: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            form.update(as_form(value, name))
        elif isinstance(value, list):
            form[f"{name}[]"] = [str(v) for v in value]
        elif value is not None:
            form[name] = str(value)
    return form


def create(api: httpx.Client, **params: Any) -> dict[str, Any]:
    resp = api.post("/v1/customers", json=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


# -- create / retrieve / update / delete ---------------------------------------------------------------------
def test_create_with_every_field_renders_them_all(api: httpx.Client, dialect: Dialect) -> None:
    before = int(time.time() * 1000)
    resp = api.post("/v1/customers", data=as_form(full_params("ada@example.com")))
    after = int(time.time() * 1000)
    assert resp.status_code == 200, resp.text
    cus = resp.json()
    assert cus["object"] == "customer"
    assert re.fullmatch(dialect.id_re("cus"), cus["id"]), cus["id"]
    assert dialect.ts(before - 1000) <= cus["created"] <= dialect.ts(after + 1000), (
        "created is Unix time in the dialect's unit (ms; seconds in Stripe's)")
    assert cus["livemode"] is False
    assert (cus["email"], cus["name"], cus["phone"], cus["description"]) == (
        "ada@example.com",
        "Ada Lovelace",
        "+15551234567",
        "first customer",
    )
    assert cus["address"] == ADDRESS
    assert cus["shipping"] == SHIPPING
    assert cus["metadata"] == {"order": "42", "tier": "gold"}


def test_create_with_nothing_gives_empty_customer(api: httpx.Client) -> None:
    cus = api.post("/v1/customers").json()
    assert cus["object"] == "customer"
    assert cus["email"] is None and cus["name"] is None and cus["address"] is None and cus["shipping"] is None
    assert cus["metadata"] == {}


def test_retrieve_returns_the_created_object(api: httpx.Client) -> None:
    cus = create(api, **full_params(unique_email()))
    resp = api.get(f"/v1/customers/{cus['id']}")
    assert resp.status_code == 200
    assert resp.json() == cus


def test_update_changes_only_the_given_fields_and_blank_unsets(api: httpx.Client) -> None:
    cus = create(api, **full_params(unique_email()))
    resp = api.post(f"/v1/customers/{cus['id']}", data={"name": "Grace Hopper", "phone": "", "address": ""})
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert updated["name"] == "Grace Hopper"
    assert updated["phone"] is None and updated["address"] is None
    assert updated["email"] == cus["email"] and updated["shipping"] == cus["shipping"]
    assert (updated["id"], updated["created"]) == (cus["id"], cus["created"])
    assert api.get(f"/v1/customers/{cus['id']}").json() == updated


def test_update_with_no_parameters_changes_nothing(api: httpx.Client) -> None:
    cus = create(api, **full_params(unique_email()))
    resp = api.post(f"/v1/customers/{cus['id']}")
    assert resp.status_code == 200
    assert resp.json() == cus


def test_update_of_a_missing_customer_is_404(api: httpx.Client) -> None:
    resp = api.post("/v1/customers/cus_0000000000000000001", data={"name": "x"})
    assert_error(resp, 404, "resource_missing", param="id")


def test_delete_then_retrieve_gives_the_deleted_stub(api: httpx.Client) -> None:
    cus = create(api, **full_params(unique_email()))
    resp = api.delete(f"/v1/customers/{cus['id']}")
    assert resp.status_code == 200, resp.text
    stub = {"id": cus["id"], "object": "customer", "deleted": True}
    assert resp.json() == stub
    again = api.get(f"/v1/customers/{cus['id']}")
    assert again.status_code == 200
    assert again.json() == stub


def test_a_deleted_customer_cannot_be_updated_or_deleted_again(api: httpx.Client) -> None:
    cus = create(api, email=unique_email())
    assert api.delete(f"/v1/customers/{cus['id']}").status_code == 200
    assert_error(api.post(f"/v1/customers/{cus['id']}", data={"name": "x"}), 404, "resource_missing")
    assert_error(api.delete(f"/v1/customers/{cus['id']}"), 404, "resource_missing")


def test_deleted_customers_are_not_listed(api: httpx.Client) -> None:
    email = unique_email("gone")
    keep, gone = create(api, email=email), create(api, email=email)
    api.delete(f"/v1/customers/{gone['id']}")
    listed = api.get("/v1/customers", params={"email": email}).json()
    assert [c["id"] for c in listed["data"]] == [keep["id"]]


def test_missing_and_malformed_ids_are_404(api: httpx.Client) -> None:
    for cid in ("cus_0000000000000000001", "cus_0000000000000000001aB3dE", "nope", "pm_1234567890123456789",
                "x" * 255):
        assert_error(api.get(f"/v1/customers/{cid}"), 404, "resource_missing", param="id")


# -- form and JSON -------------------------------------------------------------------------------------------
def test_form_and_json_bodies_give_identical_objects(api: httpx.Client) -> None:
    from_json = api.post("/v1/customers", json=full_params("same@example.com"))
    from_form = api.post("/v1/customers", data=as_form(full_params("same@example.com")))
    assert from_json.status_code == from_form.status_code == 200, (from_json.text, from_form.text)
    a, b = from_json.json(), from_form.json()
    assert a["id"] != b["id"]
    assert without(a, "id", "created") == without(b, "id", "created")


def test_form_and_json_updates_give_identical_objects(api: httpx.Client) -> None:
    a, b = create(api, email=unique_email()), create(api, email=unique_email())
    change = {
        "email": "upd@example.com",
        "address": {"city": "Paris", "country": "FR"},
        "metadata": {"k": "v"},
    }
    ra = api.post(f"/v1/customers/{a['id']}", json=change)
    rb = api.post(f"/v1/customers/{b['id']}", data=as_form(change))
    assert ra.status_code == rb.status_code == 200
    assert without(ra.json(), "id", "created") == without(rb.json(), "id", "created")


def test_query_string_on_a_post_is_read_like_the_body(api: httpx.Client) -> None:
    resp = api.post("/v1/customers?name=Query%20Name&metadata[src]=query")
    assert resp.status_code == 200, resp.text
    assert resp.json()["name"] == "Query Name" and resp.json()["metadata"] == {"src": "query"}


def test_json_with_charset_and_form_with_charset_are_accepted(api: httpx.Client) -> None:
    r1 = api.post(
        "/v1/customers",
        content=b'{"name":"J\xc3\xa9r\xc3\xb4me"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    r2 = api.post(
        "/v1/customers",
        content=b"name=J%C3%A9r%C3%B4me",
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert r1.status_code == r2.status_code == 200
    assert r1.json()["name"] == r2.json()["name"] == "Jérôme"


# -- metadata ------------------------------------------------------------------------------------------------
def test_metadata_limits_at_the_edge_are_accepted(api: httpx.Client) -> None:
    metadata = {f"k{i:02d}": "v" for i in range(49)}
    metadata["k" * 40] = "x" * 500
    resp = api.post("/v1/customers", json={"metadata": metadata})
    assert resp.status_code == 200, resp.text
    assert resp.json()["metadata"] == metadata


@pytest.mark.parametrize(
    "metadata, param",
    [
        ({f"k{i}": "v" for i in range(51)}, "metadata"),
        ({"k" * 41: "v"}, "metadata"),
        ({"a[b]": "v"}, "metadata"),
        ({"a]": "v"}, "metadata"),
        ({"k": "x" * 501}, "metadata[k]"),
        ({"k": {"nested": "no"}}, "metadata[k]"),
        ([1, 2], "metadata"),
        ("not-empty", "metadata"),
    ],
)
def test_metadata_rules_are_enforced(api: httpx.Client, metadata: Any, param: str) -> None:
    assert_error(api.post("/v1/customers", json={"metadata": metadata}), 400, param=param)


def test_metadata_key_with_brackets_in_a_form_body_is_refused(api: httpx.Client) -> None:
    resp = api.post(
        "/v1/customers",
        content=b"metadata[a[b]]=v",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_error(resp, 400)


def test_fifty_one_keys_over_two_updates_are_refused(api: httpx.Client) -> None:
    cus = create(api, metadata={f"a{i}": "v" for i in range(30)})
    resp = api.post(f"/v1/customers/{cus['id']}", json={"metadata": {f"b{i}": "v" for i in range(21)}})
    assert_error(resp, 400, param="metadata")
    assert len(api.get(f"/v1/customers/{cus['id']}").json()["metadata"]) == 30


def test_metadata_update_merges_and_empty_value_removes_a_key(api: httpx.Client) -> None:
    cus = create(api, metadata={"keep": "1", "drop": "2", "change": "3"})
    resp = api.post(
        f"/v1/customers/{cus['id']}",
        data={"metadata[drop]": "", "metadata[change]": "33", "metadata[new]": "4"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["metadata"] == {"keep": "1", "change": "33", "new": "4"}


@pytest.mark.parametrize("encoding", ["form", "json"])
def test_metadata_empty_string_clears_all(api: httpx.Client, encoding: str) -> None:
    cus = create(api, metadata={"a": "1", "b": "2"})
    if encoding == "form":
        resp = api.post(f"/v1/customers/{cus['id']}", data={"metadata": ""})
    else:
        resp = api.post(f"/v1/customers/{cus['id']}", json={"metadata": ""})
    assert resp.status_code == 200, resp.text
    assert resp.json()["metadata"] == {}
    assert api.get(f"/v1/customers/{cus['id']}").json()["metadata"] == {}


def test_numeric_metadata_values_are_stored_as_strings(api: httpx.Client) -> None:
    assert create(api, metadata={"n": 7})["metadata"] == {"n": "7"}


# -- pagination over 25 customers (a server of their own, so nothing else is listed) -------------------------
@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory,
          dialect_name: str) -> Iterator[tuple[PaykeepServer, list[dict[str, Any]]]]:
    """In the test's dialect: in Stripe's, `created` and the created filters are in seconds, so several of
    the 25 customers share one `created` value (and a filter on it covers that whole second)."""
    srv = PaykeepServer(tmp_path_factory.mktemp(f"paged-{dialect_name}"), dialect=dialect_name).start()
    try:
        with srv.client() as client:
            made = [
                create(client, email=f"page{i:02d}@example.com", metadata={"n": str(i)}) for i in range(25)
            ]
        yield srv, list(reversed(made))  # newest first
    finally:
        srv.close()


@pytest.fixture
def paged_api(paged: tuple[PaykeepServer, list[dict[str, Any]]]) -> Iterator[httpx.Client]:
    with paged[0].client() as client:
        yield client


def ids(objs: list[dict[str, Any]]) -> list[str]:
    return [o["id"] for o in objs]


def test_list_envelope_default_limit_and_newest_first(paged_api: httpx.Client, paged: Any) -> None:
    body = paged_api.get("/v1/customers").json()
    assert body["object"] == "list" and body["url"] == "/v1/customers"
    assert body["has_more"] is True
    assert ids(body["data"]) == ids(paged[1][:10])
    assert body["data"][0] == paged[1][0]


@pytest.mark.parametrize("limit", [1, 7, 10, 24])
def test_walk_forward_with_starting_after_sees_everything_once(
    paged_api: httpx.Client, paged: Any, limit: int
) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    for _ in range(30):
        page = paged_api.get("/v1/customers", params=params).json()
        assert 1 <= len(page["data"]) <= limit
        seen.extend(ids(page["data"]))
        if not page["has_more"]:
            break
        assert len(page["data"]) == limit
        params["starting_after"] = page["data"][-1]["id"]
    assert seen == ids(paged[1]), "no gaps, no repeats, newest first"


@pytest.mark.parametrize("limit", [1, 7, 10, 24])
def test_walk_backward_with_ending_before_sees_everything_once(
    paged_api: httpx.Client, paged: Any, limit: int
) -> None:
    everything = ids(paged[1])
    oldest = everything[-1]
    pages: list[list[str]] = []
    params: dict[str, Any] = {"limit": limit, "ending_before": oldest}
    for _ in range(30):
        page = paged_api.get("/v1/customers", params=params).json()
        assert 1 <= len(page["data"]) <= limit
        pages.append(ids(page["data"]))
        if not page["has_more"]:
            break
        assert len(page["data"]) == limit
        params["ending_before"] = page["data"][0]["id"]
    seen = [cid for page in reversed(pages) for cid in page]
    assert seen + [oldest] == everything, (
        "each page newest first; pages cover everything newer than the cursor"
    )


def test_has_more_is_exact_at_both_ends(paged_api: httpx.Client, paged: Any) -> None:
    everything = ids(paged[1])
    assert paged_api.get("/v1/customers", params={"limit": 25}).json()["has_more"] is False
    assert paged_api.get("/v1/customers", params={"limit": 24}).json()["has_more"] is True
    tail = paged_api.get("/v1/customers", params={"starting_after": everything[-2]}).json()
    assert (ids(tail["data"]), tail["has_more"]) == ([everything[-1]], False)
    past_end = paged_api.get("/v1/customers", params={"starting_after": everything[-1]}).json()
    assert (past_end["data"], past_end["has_more"]) == ([], False)
    head = paged_api.get("/v1/customers", params={"ending_before": everything[1]}).json()
    assert (ids(head["data"]), head["has_more"]) == ([everything[0]], False)
    before_start = paged_api.get("/v1/customers", params={"ending_before": everything[0]}).json()
    assert (before_start["data"], before_start["has_more"]) == ([], False)
    exact = paged_api.get("/v1/customers", params={"ending_before": everything[10], "limit": 10}).json()
    assert (ids(exact["data"]), exact["has_more"]) == (everything[:10], False)


def test_limit_bounds(paged_api: httpx.Client) -> None:
    assert len(paged_api.get("/v1/customers", params={"limit": 1}).json()["data"]) == 1
    everything = paged_api.get("/v1/customers", params={"limit": 100}).json()
    assert len(everything["data"]) == 25 and everything["has_more"] is False
    for bad in ("0", "101", "-1"):
        assert_error(paged_api.get("/v1/customers", params={"limit": bad}), 400, param="limit")
    for bad in ("abc", "1.5", ""):
        assert_error(
            paged_api.get("/v1/customers", params={"limit": bad}),
            400,
            "parameter_invalid_integer",
            param="limit",
        )


@pytest.mark.parametrize("cursor", ["starting_after", "ending_before"])
def test_unknown_cursor_id_is_404_naming_the_cursor(paged_api: httpx.Client, cursor: str) -> None:
    resp = paged_api.get("/v1/customers", params={cursor: "cus_0000000000000000001"})
    assert_error(resp, 404, "resource_missing", param=cursor)


def test_both_cursors_at_once_are_refused(paged_api: httpx.Client, paged: Any) -> None:
    everything = ids(paged[1])
    resp = paged_api.get(
        "/v1/customers", params={"starting_after": everything[3], "ending_before": everything[1]}
    )
    assert_error(resp, 400)


def test_a_cursor_from_the_other_mode_is_404(paged: Any) -> None:
    srv, made = paged
    with srv.client(srv.sk_live) as live:
        assert_error(
            live.get("/v1/customers", params={"starting_after": made[0]["id"]}), 404, "resource_missing"
        )
        assert live.get("/v1/customers").json()["data"] == []


# -- filters -------------------------------------------------------------------------------------------------
def test_created_filters(paged_api: httpx.Client, paged: Any) -> None:
    everything = paged[1]
    pivot = everything[12]["created"]

    def listed(params: dict[str, Any]) -> list[str]:
        return ids(paged_api.get("/v1/customers", params={"limit": 100, **params}).json()["data"])

    assert listed({"created[gte]": pivot}) == [c["id"] for c in everything if c["created"] >= pivot]
    assert listed({"created[gt]": pivot}) == [c["id"] for c in everything if c["created"] > pivot]
    assert listed({"created[lt]": pivot}) == [c["id"] for c in everything if c["created"] < pivot]
    assert listed({"created[lte]": pivot, "created[gte]": pivot}) == [
        c["id"] for c in everything if c["created"] == pivot
    ]
    assert listed({"created": pivot}) == [c["id"] for c in everything if c["created"] == pivot]
    assert listed({"created[gt]": everything[0]["created"]}) == []


def test_created_filter_pages_too(paged_api: httpx.Client, paged: Any) -> None:
    everything = paged[1]
    pivot = everything[20]["created"]
    expected = [c["id"] for c in everything if c["created"] >= pivot]
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 4, "created[gte]": pivot}
    for _ in range(30):
        page = paged_api.get("/v1/customers", params=params).json()
        seen.extend(ids(page["data"]))
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]
    assert seen == expected


@pytest.mark.parametrize(
    "params, param",
    [
        ({"created[gte]": "yesterday"}, "created[gte]"),
        ({"created[since]": "1"}, "created[since]"),
        ({"created[gte]": str(10**30)}, "created[gte]"),
        ({"created": "soon"}, "created"),
    ],
)
def test_bad_created_filters_are_400(paged_api: httpx.Client, params: dict[str, Any], param: str) -> None:
    assert_error(paged_api.get("/v1/customers", params=params), 400, param=param)


def test_email_filter_is_exact(api: httpx.Client) -> None:
    email = unique_email("twin")
    a, b = create(api, email=email), create(api, email=email)
    create(api, email="other-" + email)
    create(api, email=email.upper())
    listed = api.get("/v1/customers", params={"email": email}).json()
    assert ids(listed["data"]) == [b["id"], a["id"]]
    assert api.get("/v1/customers", params={"email": unique_email("nobody")}).json()["data"] == []


# -- expand[] ------------------------------------------------------------------------------------------------
def test_expand_on_an_unknown_field_is_400(api: httpx.Client) -> None:
    cus = create(api, email=unique_email())
    assert_error(
        api.get(f"/v1/customers/{cus['id']}", params={"expand[]": "nonexistent"}), 400, param="expand"
    )
    assert_error(api.post("/v1/customers", data={"expand[]": "nonexistent"}), 400, param="expand")
    assert_error(api.get("/v1/customers", params={"expand[]": "data.nonexistent"}), 400, param="expand")


def test_expand_on_a_field_that_is_not_an_id_is_400(api: httpx.Client) -> None:
    cus = create(api, email=unique_email())
    assert_error(api.get(f"/v1/customers/{cus['id']}", params={"expand[]": "email"}), 400, param="expand")


def test_expand_names_an_expandable_field_whatever_it_holds(api: httpx.Client) -> None:
    """Expandability is a property of the field, as on Stripe: a plain hash, the id itself, or a null field
    that is not expandable is a 400; an expandable field that is null stays null."""
    cus = create(api, email=unique_email())
    assert cus["phone"] is None and cus["default_source"] is None
    for path in ("address", "metadata", "id", "object", "phone", "invoice_settings",
                 "invoice_settings.footer"):
        error = assert_error(api.get(f"/v1/customers/{cus['id']}", params={"expand[]": path}), 400,
                             param="expand")
        assert error["message"] == f"This property cannot be expanded ({path}).", error
    got = api.get(f"/v1/customers/{cus['id']}",
                  params={"expand[]": ["default_source", "invoice_settings.default_payment_method"]})
    assert got.status_code == 200 and got.json() == cus


def test_expand_deeper_than_four_levels_is_400(api: httpx.Client) -> None:
    cus = create(api, email=unique_email())
    resp = api.get(f"/v1/customers/{cus['id']}", params={"expand[]": "a.b.c.d.e"})
    assert_error(resp, 400, param="expand")


def test_expand_must_be_a_list(api: httpx.Client) -> None:
    assert_error(
        api.post("/v1/customers", json={"expand": "email"}), 400, "parameter_invalid_array", param="expand"
    )


def test_empty_expand_changes_nothing(api: httpx.Client) -> None:
    cus = create(api, email=unique_email())
    assert api.get(f"/v1/customers/{cus['id']}", params={"expand[]": []}).json() == cus
    created = api.post("/v1/customers", json={"email": "e@example.com", "expand": []})
    assert created.status_code == 200


def test_a_failed_expand_on_create_creates_nothing(api: httpx.Client) -> None:
    email = unique_email("noexpand")
    assert_error(api.post("/v1/customers", data={"email": email, "expand[]": "nonexistent"}), 400)
    assert api.get("/v1/customers", params={"email": email}).json()["data"] == []
