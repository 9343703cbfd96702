"""The dashboard home's "Saved cards" count: only cards attached to a customer and usable (issue 19: three
saved, four shown). Declined cards, cards still waiting for 3-D Secure, detached and expired ones are not."""

from __future__ import annotations

import html
import re

import httpx

from support.dashboard import DashboardClient
from support.server import PaykeepServer


def _saved_cards_tile(dash: DashboardClient) -> int:
    page = html.unescape(dash.get("/dashboard").text)
    found = re.search(r'<span class="count">(\d+)</span>\s*<span>Saved cards</span>', page)
    assert found, "no Saved cards tile on the home page"
    return int(found.group(1))


def _save(api: httpx.Client, customer: str, number: str, exp_year: int = 2036) -> httpx.Response:
    return api.post("/v1/setup_intents", json={
        "customer": customer, "confirm": True, "payment_method_types": ["card"],
        "return_url": "https://shop.example/back",
        "payment_method_data": {"type": "card", "card": {"number": number, "exp_month": 4,
                                                         "exp_year": exp_year, "cvc": "314"}},
    })


def test_saved_cards_counts_only_attached_usable_cards(fresh_server: PaykeepServer) -> None:
    with fresh_server.client() as api, DashboardClient(fresh_server) as dash:
        dash.sign_in()
        assert _saved_cards_tile(dash) == 0
        customer = api.post("/v1/customers", data={"email": "count@example.com"}).json()["id"]
        cards = ("4242424242424242", "5555555555554444", "6011111111111117")
        saved = [_save(api, customer, n) for n in cards]
        assert [r.json()["status"] for r in saved] == ["succeeded"] * 3
        declined = _save(api, customer, "4000000000000002")
        assert declined.status_code == 402
        pending = _save(api, customer, "4000002500003155")
        assert pending.json()["status"] == "requires_action"
        unattached = api.post("/v1/payment_methods", data={
            "type": "card", "card[number]": "4242424242424242", "card[exp_month]": "4",
            "card[exp_year]": "2036", "card[cvc]": "314"})
        assert unattached.status_code == 200, unattached.text
        listed = api.get(f"/v1/customers/{customer}/payment_methods", params={"type": "card"}).json()
        assert len(listed["data"]) == 3
        assert _saved_cards_tile(dash) == 3  # the case: 3 saved (it showed more)

        detached = api.post(f"/v1/payment_methods/{saved[0].json()['payment_method']}/detach")
        assert detached.status_code == 200, detached.text
        assert _saved_cards_tile(dash) == 2
