"""Charge-later test helpers: pay with a card, save a card, answer a 3-D Secure challenge over HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

RETURN_URL = "https://shop.example/pay/complete"
CVC = {"378282246310005": "1234"}


def card(number: str, **extra: Any) -> dict[str, Any]:
    return {"number": number, "exp_month": "04", "exp_year": "2034", "cvc": CVC.get(number, "022"),
            "name": "Test Holder", **extra}


def pay(api: httpx.Client, number: str, *, amount: int = 2500, currency: str = "USD",
        **params: Any) -> httpx.Response:
    """POST /v1/payment_intents with the card in payment_method_data, confirmed at once (JSON body)."""
    body = {"amount": amount, "currency": currency, "confirm": True, "return_url": RETURN_URL,
            "payment_method_data": {"type": "card", "card": card(number)}, **params}
    return api.post("/v1/payment_intents", json=body)


def customer(api: httpx.Client, email: str = "buyer@example.com") -> str:
    resp = api.post("/v1/customers", json={"email": email})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["id"])


def answer_challenge(url: str, outcome: str = "complete") -> dict[str, list[str]]:
    """GET the challenge page, POST the button's value; returns the redirect's query parameters."""
    page = httpx.get(url, timeout=30)
    assert page.status_code == 200, page.text
    assert 'value="complete"' in page.text and 'value="fail"' in page.text
    resp = httpx.post(url, data={"outcome": outcome}, timeout=30, follow_redirects=False)
    assert resp.status_code == 303, (resp.status_code, resp.text)
    return parse_qs(urlsplit(resp.headers["location"]).query)


def next_action_url(intent: dict[str, Any]) -> str:
    """The challenge page's URL in the next_action of an intent confirmed with a return_url, in either
    dialect's form (`challenge_redirect` or `redirect_to_url`). For helpers; a test about the next action
    asserts its own dialect's form (`Dialect.challenge_url`, tests/support/dialects.py)."""
    next_action = intent["next_action"]
    kind = next_action["type"]
    assert kind in ("challenge_redirect", "redirect_to_url"), next_action
    return str(next_action[kind]["url"])


def save_card(api: httpx.Client, number: str, customer_id: str | None = None) -> tuple[str, str]:
    """The seed's SetupIntent (create + confirm with the card), with the challenge completed if asked for.
    Returns (customer id, pm id)."""
    customer_id = customer_id or customer(api)
    resp = api.post("/v1/setup_intents", json={
        "confirm": True, "customer": customer_id, "payment_method_types": ["card"],
        "payment_method_data": {"type": "card", "card": card(number)},
        "usage": "on_session", "return_url": RETURN_URL,
    })
    assert resp.status_code == 200, resp.text
    seti = resp.json()
    if seti["status"] == "requires_action":
        answer_challenge(next_action_url(seti))
        seti = api.get(f"/v1/setup_intents/{seti['id']}").json()
    assert seti["status"] == "succeeded", seti
    return customer_id, str(seti["payment_method"])


def charge_saved(api: httpx.Client, customer_id: str, pm_id: str, *, off_session: bool,
                 amount: int = 2500, **params: Any) -> httpx.Response:
    """The seed's step 4, verbatim shape."""
    return api.post("/v1/payment_intents", json={
        "amount": amount, "currency": "USD", "confirm": True, "off_session": off_session,
        "customer": customer_id, "payment_method": pm_id, "return_url": RETURN_URL, **params,
    })


def events_for(api: httpx.Client, object_id: str, prefix: str = "payment_intent.") -> list[str]:
    """Types of the events about one object, oldest first."""
    resp = api.get("/v1/events", params={"type": prefix + "*", "limit": 100})
    assert resp.status_code == 200, resp.text
    return [e["type"] for e in reversed(resp.json()["data"]) if e["data"]["object"]["id"] == object_id]
