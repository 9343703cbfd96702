"""Every save-card flow run with sentinel card numbers and CVCs, then every byte of the database, the server's
log, every API response, page and redirect, and every event searched for them: none may appear (API.md §7)."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import JSON, LargeBinary, MetaData, create_engine, select

from paykeep.config import normalise_db_url
from paykeep.web.pages.dashboard.render import detail_url
from support.cards import TABLE, form_pairs, luhn_complete, post, standalone
from support.dashboard import DashboardClient
from support.databases import dump_database_bytes
from support.server import PaykeepServer

CVC3, CVC4 = "947", "8361"
RETURN_URL = "https://shop.example/back?order=1"
_LOG_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", re.MULTILINE)


def sentinel(prefix: str, length: int, rng: random.Random) -> str:
    """A Luhn-valid number not in the test-card table (so frictionless) whose last four are not a CVC."""
    while True:
        middle = "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
        number = luhn_complete(prefix + middle)
        if not number.endswith((CVC4, CVC3)):
            return number


def with_cvc(values: dict[str, Any]) -> dict[str, Any]:
    if values.get("cvc") in ("022", "1234"):
        return {**values, "cvc": CVC4 if values["number"].startswith(("34", "37")) else CVC3}
    return values


class Recorder:
    """Every response (status line, headers and body) the test received."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.texts.append(f"{response.status_code} {dict(response.headers)}\n{response.text}")


@pytest.fixture
def recorded(fresh_server: PaykeepServer) -> Iterator[tuple[PaykeepServer, httpx.Client, Recorder]]:
    recorder = Recorder()
    with httpx.Client(base_url=fresh_server.base_url, auth=(fresh_server.sk, ""), timeout=30,
                      event_hooks={"response": [recorder]}) as client:
        yield fresh_server, client, recorder


def test_no_card_number_or_cvc_anywhere(recorded: tuple[PaykeepServer, httpx.Client, Recorder]) -> None:
    server, api, recorder = recorded
    rng = random.Random()
    visa, amex = sentinel("4", 16, rng), sentinel("37", 15, rng)
    cards = [with_cvc(row.card) for row in TABLE] + [
        {"number": visa, "exp_month": "07", "exp_year": "2031", "cvc": CVC3, "name": "Sentinel Visa"},
        {"number": amex, "exp_month": 7, "exp_year": 31, "cvc": CVC4, "name": "Sentinel Amex"},
    ]
    numbers = sorted({c["number"] for c in cards})
    page_client = httpx.Client(timeout=30, event_hooks={"response": [recorder]})

    def customer() -> str:
        email = f"{uuid.uuid4().hex[:8]}@example.com"
        return str(api.post("/v1/customers", data={"email": email}).json()["id"])

    # 1. Save every card the seed's way (JSON and form, idempotency keys, replayed once), answer challenges.
    saved: list[tuple[str, str]] = []
    for i, values in enumerate(cards):
        encoding = "json" if i % 2 == 0 else "form"
        cus = customer()
        body = {"confirm": True, "customer": cus, "payment_method_types": ["card"], "usage": "on_session",
                "payment_method_data": {"type": "card", "card": values}, "return_url": RETURN_URL}
        key = {"Idempotency-Key": uuid.uuid4().hex}
        resp = post(api, "/v1/setup_intents", body, encoding, headers=key)
        assert post(api, "/v1/setup_intents", body, encoding, headers=key).text == resp.text  # replayed
        seti = resp.json()["error"]["setup_intent"] if resp.status_code == 402 else resp.json()
        if seti["status"] == "requires_action":
            url = seti["next_action"]["challenge_redirect"]["url"]
            page_client.get(url)
            page_client.post(url, data={"outcome": "complete" if i % 3 else "fail"})
            page_client.post(url, data={"outcome": "complete"})  # a second answer: the error page
            seti = api.get(f"/v1/setup_intents/{seti['id']}").json()
        if seti["status"] == "succeeded":
            saved.append((cus, seti["payment_method"]))

    # 2. PaymentMethods directly (a publishable key too), update, attach, detach; confirm by id; delete.
    with httpx.Client(base_url=server.base_url, auth=(server.pk, ""), timeout=30,
                      event_hooks={"response": [recorder]}) as public:
        for values in cards[-2:]:
            pm = post(public, "/v1/payment_methods", {"type": "card", "card": values}, "form").json()
            cus = customer()
            api.post(f"/v1/payment_methods/{pm['id']}", data={"card[exp_month]": "11", "metadata[k]": "v"})
            api.post(f"/v1/payment_methods/{pm['id']}/attach", data={"customer": cus})
            api.post("/v1/setup_intents", data={"confirm": "true", "customer": cus,
                                                "payment_method": pm["id"], "return_url": RETURN_URL})
            api.post(f"/v1/payment_methods/{pm['id']}/detach")
    seti = api.post("/v1/setup_intents", data={"customer": saved[0][0]}).json()
    post(api, f"/v1/setup_intents/{seti['id']}/confirm",
         {"payment_method_data": {"type": "card", "card": cards[-1]}, "return_url": RETURN_URL}, "form")
    api.get(f"/v1/customers/{saved[0][0]}/payment_methods")
    api.get("/v1/payment_methods", params={"customer": saved[1][0], "expand[]": "data.customer"})
    api.get("/v1/setup_intents", params={"expand[]": "data.payment_method", "limit": 100})
    api.delete(f"/v1/customers/{saved[1][0]}")

    # 3. Mistakes that echo parameters back: unknown fields, wrong types, bad values around the card data.
    post(api, "/v1/payment_methods", {"type": "card", "card": {**cards[-1], "pin": visa}})
    post(api, "/v1/payment_methods", {"type": "card", "card": {**cards[-1], "number": {"nested": visa}}})
    post(api, "/v1/payment_methods", {"type": "card", "card": {**cards[-1], "cvc": [CVC3]}})
    post(api, "/v1/payment_methods", {"type": "card", "card": {**cards[-1], "exp_month": visa}}, "form")
    post(api, "/v1/payment_methods", {"type": "card", "card": {**cards[-1], "number": visa[:-1] + "x"}})
    post(api, "/v1/setup_intents", {"confirm": True, "payment_method_data": {"type": "card", "card": {
        **cards[-2], "cvc": CVC3}}})  # an amex with a 3-digit CVC
    api.post("/v1/setup_intents", content="{" + f'"payment_method_data": {{"card": {{"number": "{visa}"',
             headers={"Content-Type": "application/json"})  # broken JSON
    api.post("/v1/payment_methods", content="&".join(f"{k}={v}" for k, v in form_pairs(
        {"type": "card", "card": cards[-1]})).encode() + b"&card[cvc]=%ff", headers={
        "Content-Type": "application/x-www-form-urlencoded"})

    # 4. Charging later, when the payments slice is there: on-session with raw card data, off-session saved.
    if api.get("/v1/payment_intents", params={"limit": 1}).status_code == 200:
        for values in cards[-2:]:
            post(api, "/v1/payment_intents", {"amount": 2500, "currency": "usd", "confirm": True,
                                              "payment_method_data": {"type": "card", "card": values},
                                              "return_url": RETURN_URL})
        for cus, pm in saved[:3]:
            api.post("/v1/payment_intents", json={"amount": 1200, "currency": "USD", "confirm": True,
                                                  "off_session": True, "customer": cus, "payment_method": pm})

    # 5. Every event, through the API when it is there (the database dump below holds them all anyway).
    events: list[str] = []
    starting_after = None
    for _ in range(100):
        resp = api.get("/v1/events", params={"limit": 100, **({"starting_after": starting_after}
                                                               if starting_after else {})})
        if resp.status_code != 200:
            break
        events += [str(e) for e in resp.json()["data"]]
        if not resp.json()["has_more"]:
            break
        starting_after = resp.json()["data"][-1]["id"]
    page_client.close()

    # 6. The dashboard's pages about all of it: customers, cards, intents, charges, events.
    with DashboardClient(server) as dash:
        dash.http.event_hooks["response"].append(recorder)
        dash.sign_in()
        ids = [i for pair in saved[:4] for i in pair]
        for path in ("setup_intents", "payment_intents", "events"):
            listing = dash.get(f"/dashboard/{path}").text
            ids += re.findall(r'href="/dashboard/[a-z_]+/((?:seti|pi|evt)_\d+)"', listing)[:6]
        for intent in api.get("/v1/payment_intents", params={"limit": 5}).json().get("data", []):
            ids += [i for i in (intent.get("latest_charge"), intent.get("payment_method")) if i]
        for object_id in dict.fromkeys(ids):
            page = dash.get(detail_url(object_id) or "/dashboard")
            assert page.status_code == 200, (object_id, page.status_code)
        assert {i.split("_")[0] for i in ids} >= {"cus", "pm", "seti", "pi", "ch", "evt"}, ids

    # -- the scan --------------------------------------------------------------------------------------------
    assert len(saved) >= 12 and len(recorder.texts) > 100
    places = {
        "database bytes": dump_database_bytes(server.db_url).decode("latin-1"),
        "database values": "\n".join(_text_values(server.db_url)),
        "server log": _LOG_TIME.sub("", server.logs()),
        "API responses and pages": "\n".join(recorder.texts),
        "events": "\n".join(events),
    }
    leaks = []
    for place, text in places.items():
        for number in numbers:
            if number in text or number[:12] in text and number in (visa, amex):
                leaks.append(f"card number ••••{number[-4:]} in {place}")
        for cvc in (CVC3, CVC4):
            match = standalone(cvc).search(text)
            if match:
                leaks.append(f"CVC {cvc} in {place}: …{text[max(0, match.start() - 60):match.end() + 20]!r}…")
    assert leaks == []
    assert f'"last4":"{visa[-4:]}"' in places["API responses and pages"]  # the sentinel cards did go through


def test_the_scan_sees_a_cvc_standing_alone() -> None:
    for text in ('{"cvc":"947"}', "card[cvc]=947&x", "cvc: 947\n", "<dd>947</dd>", "947"):
        assert standalone(CVC3).search(text), text
    for text in ("seti_2125834270837947040", "_secret_ab947Cd", "1795673360947", "9.47", "06:00:03,9470"):
        assert not standalone(CVC3).search(text), text


def _text_values(url: str) -> Iterator[str]:
    """Every non-binary value of every table, as text (so a bare CVC column value would stand alone)."""
    import json

    engine = create_engine(normalise_db_url(url))
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                columns = [c for c in table.columns if not isinstance(c.type, LargeBinary)]
                for row in conn.execute(select(*columns)):
                    for column, value in zip(columns, row, strict=True):
                        if value is None or isinstance(value, bool | int | float):
                            continue
                        yield json.dumps(value) if isinstance(column.type, JSON) else str(value)
    finally:
        engine.dispose()
