"""Webhook delivery end to end: a real server process POSTs signed events to real receivers on 127.0.0.1.

The retry schedule is shrunk through PAYKEEP_WEBHOOK_RETRY_DELAYS; tests poll with bounded deadlines.
"""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from paykeep.webhooks import construct_event
from support.receiver import HANG, Receiver, always, fail_first, wait_until
from support.server import PaykeepServer

DELAYS = "1.0,1.0"  # 3 attempts; a second apart, so every attempt's `t=` differs
ATTEMPTS = 3


@pytest.fixture(scope="module")
def hook_server(tmp_path_factory):
    srv = PaykeepServer(
        tmp_path_factory.mktemp("hooks"),
        # live-mode endpoints here are local receivers: allowed by name (API.md §12)
        env={"PAYKEEP_WEBHOOK_RETRY_DELAYS": DELAYS, "PAYKEEP_WEBHOOK_TIMEOUT": "1.5",
             "PAYKEEP_WEBHOOK_ALLOW_NETWORKS": "127.0.0.1/32"},
    ).start()
    yield srv
    srv.stop()


@pytest.fixture
def api(hook_server):
    with hook_server.client() as client:
        yield client


@pytest.fixture
def hooks(hook_server):
    """make(respond, events, key) -> (receiver, endpoint); deletes endpoints, closes receivers after."""
    made: list[tuple[Receiver, dict, str]] = []

    def make(respond=None, events=("*",), key=None):
        receiver = Receiver(respond=respond or always(200))
        with hook_server.client(key) as client:
            resp = client.post(
                "/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": list(events)}
            )
        assert resp.status_code == 200, resp.text
        made.append((receiver, resp.json(), key or hook_server.sk))
        return receiver, resp.json()

    yield make
    for receiver, endpoint, key in made:
        with hook_server.client(key) as client:
            client.delete(f"/v1/webhook_endpoints/{endpoint['id']}")
        receiver.close()


def new_customer(client, **data):
    resp = client.post("/v1/customers", data={"email": f"{uuid.uuid4().hex[:10]}@example.com", **data})
    assert resp.status_code == 200, resp.text
    return resp.json()


def event_of(client, object_id, event_type="customer.created"):
    found = client.get("/v1/events", params={"type": event_type, "limit": 100}).json()["data"]
    (event,) = [e for e in found if e["data"]["object"]["id"] == object_id]
    return event


def attempts(client, endpoint_id, **params):
    resp = client.get(f"/v1/webhook_endpoints/{endpoint_id}/attempts", params={"limit": 100, **params})
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


def test_delivery_is_signed_and_verifiable(api, hooks):
    receiver, endpoint = hooks()
    cus = new_customer(api)
    (req,) = receiver.wait_count(1)
    event = construct_event(req.body, req.signature, endpoint["secret"])
    stored = event_of(api, cus["id"])
    assert event["id"] == stored["id"] and event["type"] == "customer.created"
    assert event["data"]["object"] == cus
    assert event["pending_webhooks"] == 1  # as sent: not yet acknowledged
    assert req.path == "/hooks" and req.headers["Content-Type"].startswith("application/json")
    t = int(req.signature.split(",")[0].removeprefix("t="))
    assert abs(t - req.at) <= 5
    assert wait_until(lambda: event_of(api, cus["id"])["pending_webhooks"] == 0)
    ok_ids = [
        e["id"]
        for e in api.get("/v1/events", params={"delivery_success": "true", "limit": 100}).json()["data"]
    ]
    assert event["id"] in ok_ids
    (attempt,) = attempts(api, endpoint["id"])
    assert attempt["object"] == "webhook_attempt" and attempt["event"] == event["id"]
    assert attempt["attempt"] == 1 and attempt["outcome"] == "succeeded" and attempt["status_code"] == 200
    assert attempt["delivery_status"] == "succeeded" and attempt["delivery_next_attempt"] is None
    assert attempt["response_excerpt"] == "ok" and attempt["latency_ms"] >= 0 and attempt["error"] is None


def test_customer_events_arrive_in_full(api, hooks):
    receiver, endpoint = hooks(events=["customer.created", "customer.updated", "customer.deleted"])
    cus = new_customer(api, name="Before")
    api.post(f"/v1/customers/{cus['id']}", data={"name": "After"})
    api.delete(f"/v1/customers/{cus['id']}")
    got = receiver.wait_count(3)
    by_type = {r.event["type"]: construct_event(r.body, r.signature, endpoint["secret"]) for r in got}
    assert set(by_type) == {"customer.created", "customer.updated", "customer.deleted"}
    assert by_type["customer.updated"]["data"]["previous_attributes"] == {"name": "Before"}
    assert by_type["customer.updated"]["request"]["id"].startswith("req_")
    assert all(e["data"]["object"]["id"] == cus["id"] for e in by_type.values())


def test_two_endpoints_each_get_one_and_unsubscribed_get_none(api, hooks):
    every, _ = hooks(events=["*"])
    created_only, _ = hooks(events=["customer.created"])
    deleted_only, deleted_we = hooks(events=["customer.deleted"])
    cus = new_customer(api)
    assert wait_until(lambda: event_of(api, cus["id"])["pending_webhooks"] == 0)
    assert event_of(api, cus["id"])["id"] in every.event_ids()
    assert every.event_ids() == created_only.event_ids() == [event_of(api, cus["id"])["id"]]
    assert deleted_only.snapshot() == [] and attempts(api, deleted_we["id"]) == []


def test_a_test_event_never_reaches_a_live_endpoint(hook_server, api, hooks):
    test_rcv, _ = hooks()
    live_rcv, _ = hooks(key=hook_server.sk_live)
    test_cus = new_customer(api)
    with hook_server.client(hook_server.sk_live) as live:
        live_cus = new_customer(live)
        live_event = event_of(live, live_cus["id"])
        assert live_event["livemode"] is True
    test_rcv.wait_count(1)
    live_rcv.wait_count(1)
    assert wait_until(lambda: event_of(api, test_cus["id"])["pending_webhooks"] == 0)
    assert [r.event["data"]["object"]["id"] for r in test_rcv.snapshot()] == [test_cus["id"]]
    assert [r.event["data"]["object"]["id"] for r in live_rcv.snapshot()] == [live_cus["id"]]


def test_fails_twice_then_succeeds_with_the_same_event_and_fresh_signatures(api, hooks):
    receiver, endpoint = hooks(respond=fail_first(2))
    cus = new_customer(api)
    got = receiver.wait_count(3)
    ids = {r.event["id"] for r in got}
    assert ids == {event_of(api, cus["id"])["id"]}
    signatures = [r.signature for r in got]
    assert len(set(signatures)) == 3
    stamps = [int(s.split(",")[0].removeprefix("t=")) for s in signatures]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    for r in got:
        construct_event(r.body, r.signature, endpoint["secret"])
    assert wait_until(lambda: event_of(api, cus["id"])["pending_webhooks"] == 0)
    history = wait_until(lambda: (h := attempts(api, endpoint["id"])) and len(h) == 3 and h)
    assert [a["attempt"] for a in history] == [3, 2, 1]  # newest first
    assert [a["status_code"] for a in history] == [200, 500, 500]
    assert [a["outcome"] for a in history] == ["succeeded", "failed", "failed"]
    assert {a["delivery"] for a in history} == {history[0]["delivery"]}
    assert history[2]["response_excerpt"] == "not yet"
    page = api.get(f"/v1/webhook_endpoints/{endpoint['id']}/attempts", params={"limit": 2}).json()
    assert page["has_more"] is True and [a["attempt"] for a in page["data"]] == [3, 2]
    rest = api.get(
        f"/v1/webhook_endpoints/{endpoint['id']}/attempts", params={"starting_after": page["data"][1]["id"]}
    ).json()
    assert [a["attempt"] for a in rest["data"]] == [1] and rest["has_more"] is False


def test_always_failing_is_attempted_exactly_n_times_then_failed(api, hooks):
    receiver, endpoint = hooks(respond=always(500, b"x" * 5000))
    cus = new_customer(api)
    event_id = event_of(api, cus["id"])["id"]

    def finished():
        history = attempts(api, endpoint["id"])
        return history if history and history[0]["delivery_status"] == "failed" else None

    history = wait_until(finished, timeout=20)
    assert len(history) == ATTEMPTS and len(receiver.snapshot()) == ATTEMPTS
    assert all(a["outcome"] == "failed" and a["status_code"] == 500 for a in history)
    assert all(len(a["response_excerpt"]) == 1024 for a in history)  # first 1 KB only
    assert history[0]["delivery_next_attempt"] is None
    event = event_of(api, cus["id"])
    assert event["pending_webhooks"] == 1
    failing = api.get("/v1/events", params={"delivery_success": "false", "limit": 100}).json()["data"]
    assert event_id in [e["id"] for e in failing]


def test_a_redirect_is_a_failure_and_is_not_followed(api, hooks):
    target = Receiver()
    try:
        receiver, endpoint = hooks(respond=always(302, b"", {"Location": target.url}))
        new_customer(api)
        history = wait_until(lambda: (h := attempts(api, endpoint["id"])) and len(h) >= 2 and h)
        assert all(a["status_code"] == 302 and a["outcome"] == "failed" for a in history)
        assert history[-1]["error"] == "redirect not followed"
        assert target.snapshot() == []
    finally:
        target.close()


def test_a_receiver_that_never_answers_times_out_and_is_tried_again(api, hooks):
    receiver, endpoint = hooks(respond=lambda n, _req: HANG if n == 1 else (200, {}, b"late ok"))
    cus = new_customer(api)
    got = receiver.wait_count(2, timeout=20)
    assert {r.event["id"] for r in got} == {event_of(api, cus["id"])["id"]}
    history = wait_until(lambda: (h := attempts(api, endpoint["id"])) and len(h) == 2 and h)
    first, second = history[1], history[0]
    assert first["outcome"] == "failed" and first["status_code"] is None and "timeout" in first["error"]
    assert 1400 <= first["latency_ms"] < 5000
    assert second["outcome"] == "succeeded" and second["response_excerpt"] == "late ok"


def test_a_slow_endpoint_does_not_delay_the_others(api, hooks):
    slow, _ = hooks(respond=lambda _n, _req: HANG)
    fast, _ = hooks()
    for _ in range(10):
        new_customer(api)
    fast.wait_count(10, timeout=10)
    # While the slow endpoint holds its first requests (timeout 1.5 s), at most 4 were sent to it at once.
    assert len(slow.snapshot()) <= 4
    assert slow.max_in_flight <= 4


def test_disabling_an_endpoint_stops_its_retries(api, hooks):
    failing, failing_we = hooks(respond=always(500), events=["customer.created"])
    canary, _ = hooks(respond=fail_first(1), events=["customer.updated"])
    cus = new_customer(api)
    failing.wait_count(1)
    resp = api.post(f"/v1/webhook_endpoints/{failing_we['id']}", data={"disabled": "true"})
    assert resp.json()["status"] == "disabled"
    history = wait_until(
        lambda: (h := attempts(api, failing_we["id"])) and h[0]["delivery_status"] == "canceled" and h
    )
    assert history[0]["delivery_next_attempt"] is None
    api.post(f"/v1/customers/{cus['id']}", data={"name": "later"})
    canary.wait_count(2)  # the canary's retry came after the disabled endpoint's retry was due
    assert len(failing.snapshot()) == 1
    assert event_of(api, cus["id"])["pending_webhooks"] == 1  # canceled: never acknowledged


def test_resend_from_the_cli(hook_server, api, hooks):
    receiver, endpoint = hooks(events=["customer.created"])
    other, other_we = hooks(events=["customer.deleted"])
    cus = new_customer(api)
    event_id = event_of(api, cus["id"])["id"]
    receiver.wait_count(1)
    out = hook_server.cli("events", "resend", event_id).stdout
    assert f"{event_id} -> {endpoint['id']}" in out and out.startswith("queued wd_")
    receiver.wait_count(2)
    assert receiver.event_ids() == [event_id, event_id]
    out = hook_server.cli("events", "resend", event_id, "--endpoint", other_we["id"]).stdout
    assert f"-> {other_we['id']}" in out
    (req,) = other.wait_count(1)
    assert construct_event(req.body, req.signature, other_we["secret"])["id"] == event_id
    assert wait_until(lambda: event_of(api, cus["id"])["pending_webhooks"] == 0)
    missing = hook_server.cli("events", "resend", "evt_0000000000000000000", check=False)
    assert missing.returncode != 0 and "No such event" in missing.stderr


def test_survives_sigkill_with_deliveries_pending(tmp_path):
    """Deliveries pending (receiver down) when the server is SIGKILLed all complete after a restart."""
    srv = PaykeepServer(
        tmp_path / "srv",
        env={"PAYKEEP_WEBHOOK_RETRY_DELAYS": ",".join(["0.5"] * 60), "PAYKEEP_WEBHOOK_TIMEOUT": "1"},
    ).start()
    receiver = Receiver(respond=always(503))
    try:
        with srv.client() as client:
            endpoint = client.post(
                "/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "*"}
            ).json()
            customers = [new_customer(client)["id"] for _ in range(20)]
            created = {e["id"] for e in client.get("/v1/events", params={"limit": 100}).json()["data"]}
        assert len(created) == 20
        receiver.wait_for(lambda reqs: {r.event["id"] for r in reqs} == created)  # all tried, all failed
        srv.kill()
        receiver.respond = always(200)
        before = len(receiver.snapshot())
        srv.start()
        got = receiver.wait_for(
            lambda reqs: (
                {
                    r.event["id"]
                    for r in reqs[before:]
                    if r.headers and construct_event(r.body, r.signature, endpoint["secret"])
                }
                == created
            ),
            timeout=40,
        )
        # none lost, none under a new id (a request the SIGKILL cut off mid-body is no delivery)
        assert {r.event["id"] for r in got if r.body} == created
        with srv.client() as client:
            assert wait_until(
                lambda: all(
                    e["pending_webhooks"] == 0
                    for e in client.get("/v1/events", params={"limit": 100}).json()["data"]
                ),
                timeout=20,
            )
            assert {
                e["data"]["object"]["id"]
                for e in client.get("/v1/events", params={"limit": 100}).json()["data"]
            } == set(customers)
    finally:
        srv.stop()
        receiver.close()


def test_worker_processes_beside_serve_no_worker_deliver_each_event_once(tmp_path):
    """`serve --no-worker` + two `paykeep worker` processes: claims are exclusive; each event arrives once."""
    srv = PaykeepServer(tmp_path / "srv", worker=False).start()
    receiver = Receiver()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "paykeep", "worker"],
            env=srv.env,
            cwd=srv.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        with srv.client() as client:
            endpoint = client.post(
                "/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "customer.created"}
            ).json()
            for _ in range(40):
                new_customer(client)
            created = [e["id"] for e in client.get("/v1/events", params={"limit": 100}).json()["data"]]
            assert len(created) == 40
            assert wait_until(
                lambda: all(
                    e["pending_webhooks"] == 0
                    for e in client.get("/v1/events", params={"limit": 100}).json()["data"]
                ),
                timeout=30,
            )
            assert sorted(receiver.event_ids()) == sorted(created)
            assert len(attempts(client, endpoint["id"])) == 40
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.wait(15)
        srv.stop()
        receiver.close()
