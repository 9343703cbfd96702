"""`confirmation_method=manual` (API.md §9): after the cardholder passes the challenge the PaymentIntent waits
in requires_confirmation for the server's confirm, which then completes without a second challenge (Stripe's
"finalize payments on the server")."""

from __future__ import annotations

from support.assertions import assert_error
from support.payments import answer_challenge, events_for, next_action_url, pay


def test_a_passed_challenge_waits_for_the_servers_confirm(api):
    pi = pay(api, "4000002760003184", confirmation_method="manual").json()  # challenged every time
    assert pi["status"] == "requires_action" and pi["confirmation_method"] == "manual"
    answer_challenge(next_action_url(pi))
    waiting = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert waiting["status"] == "requires_confirmation" and waiting["next_action"] is None
    assert waiting["latest_charge"] is None
    done = api.post(f"/v1/payment_intents/{pi['id']}/confirm")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "succeeded" and done.json()["latest_charge"]
    card = api.get(f"/v1/charges/{done.json()['latest_charge']}").json()["payment_method_details"]["card"]
    assert card["three_d_secure"]["result"] == "authenticated"
    assert events_for(api, pi["id"]) == ["payment_intent.created", "payment_intent.requires_action",
                                         "payment_intent.succeeded"]
    assert_error(api.post(f"/v1/payment_intents/{pi['id']}/confirm"), 400, "payment_intent_unexpected_state")


def test_a_failed_challenge_fails_as_before_and_automatic_goes_on_at_once(api):
    pi = pay(api, "4000002760003184", confirmation_method="manual").json()
    answer_challenge(next_action_url(pi), "fail")
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == "requires_payment_method"
    auto = pay(api, "4000002760003184").json()
    answer_challenge(next_action_url(auto))
    assert api.get(f"/v1/payment_intents/{auto['id']}").json()["status"] == "succeeded"
