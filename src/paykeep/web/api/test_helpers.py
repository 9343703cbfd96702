"""POST /v1/test_helpers/accounts: a fresh isolated account with its own four keys, for test suites (the
pytest plugin's `paykeep_account`, a Node or Go suite against `paykeep serve --test-helpers` in CI).

Not one of the discovered route modules (web/api/routes/): the route is added to an app only when the
server was told to open it (`serve --test-helpers`, PAYKEEP_TEST_HELPERS=1; bootstrap.create_app calls
`install`). A default server has no such route: 404 for every method, as for any unknown URL, whatever key is
sent. When open, it wants the server's test-helpers token (`Authorization: Bearer <token>`,
PAYKEEP_TEST_HELPERS_TOKEN, or the one `serve` made and printed), compared in constant time; an API key of any
account, live or test, is not that token (401). docs/decisions.md, "The test kit (issue 16)".
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from pydantic import Field

from paykeep.domain.dialects import parse_dialect
from paykeep.domain.errors import AuthenticationFailed
from paykeep.services import accounts
from paykeep.web.api.auth import key_from_headers
from paykeep.web.api.endpoint import Api, json_response, retry_on_conflict
from paykeep.web.api.params import validate
from paykeep.web.api.route import ApiRoute
from paykeep.wire.params import Params

PATH = "/v1/test_helpers/accounts"
router = APIRouter(prefix="/v1/test_helpers", route_class=ApiRoute, include_in_schema=False)


class TestAccountCreate(Params):
    __test__ = False  # not a pytest test class, whatever its name
    name: str | None = Field(None, max_length=200)
    dialect: str | None = Field(None, max_length=16)


@router.post("/accounts")
def create_test_account(api: Api) -> Response:
    """A new account: `{"object": "test_helpers.account", "id", "dialect", "test": {secret_key,
    publishable_key}, "live": {…}}`. Parameters (form or JSON): `name`, `dialect` (default: the first
    account's)."""
    token: str = api.request.app.state.test_helpers_token
    given = key_from_headers(api.request.headers.get("authorization", ""))
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        raise AuthenticationFailed(
            "This path wants the server's test-helpers token (Authorization: Bearer <token>): the one "
            "`paykeep serve --test-helpers` printed, or PAYKEEP_TEST_HELPERS_TOKEN. API keys are not it.")
    p = validate(TestAccountCreate, api.raw)
    dialect = parse_dialect(p.dialect, param="dialect") if p.dialect is not None else None
    keys = retry_on_conflict(lambda: accounts.create_account(api.deps, name=p.name, dialect=dialect))
    body: dict[str, Any] = keys.as_dict()
    return json_response({"object": "test_helpers.account", "id": body.pop("account"), **body})


def install(app: FastAPI, token: str) -> None:
    """Open the test helpers on `app` (before its first request): its routes first, so that the front
    door's short way (web/front_door.py) serves them; FastAPI's own copies without the fast path."""
    if not token:
        raise ValueError("the test helpers need a token")
    app.state.test_helpers_token = token
    fast = getattr(app, "fast_path", True)
    for route in reversed(router.routes):
        assert isinstance(route, ApiRoute)
        app.router.routes.insert(0, route if fast else route.stock())
