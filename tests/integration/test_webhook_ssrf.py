"""Webhook URLs against a real server (issue 17, finding 1): refused at creation with 400 url_invalid in every
spelling, and refused again at the attempt (nothing sent, the attempt recorded with its reason)."""

from __future__ import annotations

import pytest

from support.receiver import Receiver, wait_until
from support.server import PaykeepServer

NEVER = ["http://169.254.169.254/latest/meta-data/", "http://2852039166/", "http://0xa9fea9fe/",
         "http://[::ffff:169.254.169.254]/", "http://metadata.google.internal/computeMetadata/v1/", "http://0/",
         "https://user:pw@merchant.example/hooks"]
LIVE_ONLY = ["http://10.0.0.5/", "https://192.168.1.1/", "https://localhost:22/", "https://[::1]/",
             "https://127.0.0.3/", "http://merchant.example/hooks"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = PaykeepServer(tmp_path_factory.mktemp("ssrf"), env={"PAYKEEP_WEBHOOK_ALLOW_NETWORKS": "127.0.0.2/32",
                                                            "PAYKEEP_WEBHOOK_RETRY_DELAYS": "60"}).start()
    yield s
    s.close()


def create(srv: PaykeepServer, key: str, url: str):  # type: ignore[no-untyped-def]
    with srv.client(key) as client:
        return client.post("/v1/webhook_endpoints", data={"url": url, "enabled_events[]": "*"})


@pytest.mark.parametrize("url", NEVER)
def test_refused_in_both_modes_with_url_invalid(srv, url):
    for key in (srv.sk, srv.sk_live):
        resp = create(srv, key, url)
        assert resp.status_code == 400, (url, resp.text)
        error = resp.json()["error"]
        assert error["code"] == "url_invalid" and error["param"] == "url"
        assert "pw" not in error["message"]


def test_live_mode_takes_public_https_and_allowed_networks_only_and_updates_are_checked_too(srv):
    for url in LIVE_ONLY:
        resp = create(srv, srv.sk_live, url)
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "url_invalid", url
        assert create(srv, srv.sk, url).status_code == 200, url  # a local receiver in test mode
    we = create(srv, srv.sk_live, "https://merchant.example/hooks").json()
    with srv.client(srv.sk_live) as live:
        moved = live.post(f"/v1/webhook_endpoints/{we['id']}", data={"url": "http://169.254.169.254/"})
        assert moved.status_code == 400 and moved.json()["error"]["code"] == "url_invalid"
        assert live.get(f"/v1/webhook_endpoints/{we['id']}").json()["url"] == "https://merchant.example/hooks"
        live.delete(f"/v1/webhook_endpoints/{we['id']}")


def test_an_address_refused_at_the_attempt_gets_nothing(tmp_path):
    """A live endpoint on 127.0.0.2, allowed when it was created; once the operator drops the allowance, the
    next attempt is refused on the resolved address: recorded as failed with the reason, nothing delivered."""
    receiver = Receiver(host="127.0.0.2")
    s = PaykeepServer(tmp_path / "srv", env={"PAYKEEP_WEBHOOK_ALLOW_NETWORKS": "127.0.0.2/32",
                                              "PAYKEEP_WEBHOOK_RETRY_DELAYS": "60"}).start()
    try:
        endpoint = create(s, s.sk_live, receiver.url)
        assert endpoint.status_code == 200, endpoint.text
        we = endpoint.json()
        with s.client(s.sk_live) as live:
            live.post("/v1/customers", data={"name": "allowed"})
        receiver.wait_count(1)  # delivered while the network was allowed

        s.env.pop("PAYKEEP_WEBHOOK_ALLOW_NETWORKS")
        s.restart()
        with s.client(s.sk_live) as live:
            live.post("/v1/customers", data={"name": "refused"})

            def refused():  # type: ignore[no-untyped-def]
                rows = live.get(f"/v1/webhook_endpoints/{we['id']}/attempts").json()["data"]
                return [r for r in rows if r.get("error")]

            (attempt,) = wait_until(refused)
        assert attempt["status_code"] is None and attempt["error"].startswith("refused:")
        assert "loopback" in attempt["error"] and "127.0.0.2" not in attempt["error"]
        assert not attempt.get("response_excerpt")
        assert len(receiver.snapshot()) == 1  # the refused attempt sent nothing
    finally:
        s.close()
        receiver.close()
