"""The dashboard's cookies and CSRF tokens, all derived with the keyring's keyed hash (HMAC-SHA256).

- `paykeep_session`: `<token>.<HMAC(token)>`; the database keeps only a keyed hash of the token.
- `paykeep_signin`: a random value set by the sign-in page; its HMAC is that form's CSRF token.
- A signed-in form's CSRF token is an HMAC of the session token: bound to the session, it dies with it.
All are HttpOnly, SameSite=Lax, Path=/dashboard, and Secure when the public URL is https.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from paykeep.services.dashboard_sessions import SESSION_TTL_MS
from paykeep.services.ports import Deps

SESSION_COOKIE = "paykeep_session"
SIGNIN_COOKIE = "paykeep_signin"
COOKIE_PATH = "/dashboard"
CSRF_FIELD = "csrf_token"


def _mac(deps: Deps, label: bytes, value: str) -> str:
    return deps.secrets.keyed_hash("lookup", b"dashboard-" + label + b"\0" + value.encode("utf-8"))


def _secure(deps: Deps) -> bool:
    return deps.public_url.lower().startswith("https://")


def _set(deps: Deps, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path=COOKIE_PATH, httponly=True, samesite="lax",
                        secure=_secure(deps))


def _clear(deps: Deps, response: Response, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="lax", secure=_secure(deps))


# -- the session cookie ---------------------------------------------------------------------------------
def set_session_cookie(deps: Deps, response: Response, token: str) -> None:
    _set(deps, response, SESSION_COOKIE, f"{token}.{_mac(deps, b'cookie', token)}", SESSION_TTL_MS // 1000)


def clear_session_cookie(deps: Deps, response: Response) -> None:
    _clear(deps, response, SESSION_COOKIE)


def session_token(deps: Deps, request: Request) -> str | None:
    """The session token from a cookie whose signature checks out (constant-time), else None."""
    raw = request.cookies.get(SESSION_COOKIE, "")
    token, _, signature = raw.rpartition(".")
    if not token or len(raw) > 200:
        return None
    if not hmac.compare_digest(signature.encode(), _mac(deps, b"cookie", token).encode()):
        return None
    return token


def csrf_token(deps: Deps, token: str) -> str:
    return _mac(deps, b"csrf", token)


def csrf_ok(deps: Deps, token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(str(sent).encode(), csrf_token(deps, token).encode())


# -- the sign-in form's CSRF ----------------------------------------------------------------------------
def signin_nonce(request: Request) -> tuple[str, bool]:
    """(the sign-in cookie's value, whether it is new and must be set)."""
    value = request.cookies.get(SIGNIN_COOKIE, "")
    if 20 <= len(value) <= 100:
        return value, False
    return secrets.token_urlsafe(32), True


def set_signin_cookie(deps: Deps, response: Response, value: str) -> None:
    _set(deps, response, SIGNIN_COOKIE, value, 3600)


def clear_signin_cookie(deps: Deps, response: Response) -> None:
    _clear(deps, response, SIGNIN_COOKIE)


def signin_csrf_token(deps: Deps, nonce: str) -> str:
    return _mac(deps, b"signin-csrf", nonce)


def signin_csrf_ok(deps: Deps, request: Request, sent: str | None) -> bool:
    nonce = request.cookies.get(SIGNIN_COOKIE, "")
    if not nonce or not sent:
        return False
    return hmac.compare_digest(str(sent).encode(), signin_csrf_token(deps, nonce).encode())
