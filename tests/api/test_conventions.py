"""API.md §2 over real HTTP, with Customers as the resource: auth, every error status, Request-Id, modes,
bad input that must never be a 500, and the access log."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from support.assertions import REQUEST_ID, assert_error
from support.dialects import STRIPE_API_VERSION, Dialect
from support.runtime import request_in_flight
from support.server import PaykeepServer

FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def anon(server: PaykeepServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


# -- 401 / 403: authentication -------------------------------------------------------------------------------
def test_basic_and_bearer_both_authenticate(server: PaykeepServer, anon: httpx.Client) -> None:
    created = anon.post("/v1/customers", data={"name": "basic"}, headers=basic(server.sk))
    assert created.status_code == 200, created.text
    cid = created.json()["id"]
    fetched = anon.get(f"/v1/customers/{cid}", headers=bearer(server.sk))
    assert fetched.status_code == 200
    assert fetched.json() == created.json()
    with_password = {"Authorization": "Basic " + base64.b64encode(f"{server.sk}:ignored".encode()).decode()}
    assert anon.get(f"/v1/customers/{cid}", headers=with_password).status_code == 200
    assert (
        anon.get(f"/v1/customers/{cid}", headers={"Authorization": f"bearer {server.sk}"}).status_code == 200
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic"},
        {"Authorization": "Basic !!!not-base64!!!"},
        {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:").decode()},
        {"Authorization": "Token sk_test_whatever"},
        bearer("sk_test_" + "A" * 48),
        bearer("sk_live_" + "B" * 48),
        bearer("pk_test_" + "C" * 48),
        basic("sk_test_" + "D" * 48),
        bearer("x" * 5000),
    ],
    ids=[
        "none",
        "empty",
        "bearer-empty",
        "basic-empty",
        "basic-garbage",
        "basic-not-utf8",
        "other-scheme",
        "unknown-test",
        "unknown-live",
        "unknown-pk",
        "unknown-basic",
        "huge",
    ],
)
def test_missing_or_unknown_key_is_401(anon: httpx.Client, headers: dict[str, str]) -> None:
    for resp in (
        anon.get("/v1/customers", headers=headers),
        anon.post("/v1/customers", data={"name": "x"}, headers=headers),
    ):
        assert_error(resp, 401)


def test_a_401_never_echoes_the_key(anon: httpx.Client) -> None:
    key = "sk_test_" + uuid.uuid4().hex + uuid.uuid4().hex
    resp = anon.get("/v1/customers", headers=bearer(key))
    assert_error(resp, 401)
    assert key not in resp.text and key[8:] not in resp.text


def test_a_key_of_the_right_shape_but_wrong_account_is_401(server: PaykeepServer, anon: httpx.Client) -> None:
    real = server.sk
    forged = real[:-4] + ("aaaa" if not real.endswith("aaaa") else "bbbb")
    assert_error(anon.get("/v1/customers", headers=bearer(forged)), 401)


@pytest.mark.parametrize("mode", ["test", "live"])
def test_publishable_key_on_customers_is_403(server: PaykeepServer, anon: httpx.Client, mode: str) -> None:
    pk = server.keys[mode]["publishable_key"]
    cus = server.client(server.keys[mode]["secret_key"]).post("/v1/customers").json()
    for resp in (
        anon.get("/v1/customers", headers=basic(pk)),
        anon.post("/v1/customers", data={"name": "x"}, headers=basic(pk)),
        anon.get(f"/v1/customers/{cus['id']}", headers=bearer(pk)),
        anon.post(f"/v1/customers/{cus['id']}", data={"name": "x"}, headers=bearer(pk)),
        anon.delete(f"/v1/customers/{cus['id']}", headers=bearer(pk)),
    ):
        assert_error(resp, 403, "secret_key_required")


# -- 400 parameter errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body, param",
    [
        ({"shipping": {"address": {"line1": "1 Main St"}}}, "shipping[name]"),
        ({"shipping": {"name": "Ada"}}, "shipping[address]"),
    ],
)
def test_missing_required_parameter_is_400_parameter_missing(
    api: httpx.Client, body: dict[str, Any], param: str
) -> None:
    assert_error(api.post("/v1/customers", json=body), 400, "parameter_missing", param=param)


@pytest.mark.parametrize(
    "method, path, kwargs, param",
    [
        ("POST", "/v1/customers", {"data": {"colour": "blue"}}, "colour"),
        ("POST", "/v1/customers", {"json": {"email": "a@b.c", "colour": "blue"}}, "colour"),
        ("POST", "/v1/customers", {"data": {"address[planet]": "Mars"}}, "address[planet]"),
        (
            "POST",
            "/v1/customers",
            {"json": {"shipping": {"name": "A", "address": {"moon": "1"}}}},
            "shipping[address][moon]",
        ),
        ("POST", "/v1/customers?colour=blue", {}, "colour"),
        ("GET", "/v1/customers", {"params": {"colour": "blue"}}, "colour"),
        ("GET", "/v1/customers", {"params": {"created[since]": "1"}}, "created[since]"),
    ],
    ids=["form", "json", "nested-form", "nested-json", "query-on-post", "list-query", "filter"],
)
def test_unknown_parameter_is_400_parameter_unknown(
    api: httpx.Client, method: str, path: str, kwargs: dict[str, Any], param: str
) -> None:
    assert_error(api.request(method, path, **kwargs), 400, "parameter_unknown", param=param)


def test_unknown_parameter_on_retrieve_and_delete(api: httpx.Client) -> None:
    cid = api.post("/v1/customers").json()["id"]
    assert_error(
        api.get(f"/v1/customers/{cid}", params={"colour": "x"}), 400, "parameter_unknown", param="colour"
    )
    assert_error(
        api.delete(f"/v1/customers/{cid}", params={"colour": "x"}), 400, "parameter_unknown", param="colour"
    )
    assert api.get(f"/v1/customers/{cid}").json()["object"] == "customer"


@pytest.mark.parametrize(
    "method, path, kwargs, code, param",
    [
        ("GET", "/v1/customers", {"params": {"limit": "ten"}}, "parameter_invalid_integer", "limit"),
        (
            "GET",
            "/v1/customers",
            {"params": {"created[gte]": "soon"}},
            "parameter_invalid_integer",
            "created[gte]",
        ),
        ("POST", "/v1/customers", {"json": {"email": {"a": 1}}}, "parameter_invalid_string", "email"),
        ("POST", "/v1/customers", {"json": {"name": 12}}, "parameter_invalid_string", "name"),
        ("POST", "/v1/customers", {"json": {"expand": "email"}}, "parameter_invalid_array", "expand"),
        ("POST", "/v1/customers", {"data": {"address": "somewhere"}}, None, "address"),
        ("POST", "/v1/customers", {"json": {"shipping": ["x"]}}, None, "shipping"),
        ("POST", "/v1/customers", {"data": {"email": "x" * 513}}, None, "email"),
    ],
    ids=[
        "integer",
        "nested-integer",
        "string-object",
        "string-number",
        "array",
        "object-string",
        "object-list",
        "too-long",
    ],
)
def test_invalid_parameter_is_400_parameter_invalid(
    api: httpx.Client, method: str, path: str, kwargs: dict[str, Any], code: str | None, param: str
) -> None:
    error = assert_error(api.request(method, path, **kwargs), 400, code, param=param)
    assert error["code"].startswith("parameter_invalid")


def test_parameter_errors_come_after_authentication(anon: httpx.Client) -> None:
    assert_error(anon.post("/v1/customers", data={"colour": "blue"}), 401)


# -- 404 -----------------------------------------------------------------------------------------------------
def test_missing_object_is_404_resource_missing(api: httpx.Client) -> None:
    error = assert_error(
        api.get("/v1/customers/cus_1000000000000000000"), 404, "resource_missing", param="id"
    )
    assert "cus_1000000000000000000" in error["message"]


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/v1/nothing"),
        ("POST", "/v1/nothing"),
        ("GET", "/v1"),
        ("GET", "/v2/customers"),
        ("GET", "/v1/customers/cus_1/nothing"),
        ("DELETE", "/v1/nothing/1"),
    ],
)
def test_unknown_route_is_404_in_the_error_envelope(
    anon: httpx.Client, server: PaykeepServer, method: str, path: str
) -> None:
    for headers in ({}, bearer(server.sk)):
        error = assert_error(anon.request(method, path, headers=headers), 404)
        assert path in error["message"]


def test_wrong_method_is_a_4xx_in_the_error_envelope(api: httpx.Client) -> None:
    resp = api.put("/v1/customers")
    assert 400 <= resp.status_code < 500
    assert_error(resp, resp.status_code)


# -- 409 / 400 idempotency -----------------------------------------------------------------------------------
def test_idempotency_key_in_use_is_409(server: PaykeepServer, api: httpx.Client) -> None:
    key, params = f"in-flight-{uuid.uuid4()}", {"email": "inflight@example.com"}
    with request_in_flight(server, key, "/v1/customers", params):
        resp = api.post("/v1/customers", json=params, headers={"Idempotency-Key": key})
        assert_error(resp, 409, "idempotency_key_in_use")
        assert "idempotent-replayed" not in resp.headers
    after = api.post("/v1/customers", json=params, headers={"Idempotency-Key": key})
    assert after.status_code == 200, "a 409 is not stored: the key is usable once the other request is gone"


def test_idempotency_key_reused_with_other_parameters_is_400_idempotency_error(api: httpx.Client) -> None:
    key = f"reuse-{uuid.uuid4()}"
    assert (
        api.post("/v1/customers", data={"name": "one"}, headers={"Idempotency-Key": key}).status_code == 200
    )
    resp = api.post("/v1/customers", data={"name": "two"}, headers={"Idempotency-Key": key})
    assert_error(resp, 400, type_="idempotency_error")


# -- 429 -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    srv = PaykeepServer(tmp_path_factory.mktemp("limited"), env={"PAYKEEP_RATE_LIMIT": "5"}).start()
    yield srv
    srv.close()


def burst_until_limited(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """At most 4 rounds of 10 simultaneous requests (5/s allowed, burst 5): returns a 429. Simultaneous, so
    the burst outruns the refill however slow each single request is on a busy machine."""
    with ThreadPoolExecutor(10) as pool:
        for _ in range(4):
            responses = list(pool.map(lambda _: client.request(method, path, **kwargs), range(10)))
            assert all(r.status_code in (200, 429) for r in responses), [r.text for r in responses]
            limited = [r for r in responses if r.status_code == 429]
            if limited:
                return limited[0]
    raise AssertionError("no 429 after 40 requests in bursts of 10 at PAYKEEP_RATE_LIMIT=5")


def test_over_the_rate_limit_is_429_with_retry_after(limited: PaykeepServer) -> None:
    with limited.client() as client:
        resp = burst_until_limited(client, "GET", "/v1/customers")
        assert_error(resp, 429, "rate_limit")
        assert int(resp.headers["retry-after"]) >= 1
    with limited.client(limited.sk_live) as other_key:
        assert other_key.get("/v1/customers").status_code == 200, "the limit is per API key"


def test_a_429_is_not_stored_for_idempotency(limited: PaykeepServer) -> None:
    params = {"name": "after the limit"}
    with limited.client() as client:
        for _ in range(5):  # on a slow machine the bucket may refill between the burst and the POST: again
            burst_until_limited(client, "GET", "/v1/customers")
            key = f"limited-{uuid.uuid4()}"
            limited_resp = client.post("/v1/customers", data=params, headers={"Idempotency-Key": key})
            if limited_resp.status_code == 429:
                break
        assert_error(limited_resp, 429, "rate_limit")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # the bucket refills at 5/s: poll until the request goes through
            resp = client.post("/v1/customers", data=params, headers={"Idempotency-Key": key})
            if resp.status_code != 429:
                break
            time.sleep(0.25)
        assert resp.status_code == 200, resp.text
        assert "idempotent-replayed" not in resp.headers, "the 429 was not stored, so this one ran"


# -- Request-Id ----------------------------------------------------------------------------------------------
def test_every_response_has_a_request_id(
    server: PaykeepServer, api: httpx.Client, anon: httpx.Client, dialect: Dialect
) -> None:
    cid = api.post("/v1/customers").json()["id"]
    responses = [
        api.get(f"/v1/customers/{cid}"),
        api.post("/v1/customers"),
        api.get("/v1/customers"),
        api.delete(f"/v1/customers/{cid}"),
        api.post("/v1/customers", data={"colour": "x"}),
        anon.get("/v1/customers"),
        anon.get("/v1/customers", headers=basic(server.pk)),
        api.get("/v1/customers/cus_1"),
        anon.get("/v1/nothing"),
        api.put("/v1/customers"),
        anon.get("/healthz"),
        anon.get("/openapi.json"),
        api.post("/v1/customers", content=b"{", headers=JSON),
    ]
    request_ids = [r.headers.get("request-id", "") for r in responses]
    for resp, rid in zip(responses, request_ids, strict=True):
        assert REQUEST_ID.match(rid), (resp.request.url, resp.status_code, rid)
    assert len(set(request_ids)) == len(request_ids), "every request gets its own id"
    # the account's answers in Stripe's dialect name their version (the request's, else the default)
    expected = STRIPE_API_VERSION if dialect.is_stripe else None
    for resp in (*responses[:5], responses[7]):
        assert resp.headers.get("stripe-version") == expected, (resp.request.url, resp.status_code)


# -- test / live separation ----------------------------------------------------------------------------------
def test_objects_of_one_mode_are_404_to_the_other(server: PaykeepServer) -> None:
    with server.client(server.sk) as test, server.client(server.sk_live) as live:
        t = test.post("/v1/customers", data={"email": "test-mode@example.com"}).json()
        lv = live.post("/v1/customers", data={"email": "live-mode@example.com"}).json()
        assert (t["livemode"], lv["livemode"]) == (False, True)
        for client, other in ((live, t), (test, lv)):
            assert_error(client.get(f"/v1/customers/{other['id']}"), 404, "resource_missing")
            assert_error(
                client.post(f"/v1/customers/{other['id']}", data={"name": "x"}), 404, "resource_missing"
            )
            assert_error(client.delete(f"/v1/customers/{other['id']}"), 404, "resource_missing")
            listed = client.get("/v1/customers", params={"limit": 100}).json()["data"]
            assert other["id"] not in [c["id"] for c in listed]
            assert_error(client.get("/v1/customers", params={"starting_after": other["id"]}), 404)
        assert test.get(f"/v1/customers/{t['id']}").json() == t
        assert live.get(f"/v1/customers/{lv['id']}").json() == lv


# -- bad input is never a 500 --------------------------------------------------------------------------------
def _deep_json(depth: int) -> bytes:
    return b'{"metadata":' * depth + b'"x"' + b"}" * depth


BAD_INPUT: list[tuple[str, str, str, dict[str, str], bytes]] = [
    ("malformed-json", "POST", "/v1/customers", JSON, b'{"email": '),
    ("json-trailing-garbage", "POST", "/v1/customers", JSON, b'{"email": "a@b.c"} x'),
    ("json-array", "POST", "/v1/customers", JSON, b'["email"]'),
    ("json-string", "POST", "/v1/customers", JSON, b'"email"'),
    ("json-null", "POST", "/v1/customers", JSON, b"null"),
    ("json-not-utf8", "POST", "/v1/customers", JSON, b'{"email": "\xff\xfe"}'),
    ("json-deep-arrays", "POST", "/v1/customers", JSON, b"[" * 100_000),
    ("json-deep-objects", "POST", "/v1/customers", JSON, _deep_json(50_000)),
    ("json-nested-20", "POST", "/v1/customers", JSON, _deep_json(20)),
    ("json-nul", "POST", "/v1/customers", JSON, b'{"email": "a\\u0000b@example.com"}'),
    ("json-nul-key", "POST", "/v1/customers", JSON, b'{"metadata": {"a\\u0000": "b"}}'),
    ("json-nul-nested", "POST", "/v1/customers", JSON, b'{"address": {"line1": "\\u0000"}}'),
    ("json-surrogate", "POST", "/v1/customers", JSON, b'{"name": "\\ud800"}'),
    ("json-surrogate-metadata", "POST", "/v1/customers", JSON, b'{"metadata": {"k": "\\udfff"}}'),
    ("json-huge-int", "GET", "/v1/customers?created[gte]=" + "9" * 40, {}, b""),
    ("json-float-limit", "POST", "/v1/customers", JSON, b'{"metadata": {"k": 1e400}}'),
    ("json-bool-email", "POST", "/v1/customers", JSON, b'{"email": true}'),
    ("text-plain", "POST", "/v1/customers", {"content-type": "text/plain"}, b"email=a@b.c"),
    ("xml", "POST", "/v1/customers", {"content-type": "application/xml"}, b"<email>a@b.c</email>"),
    (
        "multipart",
        "POST",
        "/v1/customers",
        {"content-type": "multipart/form-data; boundary=x"},
        b'--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.c\r\n--x--\r\n',
    ),
    ("json-lookalike-content-type", "POST", "/v1/customers", {"content-type": "application/jsonx"}, b"{}"),
    ("json-as-form", "POST", "/v1/customers", FORM, b'{"email": "a@b.c"}'),
    ("form-not-utf8", "POST", "/v1/customers", FORM, b"email=\xff\xfe"),
    ("form-nul", "POST", "/v1/customers", FORM, b"email=a%00b"),
    ("form-nul-key", "POST", "/v1/customers", FORM, b"metadata[a%00]=b"),
    ("bracket-close-only", "POST", "/v1/customers", FORM, b"a]b=1"),
    ("bracket-open-only", "POST", "/v1/customers", FORM, b"metadata[a=1"),
    ("bracket-leading", "POST", "/v1/customers", FORM, b"[a]=1"),
    ("bracket-trailing-text", "POST", "/v1/customers", FORM, b"metadata[a]b=1"),
    ("bracket-nested-open", "POST", "/v1/customers", FORM, b"metadata[[a]]=1"),
    ("bracket-empty-name", "POST", "/v1/customers", FORM, b"=1"),
    ("bracket-too-deep", "POST", "/v1/customers", FORM, b"metadata" + b"[a]" * 12 + b"=1"),
    ("digit-names", "POST", "/v1/customers?1=y", FORM, b"0=x"),
    ("digit-names-query", "GET", "/v1/customers?0=x&1=y", {}, b""),
    ("value-then-object", "POST", "/v1/customers", FORM, b"address=x&address[city]=y"),
    ("object-then-value", "POST", "/v1/customers", FORM, b"address[city]=y&address=x"),
    ("list-then-object", "POST", "/v1/customers", FORM, b"expand[]=a&expand[x]=b"),
    ("huge-index", "POST", "/v1/customers", FORM, b"expand[99999999999999999999999]=nonexistent"),
    ("huge-email", "POST", "/v1/customers", FORM, b"email=" + b"a" * 1_000_000),
    ("huge-description", "POST", "/v1/customers", FORM, b"description=" + b"d" * 100_000),
    ("huge-metadata-value", "POST", "/v1/customers", FORM, b"metadata[k]=" + b"v" * 100_000),
    ("huge-metadata-key", "POST", "/v1/customers", FORM, b"metadata[" + b"k" * 100_000 + b"]=v"),
    (
        "many-metadata-keys",
        "POST",
        "/v1/customers",
        FORM,
        b"&".join(b"metadata[k%d]=v" % i for i in range(5000)),
    ),
    ("many-unknown-params", "POST", "/v1/customers", FORM, b"&".join(b"p%d=v" % i for i in range(5000))),
    ("huge-limit", "GET", "/v1/customers?limit=" + "9" * 5000, {}, b""),
    ("negative-huge-created", "GET", "/v1/customers?created=-" + "9" * 30, {}, b""),
    ("nul-in-query", "GET", "/v1/customers?email=a%00b", {}, b""),
    ("nul-in-cursor", "GET", "/v1/customers?starting_after=cus_%00", {}, b""),
    ("nul-in-path", "GET", "/v1/customers/cus_%00", {}, b""),
    ("nul-in-path-update", "POST", "/v1/customers/cus_%00", FORM, b"name=x"),
    ("nul-in-path-delete", "DELETE", "/v1/customers/cus_%00", {}, b""),
    ("unicode-path", "GET", "/v1/customers/cus_%E2%98%83", {}, b""),
    ("long-path", "GET", "/v1/customers/" + "c" * 6000, {}, b""),
    ("long-id-idempotent", "POST", "/v1/customers/" + "c" * 600, {**FORM, "Idempotency-Key": "k"}, b"name=x"),
    ("expand-deep", "GET", "/v1/customers?expand[]=" + ".".join(["a"] * 50), {}, b""),
    ("both-cursors", "GET", "/v1/customers?starting_after=cus_1&ending_before=cus_2", {}, b""),
]


@pytest.mark.parametrize(
    "method, path, headers, body", [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT]
)
def test_bad_input_is_a_4xx_never_a_500(
    api: httpx.Client, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    resp = api.request(method, path, headers=headers, content=body or None)
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:300])
    assert_error(resp, resp.status_code)


def test_a_body_over_one_mebibyte_is_a_413_and_nothing_is_created(api: httpx.Client) -> None:
    marker = f"too-large-{uuid.uuid4().hex}@example.com"
    big = f"email={marker}&description=".encode() + b"d" * (1024 * 1024)

    def streamed() -> Iterator[bytes]:  # no Content-Length: chunked, refused while it streams in
        yield f"email={marker}&description=".encode()
        for _ in range(20):
            yield b"d" * 65536

    refused = [
        api.post("/v1/customers", headers=FORM, content=big),
        api.post("/v1/customers", headers=FORM, content=streamed()),
        api.post("/v1/customers", headers={**FORM, "Idempotency-Key": marker}, content=big),
    ]
    for resp in refused:
        assert_error(resp, 413, "request_too_large")
    assert api.get("/v1/customers", params={"email": marker}).json()["data"] == []
    # the key was not used up by the refused request (it never ran)
    again = api.post("/v1/customers", headers={"Idempotency-Key": marker}, data={"email": marker})
    assert again.status_code == 200


def test_bad_idempotency_keys_are_a_4xx(api: httpx.Client) -> None:
    assert_error(
        api.post("/v1/customers", headers={"Idempotency-Key": "k" * 256}), 400, param="Idempotency-Key"
    )
    assert api.post("/v1/customers", headers={"Idempotency-Key": "k" * 255}).status_code == 200


def test_the_server_survived_the_bad_input_without_a_traceback(
    server: PaykeepServer, api: httpx.Client
) -> None:
    assert api.get("/v1/customers", params={"limit": 1}).status_code == 200
    log = server.logs()
    assert "Traceback" not in log and "unhandled error" not in log, log[-3000:]


# -- the access log ------------------------------------------------------------------------------------------
def test_one_structured_log_line_per_request_without_secrets(
    server: PaykeepServer, api: httpx.Client, anon: httpx.Client
) -> None:
    card = "4242424242424242"
    bad_key = "sk_test_" + uuid.uuid4().hex
    responses = [
        api.get(f"/v1/customers/{card}"),
        api.get("/v1/customers", params={"email": f"{card}@example.com"}),
        anon.get("/v1/customers", headers=bearer(bad_key)),
        api.post("/v1/customers", data={"description": f"card {card}", "metadata[card]": card}),
    ]
    deadline = time.monotonic() + 10
    lines: list[dict[str, Any]] = []
    while time.monotonic() < deadline:  # the log line is written once the response has gone out
        lines = []
        for line in server.logs().splitlines():
            match = re.search(r"\{\"method\".*\}$", line)
            if match:
                lines.append(json.loads(match.group(0)))
        if all(any(e["request_id"] == r.headers["request-id"] for e in lines) for r in responses):
            break
        time.sleep(0.05)
    for resp in responses:
        entries = [e for e in lines if e["request_id"] == resp.headers["request-id"]]
        assert len(entries) == 1, entries
        entry = entries[0]
        assert entry["status"] == resp.status_code
        assert entry["method"] == resp.request.method
        assert isinstance(entry["latency_ms"], (int, float)) and entry["latency_ms"] >= 0
        assert entry["path"].startswith("/v1/customers")
    # `serve` prints the test keys once at start-up (API.md §1); nothing logged after that holds a secret
    log = server.logs().split("Application startup complete", 1)[-1]
    assert card not in log
    assert bad_key not in log
    assert server.sk not in log
    assert server.sk_live not in log
