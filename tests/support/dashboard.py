"""Driving the dashboard over plain HTTP in tests: sign in, read CSRF tokens from pages, post forms."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from typing import Any

import httpx

from support.dialects import Dialect
from support.server import PaykeepServer

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "no CSRF token on the page"
    return html.unescape(found.group(1))


def id_pattern(dialect: Dialect, prefix: str) -> str:
    """`dialect.id_re(prefix)` without its anchors, to find ids of the dialect's form in a page or a link
    (`re.findall(rf'href="/dashboard/customers/({id_pattern(dialect, "cus")})"', page)`)."""
    return dialect.id_re(prefix).pattern.removeprefix(r"\A").removesuffix(r"\Z")


def admin_login(server: PaykeepServer) -> tuple[str, str]:
    block = server.keys["dashboard"]
    return str(block["email"]), str(block["password"])


def add_user(server: PaykeepServer, email: str, password: str | None = None) -> str:
    """`paykeep users add EMAIL` (with --password-stdin when `password` is given); returns the password."""
    args = [sys.executable, "-m", "paykeep", "users", "add", email]
    if password is not None:
        args.append("--password-stdin")
    done = subprocess.run(args, env={**server.env, "COLUMNS": "200"}, cwd=server.dir, capture_output=True,
                          text=True, input=(password + "\n") if password is not None else None, timeout=60,
                          check=True)
    if password is not None:
        return password
    found = re.search(r"password:\s*(\S+)", done.stdout)
    assert found, done.stdout
    return found.group(1)


class DashboardClient:
    """An httpx client with the dashboard's cookies; no redirects are followed unless asked."""

    def __init__(self, server: PaykeepServer) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.base_url, follow_redirects=False, timeout=30)

    def __enter__(self) -> DashboardClient:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.http.close()

    def sign_in(self, email: str | None = None, password: str | None = None, *,
                expect: int = 303) -> httpx.Response:
        default_email, default_password = admin_login(self.server)
        form = self.http.get("/dashboard/sign-in")
        assert form.status_code == 200, form.text
        resp = self.http.post("/dashboard/sign-in", data={
            "email": email or default_email,
            "password": password if password is not None else default_password,
            "csrf_token": csrf_from(form.text), "next": "/dashboard"})
        assert resp.status_code == expect, resp.text
        return resp

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def submit(self, page_path: str, action: str, data: dict[str, Any] | None = None, *,
               csrf: bool = True) -> httpx.Response:
        """Load `page_path`, take its CSRF token, and post `data` to `action` as the page's form would."""
        page = self.http.get(page_path)
        assert page.status_code == 200, page.text
        fields: dict[str, Any] = dict(data or {})
        if csrf:
            fields["csrf_token"] = csrf_from(page.text)
        return self.http.post(action, data=fields)
