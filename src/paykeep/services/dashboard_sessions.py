"""Dashboard sessions: a random token in the browser's cookie, its keyed hash as the row id in the DB.

Signing out (or a password reset) ends the row, so a copied cookie stops working at once. The session also
holds the test/live mode the user chose; every dashboard page is scoped by it.
"""

from __future__ import annotations

import secrets
from typing import Any

from paykeep.services.ports import Caller, Deps, UnitOfWork

SESSION_TTL_MS = 12 * 3_600_000  # absolute lifetime; sign in again after 12 hours


def session_id(deps: Deps, token: str) -> str:
    return deps.secrets.keyed_hash("lookup", b"dashboard-session\0" + token.encode())


def start_session(uow: UnitOfWork, deps: Deps, user: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A new session for `user` in the mode they last chose; returns (token for the cookie, session)."""
    token = secrets.token_urlsafe(32)
    now = deps.clock.now_ms()
    row = {
        "id": session_id(deps, token),
        "user_id": user["id"],
        "account_id": user["account_id"],
        "livemode": bool(user.get("livemode")),
        "created": now,
        "expires_at": now + SESSION_TTL_MS,
        "ended_at": None,
    }
    uow.dashboard_sessions.insert(row)
    return token, {**row, "email": user["email"], "role": user["role"]}


def find_session(deps: Deps, token: str) -> dict[str, Any] | None:
    """The live session behind a cookie token (with the user's email and role), or None."""
    with deps.begin(write=False) as uow:
        row = uow.dashboard_sessions.get_by_id(session_id(deps, token))
        if row is None or row["ended_at"] is not None or row["expires_at"] <= deps.clock.now_ms():
            return None
        user = uow.dashboard_users.get_by_id(row["user_id"])
    if user is None:
        return None
    return {**row, "email": user["email"], "role": user["role"]}


def end_session(deps: Deps, session: dict[str, Any]) -> None:
    with deps.begin(write=True) as uow:
        uow.dashboard_sessions.update(session["id"], {"ended_at": deps.clock.now_ms()})


def end_user_sessions(uow: UnitOfWork, deps: Deps, user_id: str) -> None:
    uow.dashboard_sessions.end_for_user(user_id, deps.clock.now_ms())


def switch_mode(deps: Deps, session: dict[str, Any], livemode: bool) -> None:
    """The test/live switch: this session's pages, and the user's next sign-in, use `livemode`."""
    with deps.begin(write=True) as uow:
        uow.dashboard_sessions.update(session["id"], {"livemode": livemode})
        uow.dashboard_users.update(session["user_id"], {"livemode": livemode})


def caller_for(session: dict[str, Any], request_id: str | None = None) -> Caller:
    """The Caller the API would see for a secret key of this account and mode."""
    return Caller(account_id=session["account_id"], livemode=bool(session["livemode"]), request_id=request_id)
