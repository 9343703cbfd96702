"""Request logs (services/request_logs.py) without a server: what a record keeps and drops, the buffer's
bounds and batches, the filters, and the 7-day purge on a frozen clock."""

from __future__ import annotations

import asyncio
import json
import random
from types import SimpleNamespace
from typing import Any

import pytest

from paykeep.domain.dialects import Dialect
from paykeep.domain.errors import ParameterInvalid
from paykeep.services import request_logs
from paykeep.services.ports import Caller, Context
from paykeep.services.request_logs import Pending, RequestLog, build_row
from support.fakes import ACCOUNT, Fakes

VISA, CVC = "4000056655665556", "8317"
CUS, PI, PM = "cus_2128537421620584448", "pi_2128537421742219264", "pm_2128537421754802177"
SECRET = f"{PI}_secret_Hd93kfLq0Zp1xYw2"
CALLER = Caller(ACCOUNT, False, request_id="req_1", idempotency_key="key-1", dialect=Dialect.STRIPE)


def raw(path: str = "/v1/payment_intents", status: int = 200, params: Any = None, body: Any = None,
        caller: Caller | None = CALLER, method: str = "POST", created: int = 1_000,
        request_id: str = "req_2128537421306011648", headers: Any = None) -> request_logs.Raw:
    """The raw record the front door leaves for such a request (RequestLog.begin, body, finish)."""
    log = RequestLog(SimpleNamespace(clock=SimpleNamespace(now_ms=lambda: created)))  # type: ignore[arg-type]
    scope = {"method": method, "path": path, "headers": headers or [],
             "state": {"caller": caller, "raw_params": params, "dialect": caller.dialect if caller else None}}
    pending = log.begin(scope)
    assert pending is not None
    text = body if isinstance(body, str) else json.dumps(body) if body is not None else ""
    pending.body({"type": "http.response.body", "body": text.encode()})
    log.finish(pending, scope, status, 0.0, request_id)
    return log._buffer.popleft()


def stored_text(row: dict[str, Any]) -> str:
    return json.dumps(row)


def test_card_numbers_and_cvcs_are_dropped_wherever_the_request_put_them() -> None:
    params = {
        "card": {"number": VISA, "cvc": CVC, "exp_month": 4},
        "payment_method_data": {"type": "card", "card": {"number": VISA, "cvc": CVC, "exp_year": 2031}},
        "card[number]": VISA, "card[cvc]": CVC, "cvc": CVC, "metadata": {"note": f"card {VISA}"},
        "amount": int(VISA), "items": [{"card": {"number": VISA, "cvv": CVC}}],
    }
    row = build_row(raw(params=params, status=400, body={"error": {"message": f"Invalid integer: {VISA}"}}))
    text = stored_text(row)
    assert VISA not in text and VISA[:12] not in text and CVC not in text
    kept = json.loads(row["params"])
    assert kept["card"] == {"exp_month": 4}
    assert kept["payment_method_data"] == {"type": "card", "card": {"exp_year": 2031}}
    assert "card[number]" not in kept and "card[cvc]" not in kept and "cvc" not in kept
    assert kept["items"] == [{"card": {}}]
    assert kept["metadata"]["note"].endswith("••••5556]") and kept["amount"].endswith("••••5556]")


def test_client_secrets_and_webhook_secrets_are_masked_ids_and_times_kept() -> None:
    body = {"id": PI, "object": "payment_intent", "client_secret": SECRET, "customer": CUS,
            "payment_method": {"id": PM, "object": "payment_method"}, "created": 1_796_317_842_284,
            "next_action": None}
    row = build_row(raw(path=f"/v1/payment_intents/{PI}/confirm", params={"client_secret": SECRET},
                        body=body))
    assert "Hd93kfLq0Zp1xYw2" not in stored_text(row)
    response = json.loads(row["response_body"])
    assert response["client_secret"] == f"{PI}_secret_[redacted]" and response["created"] == 1_796_317_842_284
    assert row["object_ids"].split() == [PI, CUS, PM]
    assert (row["account_id"], row["livemode"], row["idempotency_key"], row["dialect"]) == (
        ACCOUNT, False, "key-1", "stripe")
    endpoint = build_row(raw(path="/v1/webhook_endpoints", body={"id": "we_2128537421306011649",
                                                                  "secret": "whsec_Ab12Cd34Ef56Gh78"}))
    assert "Ab12Cd34Ef56Gh78" not in endpoint["response_body"]
    assert "whsec_[redacted]" in endpoint["response_body"]


def test_an_error_names_its_embedded_object_and_a_rejected_key_no_account() -> None:
    declined = {"error": {"type": "card_error", "code": "card_declined",
                          "payment_intent": {"id": PI, "customer": CUS, "latest_charge": None}}}
    row = build_row(raw(status=402, body=declined, params={"customer": CUS}))
    assert row["object_ids"].split() == [PI, CUS]
    headers = [(b"idempotency-key", b"k-401")]
    anonymous = build_row(raw(status=401, caller=None, headers=headers, body={"error": {}}))
    assert (anonymous["account_id"], anonymous["livemode"], anonymous["idempotency_key"]) == (None, None,
                                                                                              "k-401")


def test_a_long_body_is_cut_and_a_stream_kept_to_its_first_bytes() -> None:
    pending = Pending()
    for _ in range(40):
        pending.body({"type": "http.response.body", "body": b"x" * 1024, "more_body": True})
    assert pending.size == request_logs.BODY_LIMIT and pending.truncated
    row = build_row((1, "GET", "/v1/customers", 200, 1.0, "req_1", ACCOUNT, False, None, "{}", None,
                     b"".join(pending.parts), True))
    assert row["response_body"].endswith(request_logs.TRUNCATED)
    assert len(row["response_body"]) == request_logs.BODY_LIMIT + len(request_logs.TRUNCATED)


def _scope(path: str, caller: Caller | None = CALLER) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": path, "headers": [],
            "state": {"caller": caller, "raw_params": {"limit": "3"}}}


def test_only_v1_requests_are_buffered_the_oldest_dropped_beyond_the_limit() -> None:
    fakes = Fakes.make()
    log = RequestLog(fakes.deps, limit=3)
    assert log.begin(_scope("/dashboard/logs")) is None and log.begin(_scope("/healthz")) is None
    for n in range(5):
        scope = _scope(f"/v1/customers/{CUS}")
        pending = log.begin(scope)
        assert pending is not None
        log.finish(pending, scope, 200, 0.001, f"req_212853742130601164{n}")
    assert (log.waiting, log.dropped) == (3, 2)
    assert log.flush() == 3 and log.waiting == 0
    rows = fakes.uow.request_logs.find(None)
    assert sorted(r["id"][-1] for r in rows) == ["2", "3", "4"]
    assert all(r["object_ids"] == CUS and r["params"] == '{"limit":"3"}' for r in rows)


def test_the_flusher_writes_a_batch_once_enough_wait_and_what_is_left_on_stop() -> None:
    fakes = Fakes.make()
    log = RequestLog(fakes.deps, interval_s=3600, flush_at=4)  # only a full batch or stop() writes

    async def scenario() -> tuple[int, int]:
        stop = await log.start()
        for n in range(6):
            scope = _scope("/v1/customers")
            log.finish(log.begin(scope), scope, 200, 0.001, f"req_21285374213060116{n:02d}")  # type: ignore[arg-type]
            await asyncio.sleep(0)  # the loop runs the flusher when it wakes
        for _ in range(200):  # bounded: the flusher's thread writes the first batch
            if log.written:
                break
            await asyncio.sleep(0.01)
        batched = log.written
        await stop()
        return batched, log.written

    batched, total = asyncio.run(scenario())
    assert batched >= 4 and total == 6
    assert fakes.uow.request_logs.count(None) == 6


def test_filters_status_classes_exact_statuses_paths_and_objects() -> None:
    assert request_logs.filters("4xx") == {"status__gte": 400, "status__lt": 500}
    assert request_logs.filters("402", "customers", f" {CUS} ") == {
        "status": 402, "path__prefix": "/v1/customers", "object_id": CUS}
    assert request_logs.filters(None, "/v1/payment_intents") == {"path__prefix": "/v1/payment_intents"}
    for bad in ("4x", "42", "700", "ok"):
        with pytest.raises(ParameterInvalid):
            request_logs.filters(bad)


def test_list_logs_is_the_callers_account_and_mode_newest_first() -> None:
    fakes = Fakes.make()
    rows = [build_row(raw(status=status, request_id=f"req_212853742130601164{n}", body={"id": CUS},
                          caller=Caller(ACCOUNT, livemode, request_id="r")))
            for n, (status, livemode) in enumerate([(200, False), (402, False), (400, True), (404, False)])]
    with fakes.deps.begin(write=True) as uow:
        uow.request_logs.insert_many(rows)
    with fakes.deps.begin(write=False) as uow:
        ctx = Context(uow, fakes.deps, fakes.caller)
        found, more = request_logs.list_logs(ctx, limit=10, **request_logs.filters("4xx", object_id=CUS))
        assert [r["status"] for r in found] == [404, 402] and not more
        assert request_logs.retrieve_log(ctx, rows[0]["id"])["status"] == 200


def test_records_go_after_7_days() -> None:
    fakes = Fakes.make()
    start = fakes.clock.now_ms()
    rows = [build_row(raw(created=start + n, request_id=f"req_212853742130601164{n}")) for n in range(3)]
    with fakes.deps.begin(write=True) as uow:
        uow.request_logs.insert_many(rows)
    fakes.clock.advance(request_logs.RETENTION_MS)
    assert request_logs.purge_expired(fakes.deps) == 0  # exactly 7 days: kept
    fakes.clock.advance(2)
    assert request_logs.purge_expired(fakes.deps, batch=1, max_batches=1) == 1  # the oldest first
    assert request_logs.purge_expired(fakes.deps) == 1
    assert [r["id"] for r in fakes.uow.request_logs.find(None)] == [rows[2]["id"]]


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    """JSON values made to trip the redactor: digit runs of every length, separators, ids, times, keys,
    secrets and CVC fields, in keys and values, nested."""
    pieces = ["4242424242424242", "4000 0566 5566 5556", "3782-822463-10005", "42424242 42 42",
              "1796317842284", "2026", "12345678901", "123456789012", "cus_2128537421620584448",
              "pi_2128537421742219264aB3dE", "sk_test_abcdef", "whsec_abc123", "pi_1_secret_xyz", "cvc: 123",
              "CVC=1234", "cvc_check", "network", " ", "-", ":", ",", "a", "Z", "_", "x4242424242424242", "é",
              "\n", '"', "\\", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "ref:4242424242424242", '"created":']

    def text() -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))

    roll = rng.random()
    if depth < 3 and roll < 0.3:
        keys = ["created", "expires_at", "amount", "gte", "metadata", "id", "email"]
        keys += [text() for _ in range(3)]
        return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    if depth < 3 and roll < 0.4:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if roll < 0.6:
        return rng.choice([0, 2000, -5, 1796317842284, 17963178422840, 4242424242424242, -4242424242424242,
                           123456789012, 10**11 - 1, 1.5, True, None])
    return text()


@pytest.mark.parametrize("seed", range(4))
def test_a_body_taken_as_plain_is_one_the_redactor_leaves_as_it_is(seed: int) -> None:
    rng = random.Random(seed)
    plain = 0
    for _ in range(3000):
        value = {"id": "cus_2128537421620584448", "created": 1796317842284, "data": _random_json(rng)}
        for encoded in (json.dumps(value, ensure_ascii=False, separators=(",", ":")),
                        json.dumps(value, ensure_ascii=False)):
            if request_logs.plain_json(encoded.encode()):
                plain += 1
                assert request_logs.redact_value(value) is value, encoded  # what is stored: the text as sent
    assert plain > 500  # the fast way is taken, and checked, often


def test_the_response_names_its_ids_anywhere_but_in_a_list() -> None:
    body = {"id": PI, "client_secret": SECRET, "customer": CUS, "last_payment_error": {"payment_method": {
        "id": PM}}, "latest_charge": "ch_2128537421742219264aB3dE", "note": f"x{CUS}y", "other": "cus_123"}
    assert request_logs._ids_in_body(json.dumps(body)) == [PI, CUS, PM, "ch_2128537421742219264aB3dE"]
    assert request_logs._ids_in_body(json.dumps({"object": "list", "data": [body]},
                                                separators=(",", ":"))) == []
