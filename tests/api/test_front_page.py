"""What a newcomer meets first (issue 19): `GET /` in a browser is a page of where to go (dashboard, API
reference, OpenAPI document, test cards), a JSON client still gets JSON; `/test-cards` lists the simulator's
cards; `paykeep init --json` gives the URLs of the server it describes, and says when it cannot know them."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import httpx

from support.server import PaykeepServer

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # Chromium's


def test_a_browser_asking_for_the_root_gets_a_page_of_links(server: PaykeepServer) -> None:
    resp = httpx.get(server.base_url + "/", headers=HTML)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in resp.headers["content-security-policy"]
    links = dict(re.findall(r'<a id="link-([a-z-]+)" href="([^"]+)"', resp.text))
    base = server.base_url
    assert links == {"dashboard": base + "/dashboard", "test-cards": base + "/test-cards",
                     "docs": base + "/docs", "openapi": base + "/openapi.json"}
    for url in links.values():  # every link leads somewhere (the dashboard to its sign-in)
        assert httpx.get(url, headers=HTML, follow_redirects=True).status_code == 200, url
    assert '<link rel="icon" href="/favicon.ico">' in resp.text
    css = httpx.get(server.base_url + "/static/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_a_json_client_asking_for_the_root_gets_json(server: PaykeepServer) -> None:
    for headers in ({"Accept": "application/json"}, {"Accept": "*/*"}, {}):
        resp = httpx.get(server.base_url + "/", headers=headers)
        assert resp.status_code == 200 and resp.headers["content-type"] == "application/json", headers
        body = resp.json()
        assert body["object"] == "paykeep"
        assert body["links"]["api"] == server.base_url + "/v1"
        assert body["links"]["openapi"] == server.base_url + "/openapi.json"
    assert httpx.get(server.base_url + "/nope").json()["error"]["type"] == "invalid_request_error"


def test_the_test_cards_page_lists_the_simulators_cards(server: PaykeepServer) -> None:
    resp = httpx.get(server.base_url + "/test-cards", headers=HTML)
    assert resp.status_code == 200
    rows = re.findall(r"<tr><td><code>(\d+)</code></td><td>(\w+)</td><td>([^<]*)", resp.text)
    numbers = {number: (brand, save) for number, brand, save in rows}
    assert numbers["4242424242424242"] == ("visa", "succeeds")
    assert numbers["4462030000000000"] == ("visa", "challenge, then succeeds")
    assert numbers["4000000000000002"][1] == "declined "
    assert len(numbers) >= 20


def test_init_json_reports_the_urls_of_the_server_it_describes(server: PaykeepServer) -> None:
    plain = json.loads(server.cli("init", "--json").stdout)["server"]
    assert plain["port_known"] is False and "8420" in plain["note"] and "--port" in plain["note"]
    assert plain["url"] == "http://127.0.0.1:8420"

    told = json.loads(server.cli("init", "--json", "--port", str(server.port)).stdout)
    assert told["server"]["port_known"] is True and "note" not in told["server"]
    assert told["server"]["url"] == server.base_url
    assert told["dashboard"]["url"] == server.base_url + "/dashboard"
    for key in ("dashboard", "openapi", "test_cards"):  # each URL answers on the running server
        assert httpx.get(told["server"][key], follow_redirects=True).status_code == 200, key
    customers = httpx.get(told["server"]["api"] + "/customers", auth=(told["test"]["secret_key"], ""))
    assert customers.status_code == 200

    public = json.loads(server.cli("init", "--json", "--public-url", "https://pay.example.test/").stdout)
    assert public["server"]["url"] == "https://pay.example.test" and public["server"]["port_known"] is True
    from_env = subprocess.run([sys.executable, "-m", "paykeep", "init", "--json"], cwd=server.dir,
                              env={**server.env, "PAYKEEP_PUBLIC_URL": "https://env.example.test"},
                              capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(from_env.stdout)["server"]["dashboard"] == "https://env.example.test/dashboard"


def test_init_prints_each_key_and_the_password_on_one_line_without_a_terminal(tmp_path) -> None:
    srv = PaykeepServer(tmp_path / "narrow", env={"COLUMNS": "40"})
    try:
        done = srv.cli("init")  # no TTY (captured), 40 columns
        lines = done.stdout.splitlines()
        secret = next(line for line in lines if "test secret key:" in line)
        assert re.fullmatch(r"  test secret key: +sk_test_\w+", secret), done.stdout
        dashboard = next(line for line in lines if line.startswith("  dashboard:"))
        shape = r"  dashboard: http://127\.0\.0\.1:8420/dashboard  \S+@\S+ / \S{12,}"
        assert re.fullmatch(shape, dashboard), done.stdout
        assert "paykeep init --port N" in done.stdout
    finally:
        srv.close()
