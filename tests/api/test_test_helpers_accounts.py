"""Fresh accounts for test suites (issue 16): POST /v1/test_helpers/accounts exists only on a server started
with --test-helpers (PAYKEEP_TEST_HELPERS=1) and wants that server's token; `paykeep accounts create` makes
the same on the local database. The first account stays the one `init`, `account show` and the dashboard
mean."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from support.server import PaykeepServer

TOKEN = "pkth_test_token_for_this_module"
PATH = "/v1/test_helpers/accounts"
FIRST_DIALECT = "stripe"


@pytest.fixture(scope="module")
def helpers_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    """Its first account speaks Stripe's dialect (so that "the first account's dialect" is not the default);
    both dialects are tested explicitly below."""
    env = {"PAYKEEP_TEST_HELPERS": "1", "PAYKEEP_TEST_HELPERS_TOKEN": TOKEN, "PAYKEEP_DIALECT": FIRST_DIALECT}
    srv = PaykeepServer(tmp_path_factory.mktemp("helpers"), env=env).start()
    yield srv
    srv.close()


def _post(base_url: str, key: str | None, data: dict[str, str] | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return httpx.post(base_url + PATH, headers=headers, data=data or {}, timeout=30)


# -- a default server: no such path --------------------------------------------------------------------
@pytest.mark.parametrize("who", ["test secret key", "live secret key", "no key", "a token"])
def test_a_default_server_has_no_accounts_path(server: PaykeepServer, who: str) -> None:
    key = {"test secret key": server.sk, "live secret key": server.sk_live, "no key": None,
           "a token": TOKEN}[who]
    response = _post(server.base_url, key, {"name": "x"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == f"Unrecognized request URL (POST: {PATH})."
    # the same answer as for any path the server does not have, for every method
    assert httpx.get(server.base_url + PATH, auth=(server.sk_live, ""), timeout=30).status_code == 404
    assert PATH not in httpx.get(server.base_url + "/openapi.json", timeout=30).json()["paths"]


def test_a_default_server_does_not_say_it_has_test_helpers(server: PaykeepServer) -> None:
    assert "test helpers" not in server.logs()


# -- a server with --test-helpers ---------------------------------------------------------------------
@pytest.mark.parametrize("who", ["no key", "test secret key", "live secret key", "wrong token"])
def test_the_path_wants_the_token(helpers_server: PaykeepServer, who: str) -> None:
    key = {"no key": None, "test secret key": helpers_server.sk, "live secret key": helpers_server.sk_live,
           "wrong token": TOKEN + "x"}[who]
    response = _post(helpers_server.base_url, key)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "test-helpers token" in response.json()["error"]["message"]


def test_a_new_account_has_four_working_keys_and_is_isolated(helpers_server: PaykeepServer) -> None:
    first = helpers_server.sk
    created = _post(helpers_server.base_url, TOKEN, {"name": "suite account"})
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["object"] == "test_helpers.account"
    assert body["id"].startswith("acct_") and body["id"] != helpers_server.keys["account"]
    assert body["dialect"] == FIRST_DIALECT  # default: the first account's
    assert body["test"]["secret_key"].startswith("sk_test_")
    assert body["test"]["publishable_key"].startswith("pk_test_")
    assert body["live"]["secret_key"].startswith("sk_live_")
    assert body["live"]["publishable_key"].startswith("pk_live_")
    sk = body["test"]["secret_key"]
    with httpx.Client(base_url=helpers_server.base_url, auth=(sk, ""), timeout=30) as mine, \
            httpx.Client(base_url=helpers_server.base_url, auth=(first, ""), timeout=30) as theirs:
        customer = mine.post("/v1/customers", data={"email": "isolated@example.com"}).json()
        assert mine.get(f"/v1/customers/{customer['id']}").status_code == 200
        assert theirs.get(f"/v1/customers/{customer['id']}").status_code == 404
        assert customer["id"] not in [c["id"] for c in theirs.get("/v1/customers").json()["data"]]
        assert [c["id"] for c in mine.get("/v1/customers").json()["data"]] == [customer["id"]]
    live = httpx.get(helpers_server.base_url + "/v1/customers", auth=(body["live"]["secret_key"], ""),
                     timeout=30)
    assert live.status_code == 200 and live.json()["data"] == []
    publishable = httpx.get(helpers_server.base_url + "/v1/customers",
                            auth=(body["test"]["publishable_key"], ""), timeout=30)
    assert publishable.status_code == 403


@pytest.mark.parametrize("dialect", ["wooshpay", "stripe"])
def test_a_new_account_in_a_chosen_dialect(helpers_server: PaykeepServer, dialect: str) -> None:
    body = _post(helpers_server.base_url, TOKEN, {"dialect": dialect}).json()
    assert body["dialect"] == dialect
    customer = httpx.post(helpers_server.base_url + "/v1/customers", auth=(body["test"]["secret_key"], ""),
                          timeout=30).json()
    assert isinstance(customer["created"], int)
    # Stripe's seconds, WooshPay's milliseconds (API.md §8)
    assert (customer["created"] < 10**11) == (dialect == "stripe")


def test_json_bodies_and_bad_parameters(helpers_server: PaykeepServer) -> None:
    as_json = httpx.post(helpers_server.base_url + PATH, json={"name": "from json", "dialect": "stripe"},
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert as_json.status_code == 200 and as_json.json()["dialect"] == "stripe"
    bad = _post(helpers_server.base_url, TOKEN, {"dialect": "paypal"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "dialect"
    unknown = _post(helpers_server.base_url, TOKEN, {"colour": "blue"})
    assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "colour"


def test_the_first_account_stays_the_first(helpers_server: PaykeepServer) -> None:
    """After more accounts exist, `init` and `account show` still mean the account init made."""
    cli = helpers_server.cli("accounts", "create", "--json")
    made = json.loads(cli.stdout)
    assert made["account"] != helpers_server.keys["account"]
    again = json.loads(helpers_server.cli("init", "--json").stdout)
    assert again["account"] == helpers_server.keys["account"]
    assert again["test"] == helpers_server.keys["test"]
    shown = json.loads(helpers_server.cli("account", "show").stdout)
    assert shown["account"] == helpers_server.keys["account"]
    # the CLI's account works against the running server (same database)
    listed = httpx.get(helpers_server.base_url + "/v1/customers", auth=(made["test"]["secret_key"], ""),
                       timeout=30)
    assert listed.status_code == 200 and listed.json()["data"] == []


def test_cli_accounts_create(helpers_server: PaykeepServer) -> None:
    text = helpers_server.cli("accounts", "create", "--name", "cli account", "--dialect", "stripe")
    assert text.stdout.startswith("Created account acct_")
    assert "(dialect stripe)" in text.stdout
    assert "test secret key:" in text.stdout and "sk_test_" in text.stdout
    wrong = helpers_server.cli("accounts", "create", "--dialect", "paypal", check=False)
    assert wrong.returncode == 2 and "unknown dialect" in wrong.stderr


def test_serve_prints_the_token_it_was_given_by_name_only(helpers_server: PaykeepServer) -> None:
    logs = helpers_server.logs()
    assert f"test helpers open: POST {helpers_server.base_url}{PATH}" in logs
    assert "PAYKEEP_TEST_HELPERS_TOKEN" in logs and TOKEN not in logs
