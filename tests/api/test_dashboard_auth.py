"""Dashboard sign-in over real HTTP: cookies, CSRF, rate limiting, sign-out, the test/live switch, API keys,
and `init --json`'s dashboard block."""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest

from paykeep.web.pages import dashboard_routes
from support.dashboard import DashboardClient, add_user, csrf_from
from support.server import PaykeepServer


def _unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def _session_cookie_header(resp: httpx.Response) -> str:
    headers = [v for k, v in resp.headers.multi_items() if k.lower() == "set-cookie"]
    found = [h for h in headers if h.startswith("paykeep_session=")]
    assert found, headers
    return found[0]


def test_init_json_prints_the_password_only_when_it_creates_the_administrator(server: PaykeepServer) -> None:
    first = server.keys["dashboard"]
    assert first["url"].startswith("http://127.0.0.1:") and first["url"].endswith("/dashboard")  # no --port
    assert first["email"] == "admin@paykeep.local"
    assert isinstance(first["password"], str) and len(first["password"]) >= 16
    again = json.loads(server.cli("init", "--json").stdout)["dashboard"]
    assert again == {"url": first["url"], "email": first["email"], "password": None}
    human = server.cli("init").stdout
    assert first["password"] not in human


def test_session_cookie_is_signed_http_only_and_same_site_lax(server: PaykeepServer) -> None:
    with DashboardClient(server) as dash:
        resp = dash.sign_in()
        cookie = _session_cookie_header(resp).lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/dashboard" in cookie
        assert "secure" not in cookie  # the public URL is http://127.0.0.1
        assert dash.get("/dashboard").status_code == 200
        token = dash.http.cookies.get("paykeep_session")
        assert token and "." in token
        forged = token.rsplit(".", 1)[0] + "." + "0" * 64
        dash.http.cookies.clear()
        dash.http.cookies.set("paykeep_session", forged, domain="127.0.0.1", path="/dashboard")
        resp = dash.get("/dashboard")
        assert resp.status_code == 303 and resp.headers["location"].startswith("/dashboard/sign-in")


def test_cookie_is_secure_when_the_public_url_is_https(tmp_path) -> None:
    srv = PaykeepServer(tmp_path / "https", env={"PAYKEEP_PUBLIC_URL": "https://pay.example.test"}).start()
    try:
        # Secure cookies are not sent back over plain http, so this test carries the sign-in cookie by hand.
        form = httpx.get(srv.base_url + "/dashboard/sign-in")
        assert "secure" in form.headers["set-cookie"].lower()
        nonce = form.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
        email, password = srv.keys["dashboard"]["email"], srv.keys["dashboard"]["password"]
        resp = httpx.post(srv.base_url + "/dashboard/sign-in", cookies={"paykeep_signin": nonce},
                          data={"email": email, "password": password, "csrf_token": csrf_from(form.text)})
        assert resp.status_code == 303, resp.text
        cookie = _session_cookie_header(resp).lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert srv.keys["dashboard"]["url"] == "https://pay.example.test/dashboard"
    finally:
        srv.close()


def test_wrong_password_is_refused_without_a_session(server: PaykeepServer) -> None:
    with DashboardClient(server) as dash:
        resp = dash.sign_in(password="not-the-password", expect=401)
        assert "Incorrect email or password" in resp.text
        assert "paykeep_session=" not in resp.headers.get("set-cookie", "")
        assert dash.get("/dashboard").status_code == 303


def test_sign_in_form_fields_tell_password_managers_what_they_are(server: PaykeepServer) -> None:
    page = httpx.get(server.base_url + "/dashboard/sign-in").text
    assert re.search(r'<input[^>]+name="email"[^>]+autocomplete="username"', page)
    assert re.search(r'<input[^>]+name="password"[^>]+autocomplete="current-password"', page)


def test_forms_without_the_csrf_token_are_rejected(server: PaykeepServer, api: httpx.Client) -> None:
    url = f"http://127.0.0.1:9/{uuid.uuid4().hex}"
    with DashboardClient(server) as dash:
        dash.sign_in()
        for token in (None, "0" * 64):
            data = {"url": url, "enabled_events": "*"}
            if token:
                data["csrf_token"] = token
            resp = dash.http.post("/dashboard/webhooks", data=data)
            assert resp.status_code == 403, resp.text
            assert "Form rejected" in resp.text
        urls = [e["url"] for e in api.get("/v1/webhook_endpoints", params={"limit": 100}).json()["data"]]
        assert url not in urls
        # the token of another session does not work either
        with DashboardClient(server) as other:
            other.sign_in()
            foreign = csrf_from(other.get("/dashboard/webhooks/new").text)
        resp = dash.http.post("/dashboard/webhooks",
                              data={"url": url, "enabled_events": "*", "csrf_token": foreign})
        assert resp.status_code == 403
        # and with this session's token it is created
        resp = dash.submit("/dashboard/webhooks/new", "/dashboard/webhooks",
                           {"url": url, "enabled_events": "*"})
        assert resp.status_code == 303
    urls = [e["url"] for e in api.get("/v1/webhook_endpoints", params={"limit": 100}).json()["data"]]
    assert url in urls


def test_sign_in_without_the_form_token_is_rejected(server: PaykeepServer) -> None:
    email, password = server.keys["dashboard"]["email"], server.keys["dashboard"]["password"]
    resp = httpx.post(server.base_url + "/dashboard/sign-in", data={"email": email, "password": password})
    assert resp.status_code == 403
    assert "paykeep_session=" not in resp.headers.get("set-cookie", "")


def test_sign_in_attempts_are_rate_limited_per_email_and_address(server: PaykeepServer) -> None:
    email = _unique_email()
    password = "correct horse battery staple"
    add_user(server, email, password)
    with DashboardClient(server) as dash:
        for _ in range(5):
            dash.sign_in(email, "wrong password!", expect=401)
        blocked = dash.sign_in(email, password, expect=429)  # even the right password, for now
        assert 1 <= int(blocked.headers["retry-after"]) <= 60
        assert "Too many" in blocked.text
    with DashboardClient(server) as admin:  # another email from the same address is not locked out
        admin.sign_in()


def test_sign_out_ends_the_session_on_the_server(server: PaykeepServer) -> None:
    with DashboardClient(server) as dash:
        dash.sign_in()
        stolen = dash.http.cookies.get("paykeep_session")
        resp = dash.submit("/dashboard", "/dashboard/sign-out")
        assert resp.status_code == 303 and resp.headers["location"] == "/dashboard/sign-in"
    replay = httpx.get(server.base_url + "/dashboard", cookies={"paykeep_session": stolen})
    assert replay.status_code == 303 and replay.headers["location"].startswith("/dashboard/sign-in")


def _page_paths() -> list[str]:
    """Every GET page of the dashboard (path parameters filled with ids of the right shape)."""
    paths = []
    for route in (r for page_router in dashboard_routes.PAGE_ROUTERS for r in page_router.routes):
        path = getattr(route, "path", "")
        if "GET" not in getattr(route, "methods", set()) or path.endswith((".css", "/sign-in")):
            continue
        path = path.replace("{rest:path}", "no/such/page")
        path = re.sub(r"\{[a-z_]+\}", "x_1234567890123456789", path)
        paths.append(path)
    return paths


def test_a_signed_out_visitor_is_sent_to_sign_in_from_every_page(server: PaykeepServer) -> None:
    paths = _page_paths()
    assert len(paths) >= 14
    with httpx.Client(base_url=server.base_url, follow_redirects=False) as anonymous:
        for path in paths:
            resp = anonymous.get(path)
            assert resp.status_code == 303, path
            assert resp.headers["location"].startswith("/dashboard/sign-in?next="), path
        for action in ("/dashboard/webhooks", "/dashboard/mode", "/dashboard/api-keys/reveal"):
            assert anonymous.post(action, data={"x": "1"}).status_code == 303


def test_pages_carry_the_hosted_pages_security_headers(server: PaykeepServer) -> None:
    with DashboardClient(server) as dash:
        dash.sign_in()
        for path in ("/dashboard", "/dashboard/no/such/page"):
            resp = dash.get(path)
            csp = resp.headers["content-security-policy"]
            assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
            assert resp.headers["x-frame-options"] == "DENY"
            assert resp.headers["referrer-policy"] == "no-referrer"
            assert resp.headers["cache-control"] == "no-store"
        missing = dash.get("/dashboard/no/such/page")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")


def test_the_test_live_switch_scopes_every_page(server: PaykeepServer, api: httpx.Client) -> None:
    email = _unique_email()
    customer = api.post("/v1/customers", data={"email": email}).json()
    with DashboardClient(server) as dash:
        dash.sign_in()
        assert email in dash.get("/dashboard/customers").text
        switched = dash.submit("/dashboard", "/dashboard/mode",
                               {"mode": "live", "next": "/dashboard/customers"})
        assert switched.headers["location"].startswith("/dashboard/customers")
        assert email not in dash.get("/dashboard/customers").text
        assert dash.get(f"/dashboard/customers/{customer['id']}").status_code == 404
        dash.submit("/dashboard", "/dashboard/mode", {"mode": "test", "next": "/dashboard"})
        detail = dash.get(f"/dashboard/customers/{customer['id']}")
        assert detail.status_code == 200 and email in detail.text


def test_api_keys_reveal_test_keys_and_a_rolled_key_stops_working(server: PaykeepServer) -> None:
    with DashboardClient(server) as dash:
        dash.sign_in()
        revealed = dash.submit("/dashboard/api-keys", "/dashboard/api-keys/reveal")
        assert server.sk in revealed.text and server.pk in revealed.text
        assert server.sk_live not in revealed.text
        dash.submit("/dashboard", "/dashboard/mode", {"mode": "live", "next": "/dashboard/api-keys"})
        page = dash.get("/dashboard/api-keys").text
        assert server.sk_live not in page and server.sk_live[-4:] in page
        assert dash.submit("/dashboard/api-keys", "/dashboard/api-keys/reveal").status_code == 403
        key_id = re.search(r'action="/dashboard/api-keys/(key_[0-9a-f]+)/roll"', page).group(1)
        roll = f"/dashboard/api-keys/{key_id}/roll"
        unconfirmed = dash.submit("/dashboard/api-keys", roll, {"expires": "now"})
        assert unconfirmed.status_code == 303  # nothing rolled without the ticked box
        rolled = dash.submit("/dashboard/api-keys", roll, {"expires": "now", "confirm": "yes"})
        assert rolled.status_code == 200
        new_key = re.search(r"sk_live_[A-Za-z0-9]{48}", rolled.text).group(0)
    old_key = server.sk_live
    assert new_key != old_key
    with server.client(old_key) as old:
        assert old.get("/v1/customers").status_code == 401
    with server.client(new_key) as new:
        assert new.get("/v1/customers").status_code == 200
    assert json.loads(server.cli("init", "--json").stdout)["live"]["secret_key"] == new_key


def test_users_add_generates_or_reads_a_password(server: PaykeepServer) -> None:
    email = _unique_email()
    generated = add_user(server, email)
    assert len(generated) >= 16
    with DashboardClient(server) as dash:
        dash.sign_in(email.upper(), generated)
    again = server.cli("users", "add", email, check=False)
    assert again.returncode != 0 and "already" in again.stderr and "exists" in again.stderr


@pytest.mark.parametrize("path", ["https://evil.example/x", "//evil.example", "/\\evil.example"])
def test_sign_in_never_redirects_off_the_dashboard(server: PaykeepServer, path: str) -> None:
    with DashboardClient(server) as dash:
        form = dash.get("/dashboard/sign-in", params={"next": path}).text
        email, password = server.keys["dashboard"]["email"], server.keys["dashboard"]["password"]
        resp = dash.http.post("/dashboard/sign-in", data={"email": email, "password": password, "next": path,
                                                          "csrf_token": csrf_from(form)})
        assert resp.status_code == 303 and resp.headers["location"] == "/dashboard"
