"""Idempotency-Key (API.md §2) over real HTTP: replay, misuse, concurrency, what is not stored, scope."""

from __future__ import annotations

import re
import threading
import uuid
from typing import Any

import httpx

from support.assertions import assert_error
from support.dialects import Dialect
from support.runtime import request_in_flight
from support.server import PaykeepServer


def new_key() -> str:
    return f"idem-{uuid.uuid4()}"


def unique_email() -> str:
    return f"idem-{uuid.uuid4().hex[:12]}@example.com"


def customers_with(api: httpx.Client, email: str) -> list[dict[str, Any]]:
    return list(api.get("/v1/customers", params={"email": email, "limit": 100}).json()["data"])


def test_same_key_and_parameters_replay_the_first_response(api: httpx.Client, dialect: Dialect) -> None:
    key, email = new_key(), unique_email()
    first = api.post(
        "/v1/customers", data={"email": email, "metadata[a]": "1"}, headers={"Idempotency-Key": key}
    )
    assert first.status_code == 200
    assert "idempotent-replayed" not in first.headers
    for _ in range(3):
        again = api.post(
            "/v1/customers", data={"email": email, "metadata[a]": "1"}, headers={"Idempotency-Key": key}
        )
        assert again.status_code == 200
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == first.content, "the identical body, byte for byte"
        assert again.headers["request-id"] != first.headers["request-id"], "each request has its own id"
    assert re.fullmatch(dialect.id_re("cus"), first.json()["id"])
    assert abs(first.json()["created"] - dialect.now()) <= dialect.ts(60_000)
    # asked for in the other dialect, the replay is still the first response's bytes, in its dialect
    other = "wooshpay" if dialect.is_stripe else "stripe"
    elsewhere = api.post("/v1/customers", data={"email": email, "metadata[a]": "1"},
                         headers={"Idempotency-Key": key, "Paykeep-Dialect": other})
    assert elsewhere.headers["idempotent-replayed"] == "true" and elsewhere.content == first.content
    assert [c["id"] for c in customers_with(api, email)] == [first.json()["id"]]


def test_a_json_retry_of_a_form_request_replays(api: httpx.Client) -> None:
    key, email = new_key(), unique_email()
    first = api.post(
        "/v1/customers", data={"email": email, "address[city]": "Oslo"}, headers={"Idempotency-Key": key}
    )
    again = api.post(
        "/v1/customers", json={"email": email, "address": {"city": "Oslo"}}, headers={"Idempotency-Key": key}
    )
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.content == first.content


def test_a_replay_returns_the_object_as_it_was_then(api: httpx.Client) -> None:
    key = new_key()
    first = api.post("/v1/customers", data={"name": "before"}, headers={"Idempotency-Key": key})
    cid = first.json()["id"]
    assert api.post(f"/v1/customers/{cid}", data={"name": "after"}).json()["name"] == "after"
    again = api.post("/v1/customers", data={"name": "before"}, headers={"Idempotency-Key": key})
    assert again.json()["name"] == "before" and again.content == first.content


def test_updates_replay_too(api: httpx.Client) -> None:
    cid = api.post("/v1/customers").json()["id"]
    key = new_key()
    first = api.post(f"/v1/customers/{cid}", data={"metadata[n]": "1"}, headers={"Idempotency-Key": key})
    api.post(f"/v1/customers/{cid}", data={"metadata[n]": "2"})
    again = api.post(f"/v1/customers/{cid}", data={"metadata[n]": "1"}, headers={"Idempotency-Key": key})
    assert again.headers.get("idempotent-replayed") == "true" and again.content == first.content
    assert api.get(f"/v1/customers/{cid}").json()["metadata"] == {"n": "2"}, "the replay changed nothing"


def test_an_error_after_the_request_ran_is_replayed(api: httpx.Client) -> None:
    key = new_key()
    first = api.post(
        "/v1/customers/cus_0000000000000000042", data={"name": "x"}, headers={"Idempotency-Key": key}
    )
    assert_error(first, 404, "resource_missing")
    again = api.post(
        "/v1/customers/cus_0000000000000000042", data={"name": "x"}, headers={"Idempotency-Key": key}
    )
    assert again.status_code == 404
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.content == first.content


def test_other_parameters_with_the_same_key_are_400_idempotency_error(api: httpx.Client) -> None:
    key, email = new_key(), unique_email()
    assert (
        api.post("/v1/customers", data={"email": email}, headers={"Idempotency-Key": key}).status_code == 200
    )
    for other in ({"email": email, "name": "extra"}, {"email": unique_email()}, {}):
        resp = api.post("/v1/customers", data=other, headers={"Idempotency-Key": key})
        assert_error(resp, 400, type_="idempotency_error")
        assert key in resp.json()["error"]["message"]
    assert len(customers_with(api, email)) == 1


def test_another_path_with_the_same_key_is_400_idempotency_error(api: httpx.Client) -> None:
    key = new_key()
    cus = api.post("/v1/customers", headers={"Idempotency-Key": key}).json()
    resp = api.post(f"/v1/customers/{cus['id']}", headers={"Idempotency-Key": key})
    assert_error(resp, 400, type_="idempotency_error")
    assert api.get(f"/v1/customers/{cus['id']}").json() == cus


def test_twenty_concurrent_requests_with_one_key_create_exactly_one_customer(server: PaykeepServer) -> None:
    key, email = new_key(), unique_email()
    start = threading.Barrier(20)
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def post() -> None:
        with server.client() as client:
            start.wait(30)
            resp = client.post("/v1/customers", data={"email": email}, headers={"Idempotency-Key": key})
        with lock:
            results.append(resp)

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 20
    with server.client() as api:
        made = customers_with(api, email)
    assert len(made) == 1, made
    ran = [r for r in results if r.status_code == 200 and "idempotent-replayed" not in r.headers]
    replayed = [r for r in results if r.status_code == 200 and r.headers.get("idempotent-replayed") == "true"]
    in_use = [r for r in results if r.status_code == 409]
    assert len(ran) == 1, [(r.status_code, r.headers.get("idempotent-replayed")) for r in results]
    assert len(ran) + len(replayed) + len(in_use) == 20, [r.status_code for r in results]
    for r in replayed:
        assert r.content == ran[0].content
    for r in in_use:
        assert_error(r, 409, "idempotency_key_in_use")
    assert ran[0].json()["id"] == made[0]["id"]


def test_a_request_in_flight_elsewhere_gets_409_and_nothing_is_created(
    server: PaykeepServer, api: httpx.Client
) -> None:
    key, email = new_key(), unique_email()
    with request_in_flight(server, key, "/v1/customers", {"email": email}):
        for _ in range(3):
            resp = api.post("/v1/customers", data={"email": email}, headers={"Idempotency-Key": key})
            assert_error(resp, 409, "idempotency_key_in_use")
        other = api.post(
            "/v1/customers", data={"email": email, "name": "x"}, headers={"Idempotency-Key": key}
        )
        assert_error(other, 400, type_="idempotency_error")
    assert customers_with(api, email) == []


def test_validation_failures_are_not_stored(api: httpx.Client) -> None:
    key, email = new_key(), unique_email()
    assert_error(
        api.post("/v1/customers", data={"email": email, "colour": "red"}, headers={"Idempotency-Key": key}),
        400,
        "parameter_unknown",
    )
    assert_error(
        api.post(
            "/v1/customers",
            json={"email": email, "metadata": {"k" * 41: "v"}},
            headers={"Idempotency-Key": key},
        ),
        400,
        param="metadata",
    )
    assert_error(
        api.post(
            "/v1/customers",
            json={"email": email, "shipping": {"name": "x"}},
            headers={"Idempotency-Key": key},
        ),
        400,
        "parameter_missing",
    )
    fixed = api.post("/v1/customers", data={"email": email}, headers={"Idempotency-Key": key})
    assert fixed.status_code == 200, fixed.text
    assert "idempotent-replayed" not in fixed.headers
    assert len(customers_with(api, email)) == 1


def test_authentication_failures_are_not_stored(server: PaykeepServer, api: httpx.Client) -> None:
    key, email = new_key(), unique_email()
    with httpx.Client(base_url=server.base_url, timeout=30) as anon:
        assert_error(anon.post("/v1/customers", data={"email": email}, headers={"Idempotency-Key": key}), 401)
        assert_error(
            anon.post(
                "/v1/customers",
                data={"email": email},
                headers={"Idempotency-Key": key, "Authorization": f"Bearer {server.pk}"},
            ),
            403,
        )
    resp = api.post("/v1/customers", data={"email": email}, headers={"Idempotency-Key": key})
    assert resp.status_code == 200 and "idempotent-replayed" not in resp.headers


def test_keys_are_scoped_to_the_mode(server: PaykeepServer) -> None:
    key, email = new_key(), unique_email()
    with server.client(server.sk) as test, server.client(server.sk_live) as live:
        t = test.post("/v1/customers", data={"email": email}, headers={"Idempotency-Key": key})
        lv = live.post("/v1/customers", data={"email": email}, headers={"Idempotency-Key": key})
        assert t.status_code == lv.status_code == 200
        assert "idempotent-replayed" not in lv.headers, "the live key's first use runs"
        assert t.json()["id"] != lv.json()["id"]
        assert (t.json()["livemode"], lv.json()["livemode"]) == (False, True)
        other = live.post(
            "/v1/customers", data={"email": unique_email()}, headers={"Idempotency-Key": new_key()}
        )
        assert other.status_code == 200
        assert (
            live.post("/v1/customers", data={"email": email}, headers={"Idempotency-Key": key}).headers.get(
                "idempotent-replayed"
            )
            == "true"
        )
        assert (
            test.post("/v1/customers", data={"email": email}, headers={"Idempotency-Key": key}).content
            == t.content
        )


def test_a_key_in_flight_in_one_mode_does_not_block_the_other(server: PaykeepServer) -> None:
    key, email = new_key(), unique_email()
    with (
        request_in_flight(server, key, "/v1/customers", {"email": email}, livemode=True),
        server.client(server.sk) as test,
    ):
        resp = test.post("/v1/customers", data={"email": email}, headers={"Idempotency-Key": key})
        assert resp.status_code == 200


def test_key_length_limit(api: httpx.Client) -> None:
    assert_error(
        api.post("/v1/customers", headers={"Idempotency-Key": "k" * 256}), 400, param="Idempotency-Key"
    )
    longest = "k" * 254 + uuid.uuid4().hex[:1]
    first = api.post("/v1/customers", headers={"Idempotency-Key": longest})
    assert first.status_code == 200
    assert api.post("/v1/customers", headers={"Idempotency-Key": longest}).content == first.content


def test_get_and_delete_ignore_the_header(api: httpx.Client) -> None:
    key = new_key()
    cus = api.post("/v1/customers", data={"name": "g"}, headers={"Idempotency-Key": key}).json()
    got = api.get(f"/v1/customers/{cus['id']}", headers={"Idempotency-Key": key})
    assert got.status_code == 200 and "idempotent-replayed" not in got.headers
    listed = api.get("/v1/customers", headers={"Idempotency-Key": key})
    assert listed.status_code == 200 and "idempotent-replayed" not in listed.headers
    deleted = api.delete(f"/v1/customers/{cus['id']}", headers={"Idempotency-Key": key})
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True


def test_an_empty_header_is_no_key(api: httpx.Client) -> None:
    a = api.post("/v1/customers", headers={"Idempotency-Key": ""})
    b = api.post("/v1/customers", headers={"Idempotency-Key": ""})
    assert a.status_code == b.status_code == 200
    assert a.json()["id"] != b.json()["id"]


def test_stored_responses_do_not_hold_secrets_in_clear(server: PaykeepServer, api: httpx.Client) -> None:
    """A webhook endpoint's secret is shown once; its idempotent replay must not sit in the database
    in clear."""
    from support.databases import dump_database_bytes

    key = str(uuid.uuid4())
    first = api.post("/v1/webhook_endpoints",
                     data={"url": "https://example.com/hook", "enabled_events[]": "*"},
                     headers={"Idempotency-Key": key})
    assert first.status_code == 200
    replay = api.post("/v1/webhook_endpoints",
                      data={"url": "https://example.com/hook", "enabled_events[]": "*"},
                      headers={"Idempotency-Key": key})
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.json() == first.json()
    secret = first.json()["secret"].encode()
    client_secret_part = first.json()["id"].encode()
    assert secret.startswith(b"whsec_")
    dump = dump_database_bytes(server.db_url)
    assert client_secret_part in dump  # the dump is real
    assert secret not in dump
