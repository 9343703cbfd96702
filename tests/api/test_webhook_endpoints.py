"""/v1/webhook_endpoints: create (secret shown once), retrieve, update, delete, list, attempts; per mode."""

from __future__ import annotations

import re

import pytest

from support.dialects import STRIPE_API_VERSION

URL = "https://merchant.example/hooks"


def create(api, **extra):
    data = {"url": URL, "enabled_events[]": ["customer.created"], **extra}
    resp = api.post("/v1/webhook_endpoints", data=data)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_create_returns_the_secret_once(api, dialect):
    we = create(api, description="orders", **{"metadata[team]": "billing"})
    assert re.fullmatch(dialect.id_re("we"), we["id"]), we["id"]
    assert we["object"] == "webhook_endpoint"
    # the version its deliveries are written in: WooshPay's, or (no Stripe-Version sent) Stripe's default
    assert we["api_version"] == (STRIPE_API_VERSION if dialect.is_stripe else "2024-06-01")
    assert we["url"] == URL and we["enabled_events"] == ["customer.created"]
    assert we["status"] == "enabled" and we["livemode"] is False
    assert we["description"] == "orders" and we["metadata"] == {"team": "billing"}
    assert we["secret"].startswith("whsec_") and len(we["secret"]) >= 32
    fetched = api.get(f"/v1/webhook_endpoints/{we['id']}").json()
    assert "secret" not in fetched
    assert fetched == {k: v for k, v in we.items() if k != "secret"}
    listed = api.get("/v1/webhook_endpoints").json()["data"]
    assert all("secret" not in item for item in listed)


def test_each_endpoint_has_its_own_secret(api):
    assert create(api)["secret"] != create(api)["secret"]


def test_json_body_and_wildcard(api):
    resp = api.post("/v1/webhook_endpoints", json={"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]})
    assert resp.status_code == 200
    assert resp.json()["enabled_events"] == ["*"]


@pytest.mark.parametrize(
    "url",
    ["ftp://merchant.example/", "merchant.example/hooks", "http://", "not a url", "https://host:99999/", ""],
)
def test_bad_url_is_400_naming_url(api, url):
    resp = api.post("/v1/webhook_endpoints", data={"url": url, "enabled_events[]": "*"})
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["type"] == "invalid_request_error" and err["param"] == "url"


def test_unknown_event_type_is_400(api):
    resp = api.post(
        "/v1/webhook_endpoints", data={"url": URL, "enabled_events[]": ["customer.created", "nope.x"]}
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "enabled_events[1]"
    resp = api.post("/v1/webhook_endpoints", json={"url": URL, "enabled_events": []})
    assert resp.status_code == 400


def test_missing_and_unknown_parameters(api):
    resp = api.post("/v1/webhook_endpoints", data={"enabled_events[]": "*"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "parameter_missing"
    assert resp.json()["error"]["param"] == "url"
    resp = api.post(
        "/v1/webhook_endpoints", data={"url": URL, "enabled_events[]": "*", "secret": "whsec_mine"}
    )
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "parameter_unknown"


def test_update_url_events_description_metadata_and_disable(api):
    we = create(api, **{"metadata[a]": "1"})
    resp = api.post(
        f"/v1/webhook_endpoints/{we['id']}",
        data={
            "url": "https://other.example/h",
            "enabled_events[]": ["customer.updated", "customer.deleted"],
            "description": "new",
            "metadata[b]": "2",
            "disabled": "true",
        },
    )
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert updated["url"] == "https://other.example/h"
    assert updated["enabled_events"] == ["customer.updated", "customer.deleted"]
    assert updated["description"] == "new" and updated["metadata"] == {"a": "1", "b": "2"}
    assert updated["status"] == "disabled" and "secret" not in updated
    again = api.post(f"/v1/webhook_endpoints/{we['id']}", data={"disabled": "false"}).json()
    assert again["status"] == "enabled"
    bad = api.post(f"/v1/webhook_endpoints/{we['id']}", data={"url": "gopher://x"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "url"


def test_delete(api):
    we = create(api)
    resp = api.delete(f"/v1/webhook_endpoints/{we['id']}")
    assert resp.status_code == 200
    assert resp.json() == {"id": we["id"], "object": "webhook_endpoint", "deleted": True}
    assert api.get(f"/v1/webhook_endpoints/{we['id']}").status_code == 404
    assert api.delete(f"/v1/webhook_endpoints/{we['id']}").status_code == 404
    assert api.get(f"/v1/webhook_endpoints/{we['id']}/attempts").status_code == 404


def test_unknown_endpoint_is_404(api):
    resp = api.get("/v1/webhook_endpoints/we_0000000000000000000")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "resource_missing"


def test_list_is_newest_first_and_paginates(api):
    ids = [create(api)["id"] for _ in range(3)]
    page = api.get("/v1/webhook_endpoints", params={"limit": 2}).json()
    assert page["object"] == "list" and page["url"] == "/v1/webhook_endpoints"
    assert [e["id"] for e in page["data"]] == ids[::-1][:2] and page["has_more"] is True
    nxt = api.get("/v1/webhook_endpoints", params={"limit": 2, "starting_after": ids[1]}).json()
    assert nxt["data"][0]["id"] == ids[0]
    before = api.get("/v1/webhook_endpoints", params={"limit": 1, "ending_before": ids[0]}).json()
    assert before["data"][0]["id"] == ids[1]


def test_modes_are_separate(server, api):
    we = create(api)
    with server.client(server.sk_live) as live:
        assert live.get(f"/v1/webhook_endpoints/{we['id']}").status_code == 404
        assert we["id"] not in [
            e["id"] for e in live.get("/v1/webhook_endpoints", params={"limit": 100}).json()["data"]
        ]
        live_we = live.post("/v1/webhook_endpoints", data={"url": URL, "enabled_events[]": "*"}).json()
        assert live_we["livemode"] is True
    assert api.get(f"/v1/webhook_endpoints/{live_we['id']}").status_code == 404


def test_publishable_key_cannot_manage_endpoints(server):
    with server.client(server.pk) as client:
        resp = client.post("/v1/webhook_endpoints", data={"url": URL, "enabled_events[]": "*"})
    assert resp.status_code == 403


def test_attempts_of_a_new_endpoint_is_an_empty_list(api):
    we = create(api)
    body = api.get(f"/v1/webhook_endpoints/{we['id']}/attempts").json()
    assert body == {
        "object": "list",
        "url": f"/v1/webhook_endpoints/{we['id']}/attempts",
        "has_more": False,
        "data": [],
    }
    bad = api.get(
        f"/v1/webhook_endpoints/{we['id']}/attempts", params={"starting_after": "wa_0000000000000000000"}
    )
    assert bad.status_code == 404
