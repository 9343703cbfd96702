"""Assertions on paykeep's wire format shared by the API tests."""

from __future__ import annotations

import re
from typing import Any

import httpx

REQUEST_ID = re.compile(r"^req_\d{19}$")


def assert_error(
    resp: httpx.Response,
    status: int,
    code: str | None = None,
    *,
    param: str | None = None,
    type_: str = "invalid_request_error",
) -> dict[str, Any]:
    """The response is `status` with the API's error envelope; returns `error`."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith("application/json")
    assert REQUEST_ID.match(resp.headers.get("request-id", "")), resp.headers
    error = resp.json()["error"]
    assert error["type"] == type_, error
    assert isinstance(error["message"], str) and error["message"], error
    if code is not None:
        assert error.get("code") == code, error
    if param is not None:
        assert error.get("param") == param, error
    return error


def without(obj: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in names}
