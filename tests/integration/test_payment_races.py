"""No double charge: concurrent confirms of one PaymentIntent authorize it once (row lock, transitions)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from support.payments import RETURN_URL, card, events_for
from support.runtime import caller_for, open_runtime

CONFIRMS = 20


def _intent(api: httpx.Client, **extra: object) -> dict:
    resp = api.post("/v1/payment_intents", json={
        "amount": 4200, "currency": "usd", "return_url": RETURN_URL,
        "payment_method_data": {"type": "card", "card": card("4242424242424242")}, **extra,
    })
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "requires_confirmation"
    return resp.json()


def _race(server, intent_id: str, headers_for) -> list[httpx.Response]:
    """CONFIRMS clients, lined up on a barrier, confirm the same intent at once."""
    barrier = threading.Barrier(CONFIRMS, timeout=30)

    def confirm(i: int) -> httpx.Response:
        with server.client() as client:
            barrier.wait()
            return client.post(f"/v1/payment_intents/{intent_id}/confirm", json={}, headers=headers_for(i))

    with ThreadPoolExecutor(CONFIRMS) as pool:
        return list(pool.map(confirm, range(CONFIRMS)))


def _charges(server, intent_id: str) -> int:
    with open_runtime(server) as runtime, runtime.deps.begin(write=False) as uow:
        return int(uow.charges.count(caller_for(server).scope, payment_intent=intent_id))


def test_twenty_concurrent_confirms_charge_once(server, api):
    pi = _intent(api)
    responses = _race(server, pi["id"], lambda i: {})
    statuses = sorted(r.status_code for r in responses)
    assert all(s < 500 for s in statuses), [r.text for r in responses if r.status_code >= 500]
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1, statuses
    assert winners[0].json()["status"] == "succeeded"
    for loser in responses:
        if loser.status_code != 200:
            # the second confirm sees the new state (400) or, at worst, is told to retry (429 lock_timeout)
            assert loser.status_code in (400, 429), loser.text
            if loser.status_code == 400:
                assert loser.json()["error"]["code"] == "payment_intent_unexpected_state"
    assert _charges(server, pi["id"]) == 1
    assert events_for(api, pi["id"]).count("payment_intent.succeeded") == 1
    final = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert final["status"] == "succeeded" and final["latest_charge"] == winners[0].json()["latest_charge"]


def test_concurrent_retries_with_one_idempotency_key_charge_once(server, api):
    pi = _intent(api)
    responses = _race(server, pi["id"], lambda i: {"Idempotency-Key": f"retry-{pi['id']}"})
    assert all(r.status_code in (200, 409) for r in responses), [r.text for r in responses]
    bodies = {r.text for r in responses if r.status_code == 200}
    assert len(bodies) == 1  # the first response, replayed to every retry that came after it
    assert _charges(server, pi["id"]) == 1
    assert events_for(api, pi["id"]).count("payment_intent.succeeded") == 1


def test_concurrent_manual_captures_capture_once(server, api):
    pi = _intent(api, capture_method="manual")
    assert api.post(f"/v1/payment_intents/{pi['id']}/confirm", json={}).json()["status"] == "requires_capture"
    barrier = threading.Barrier(10, timeout=30)

    def capture(_i: int) -> httpx.Response:
        with server.client() as client:
            barrier.wait()
            return client.post(f"/v1/payment_intents/{pi['id']}/capture", json={"amount_to_capture": 1000})

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(capture, range(10)))
    assert [r.status_code for r in responses].count(200) == 1
    assert all(r.status_code in (200, 400, 429) for r in responses)
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["amount_received"] == 1000


def test_concurrent_refunds_never_exceed_the_payment(server, api):
    resp = api.post("/v1/payment_intents", json={
        "amount": 1000, "currency": "usd", "confirm": True,
        "payment_method_data": {"type": "card", "card": card("4242424242424242")},
    })
    pi = resp.json()
    barrier = threading.Barrier(10, timeout=30)

    def refund(_i: int) -> httpx.Response:
        with server.client() as client:
            barrier.wait()
            return client.post("/v1/refunds", json={"payment_intent": pi["id"], "amount": 300})

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(refund, range(10)))
    assert [r.status_code for r in responses].count(200) == 3  # 3 x 300 <= 1000 < 4 x 300
    assert all(r.status_code in (200, 400, 429) for r in responses)
    refunded = api.get("/v1/refunds", params={"payment_intent": pi["id"]}).json()["data"]
    assert sum(r["amount"] for r in refunded) == 900
