"""The dashboard sign-in throttle against real servers (issue 17, finding 4; docs/dashboard.md): keyed on the
client address uvicorn reports (X-Forwarded-For only from --forwarded-allow-ips, nobody by default), per
e-mail + address, per address, and per e-mail from anywhere; a user's own addresses are not locked out."""

from __future__ import annotations

import uuid

import pytest

from support.dashboard import DashboardClient, add_user
from support.server import PaykeepServer

PASSWORD = "correct horse battery staple"


def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def attempt(server: PaykeepServer, email: str, password: str, forwarded_for: str, expect: int) -> None:
    with DashboardClient(server) as dash:
        dash.http.headers["X-Forwarded-For"] = forwarded_for
        dash.sign_in(email, password, expect=expect)


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory):
    """A server behind a reverse proxy on 127.0.0.1: X-Forwarded-For is the client's address."""
    s = PaykeepServer(tmp_path_factory.mktemp("proxied"), worker=False,
                      env={"PAYKEEP_FORWARDED_ALLOW_IPS": "127.0.0.1"}).start()
    yield s
    s.close()


def test_x_forwarded_for_is_not_believed_by_default_so_rotating_it_gains_nothing(server):
    email = unique_email()
    add_user(server, email, PASSWORD)
    for n in range(5):
        attempt(server, email, "wrong password!", f"203.0.113.{n + 1}", 401)
    attempt(server, email, PASSWORD, "198.51.100.77", 429)  # the 6th from the same (real) address waits


def test_rotating_addresses_against_one_email_hits_the_per_email_limit_but_not_its_users_own_address(
        behind_proxy):
    email = unique_email()
    add_user(behind_proxy, email, PASSWORD)
    attempt(behind_proxy, email, PASSWORD, "198.51.100.10", 303)  # the user's own address, known from now
    for n in range(10):  # a new address for every guess
        attempt(behind_proxy, email, "wrong password!", f"203.0.113.{n + 1}", 401)
    attempt(behind_proxy, email, "wrong password!", "203.0.113.200", 429)
    attempt(behind_proxy, email, PASSWORD, "203.0.113.201", 429)  # even the right password, from elsewhere
    attempt(behind_proxy, email, PASSWORD, "198.51.100.10", 303)  # ... but the user gets in from home


def test_failures_with_random_emails_from_one_address_lock_out_no_real_user(behind_proxy):
    email = unique_email()
    add_user(behind_proxy, email, PASSWORD)
    attempt(behind_proxy, email, PASSWORD, "192.0.2.50", 303)  # a user behind the same (shared) address
    for _ in range(20):
        attempt(behind_proxy, unique_email(), "wrong password!", "192.0.2.50", 401)
    attempt(behind_proxy, unique_email(), "wrong password!", "192.0.2.50", 429)  # the guessing waits
    attempt(behind_proxy, email, PASSWORD, "192.0.2.50", 303)  # the user who signs in from there does not
    admin = behind_proxy.keys["dashboard"]
    attempt(behind_proxy, admin["email"], admin["password"], "198.51.100.99", 303)  # nor anyone elsewhere
