"""Uncaptured authorizations expire after 7 days: `expire_uncaptured` with an injected clock, on the server's
database (the worker runs the same function every few seconds: tests/api/test_payment_intents.py)."""

from __future__ import annotations

from paykeep import bootstrap
from paykeep.adapters.clock import ManualClock
from paykeep.config import Settings
from paykeep.services.payment_intents import expire_uncaptured
from support.payments import events_for, pay


def _expire_at(server, now_ms: int) -> int:
    settings = Settings.from_env(database_url=server.db_url, key_file=server.key_file)
    runtime = bootstrap.build_runtime(settings, clock=ManualClock(now_ms))
    try:
        return expire_uncaptured(runtime.deps)
    finally:
        runtime.close()


def test_expiry_boundary_with_an_injected_clock(fresh_server):
    with fresh_server.client() as api:
        pi = pay(api, "4242424242424242", capture_method="manual").json()
        assert pi["status"] == "requires_capture"
        charge = api.get(f"/v1/payment_intents/{pi['id']}", params={"expand[]": "latest_charge"}).json()
        capture_before = charge["latest_charge"]["payment_method_details"]["card"]["capture_before"]
        assert capture_before - charge["created"] >= 7 * 24 * 3600 * 1000 - 5_000

        captured = pay(api, "4242424242424242", capture_method="manual").json()
        api.post(f"/v1/payment_intents/{captured['id']}/capture", json={})

        assert _expire_at(fresh_server, capture_before - 1) == 0  # one millisecond early: still capturable
        assert api.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == "requires_capture"

        assert _expire_at(fresh_server, capture_before + 1) == 1  # only the uncaptured one
        expired = api.get(f"/v1/payment_intents/{pi['id']}").json()
        assert expired["status"] == "canceled" and expired["cancellation_reason"] == "automatic"
        assert expired["amount_capturable"] == 0 and expired["canceled_at"] > 0
        assert events_for(api, pi["id"]) == ["payment_intent.created",
                                             "payment_intent.amount_capturable_updated",
                                             "payment_intent.canceled"]
        released = api.get(f"/v1/payment_intents/{pi['id']}", params={"expand[]": "latest_charge"}).json()
        charge = released["latest_charge"]
        assert charge["refunded"] is True and charge["captured"] is False
        assert api.get(f"/v1/payment_intents/{captured['id']}").json()["status"] == "succeeded"

        assert _expire_at(fresh_server, capture_before + 10_000) == 0  # nothing left to do: idempotent
