"""Every parameter the oracle plans as `parameter_unsupported` is refused so by the running server (API.md §9,
issue 14 item 2), driven by tests/contract/oracle.json (tools/stripe_oracle.py): for each endpoint paykeep
serves, each such parameter alone, with the oracle's well-typed sample value, over real HTTP, answers 400
`invalid_request_error` / `parameter_unsupported` naming it, with the oracle's reason in the message.

One server for the module; one test per endpoint. Paths with ids name real objects (a customer, a card, a
SetupIntent, a PaymentIntent holding an uncaptured charge), made once."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from support.cards import form_pairs
from support.payments import RETURN_URL, card
from support.server import PaykeepServer

ORACLE = json.loads((Path(__file__).parent / "oracle.json").read_text(encoding="utf-8"))
UNSUPPORTED = "parameter_unsupported"
ENDPOINTS = [e for e in ORACLE["endpoints"]
             if e["served"] and any(p.get("plan") == UNSUPPORTED for p in e["parameters"])]


def _keys(name: str) -> list[str]:
    head, _, rest = name.partition("[")
    return [head, *re.findall(r"\[([^\]]*)\]", "[" + rest)] if rest else [head]


def payload(name: str, sample: Any) -> Any:
    """`a[][b]` with `x` -> {"a": [{"b": "x"}]} (the oracle's bracket names; `[]` is an array's one item)."""
    value = sample
    for key in reversed(_keys(name)):
        value = [value] if key == "" else {key: value}
    return value


@pytest.fixture(scope="module")
def objects(server: PaykeepServer) -> Iterator[dict[str, str]]:
    """The id for each path parameter paykeep's routes name, of a real object."""
    with server.client() as api:
        def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
            resp = api.post(path, json=body)
            assert resp.status_code == 200, resp.text
            return dict(resp.json())

        cus = made("/v1/customers", {"email": "oracle@example.com"})
        pm = made("/v1/payment_methods", {"type": "card", "card": card("4242424242424242")})
        seti = made("/v1/setup_intents", {"customer": cus["id"]})
        held = made("/v1/payment_intents", {
            "amount": 2500, "currency": "usd", "confirm": True, "capture_method": "manual",
            "return_url": RETURN_URL,
            "payment_method_data": {"type": "card", "card": card("4242424242424242")}})
        assert held["status"] == "requires_capture", held
        pi = made("/v1/payment_intents", {"amount": 1000, "currency": "usd"})
        yield {"customer_id": cus["id"], "pm_id": pm["id"], "setup_intent": seti["id"],
               "payment_intent": pi["id"], "held": held["id"], "charge_id": str(held["latest_charge"])}


def _concrete(path: str, endpoint: dict[str, Any], ids: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "intent_id":
            if path.startswith("/v1/setup_intents"):
                return ids["setup_intent"]
            return ids["held"] if path.endswith("/capture") else ids["payment_intent"]
        assert name in ids, f"{endpoint['method']} {path}: no object made for {{{name}}}"
        return ids[name]

    return re.sub(r"\{([^}]+)\}", one, path)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{e['method']} {e['path']}" for e in ENDPOINTS])
def test_every_planned_unsupported_parameter_is_refused_so(server, objects, endpoint):
    path = _concrete(endpoint["paykeep_path"], endpoint, objects)
    method = endpoint["method"]
    planned = [p for p in endpoint["parameters"] if p.get("plan") == UNSUPPORTED]
    sent, wrong = 0, []
    with server.client() as api:
        for param in planned:
            body = payload(param["name"], param["sample"])
            if method == "GET":
                pairs = form_pairs(body)
                if not pairs:
                    continue  # an empty hash in a query string is nothing at all
                resp = api.get(path + "?" + urlencode(pairs))
            else:
                resp = api.request(method, path, json=body)
            sent += 1
            expected = param["name"].replace("[]", "[0]")  # the sample's one array item
            error = resp.json().get("error") or {} if resp.status_code == 400 else {}
            message = str(error.get("message", ""))
            if (resp.status_code, error.get("type"), error.get("code"), error.get("param")) != (
                    400, "invalid_request_error", UNSUPPORTED, expected) \
                    or not message.startswith(f"Received unsupported parameter: {expected}.") \
                    or param["reason"] not in message:
                wrong.append(f"{param['name']}: {resp.status_code} {error.get('code')} "
                             f"({error.get('param')}): {message}")
    assert sent, "no planned parameter could be sent"
    assert not wrong, (f"{method} {path}: {len(wrong)} of {sent} are not refused as planned:\n"
                       + "\n".join(wrong))


def test_every_served_endpoint_with_planned_refusals_is_covered():
    served = {(e["method"], e["path"]) for e in ENDPOINTS}
    assert ("POST", "/v1/payment_intents") in served and ("POST", "/v1/checkout/sessions") in served
    assert sum(1 for e in ENDPOINTS for p in e["parameters"] if p.get("plan") == UNSUPPORTED) > 600
