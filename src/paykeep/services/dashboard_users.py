"""Dashboard users: the administrator `init` creates, `paykeep users add`, and rate-limited sign-in.

Passwords are hashed by the `passwords` port (`deps.extras["passwords"]`, adapters/vault/passwords.py).
Sign-in attempts are recorded *before* the password is checked, so parallel guesses count against the limit.

The throttle (docs/dashboard.md), on the client address uvicorn reports (X-Forwarded-For only from
`serve --forwarded-allow-ips`), with e-mails and addresses stored as keyed hashes only:
- 5 failures per e-mail + address per minute: that e-mail from that address waits (the right password too);
- 20 failures per address per minute, whatever the e-mails: that address waits, except for an e-mail that
  has signed in from it before (so guessing random e-mails from a shared address locks no real user out);
- 10 failures per e-mail per 15 minutes from anywhere (rotating addresses): that e-mail waits, except from
  the addresses it has signed in from in the last 30 days (so the real user is not locked out by others).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from paykeep.domain.errors import ParameterInvalid
from paykeep.services import dashboard_sessions
from paykeep.services.accounts import first_account
from paykeep.services.ports import Deps, UnitOfWork

ADMIN_EMAIL = "admin@paykeep.local"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
WINDOW_MS = 60_000
MAX_FAILURES_PER_CLIENT = 5  # per email + client address per minute
MAX_FAILURES_PER_ADDRESS = 20  # per client address per minute, whatever the email
EMAIL_WINDOW_MS = 15 * 60_000
MAX_FAILURES_PER_EMAIL = 10  # per email per 15 minutes, from any address
KNOWN_ADDRESS_MS = 30 * 24 * 3_600_000  # an address an email signed in from counts as its own this long
KEEP_ATTEMPTS_MS = 3_600_000  # failed attempts (longer than any window); successes: KNOWN_ADDRESS_MS
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


class SignInFailed(Exception):
    """Unknown email or wrong password (one message for both)."""


class SignInThrottled(Exception):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__("Too many sign-in attempts.")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class AdminLogin:
    email: str | None
    password: str | None  # only on the run that created the administrator


def _hasher(deps: Deps) -> Any:
    hasher = deps.extras.get("passwords")
    if hasher is None:  # services never build adapters: bootstrap (or a test's fake) provides the port
        raise RuntimeError('no password hasher: deps.extras["passwords"] is set by bootstrap')
    return hasher


def normalise_email(email: str) -> str:
    value = (email or "").strip().lower()
    if len(value) > 320 or not _EMAIL.match(value):
        raise ParameterInvalid("email", f"Invalid email: {email!r} is not an email address.")
    return value


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ParameterInvalid("password", f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ParameterInvalid("password", f"A password has at most {MAX_PASSWORD_LENGTH} characters.")
    return password


def generate_password() -> str:
    return secrets.token_urlsafe(18)  # 24 characters, 144 bits


def _insert_user(uow: UnitOfWork, deps: Deps, account_id: str, email: str, password: str,
                 role: str) -> dict[str, Any]:
    row = {
        "id": deps.ids.new("usr"),
        "account_id": account_id,
        "email": email,
        "password_hash": _hasher(deps).hash(password),
        "role": role,
        "created": deps.clock.now_ms(),
        "last_sign_in": None,
        "livemode": False,
    }
    uow.dashboard_users.insert(row)
    return row


def _account_id(uow: UnitOfWork) -> str | None:
    first = first_account(uow)  # the account `init` made, not the newest (services/accounts.py)
    return str(first["id"]) if first is not None else None


def ensure_admin(deps: Deps) -> AdminLogin:
    """`paykeep init`: create the administrator if the account has no dashboard user yet."""
    password = generate_password()
    try:
        with deps.begin(write=True) as uow:
            account_id = _account_id(uow)
            if account_id is None:
                return AdminLogin(None, None)
            users = sorted(uow.dashboard_users.find(None, account_id=account_id), key=lambda r: r["created"])
            if users:
                admins = [u for u in users if u["role"] == "administrator"] or users
                return AdminLogin(admins[0]["email"], None)
            _insert_user(uow, deps, account_id, ADMIN_EMAIL, password, "administrator")
    except Exception as exc:  # another process created it first (unique email)
        if "unique" not in str(exc).lower() and "duplicate" not in str(exc).lower():
            raise
        return AdminLogin(ADMIN_EMAIL, None)
    return AdminLogin(ADMIN_EMAIL, password)


def add_user(deps: Deps, email: str, password: str | None = None, *, role: str = "administrator") -> str:
    """`paykeep users add`: a user of the (only) account; returns the password (generated if not given)."""
    email = normalise_email(email)
    password = check_password(password) if password is not None else generate_password()
    with deps.begin(write=True) as uow:
        account_id = _account_id(uow)
        if account_id is None:
            raise ParameterInvalid("email", "There is no account yet: run `paykeep init` first.")
        if uow.dashboard_users.find(None, email=email):
            raise ParameterInvalid("email", f"A dashboard user with the email {email} already exists.")
        _insert_user(uow, deps, account_id, email, password, role)
    return password


def reset_password(deps: Deps, email: str, password: str | None = None) -> str:
    """`paykeep users reset-password`: a new password; every session of that user ends."""
    email = normalise_email(email)
    password = check_password(password) if password is not None else generate_password()
    encoded = _hasher(deps).hash(password)
    with deps.begin(write=True) as uow:
        users = uow.dashboard_users.find(None, email=email)
        if not users:
            raise ParameterInvalid("email", f"No dashboard user has the email {email}.")
        uow.dashboard_users.update(users[0]["id"], {"password_hash": encoded})
        dashboard_sessions.end_user_sessions(uow, deps, users[0]["id"])
    return password


def list_users(deps: Deps) -> list[dict[str, Any]]:
    with deps.begin(write=False) as uow:
        rows = uow.dashboard_users.find(None)
    return [{k: r[k] for k in ("id", "email", "role", "created", "last_sign_in")} for r in reversed(rows)]


@dataclass(frozen=True)
class _Keys:
    client: str  # email + address
    address: str
    email: str


def _client_hashes(deps: Deps, email: str, address: str) -> _Keys:
    addr = address.encode("utf-8", "replace")
    return _Keys(deps.secrets.keyed_hash("lookup", b"dashboard-sign-in\0" + email.encode() + b"\0" + addr),
                 deps.secrets.keyed_hash("lookup", b"dashboard-sign-in-address\0" + addr),
                 deps.secrets.keyed_hash("lookup", b"dashboard-sign-in-email\0" + email.encode()))


def _wait_s(failures: list[dict[str, Any]], window_ms: int, now: int) -> int:
    oldest: int = min(r["attempted_at"] for r in failures)
    return max(1, -(-(oldest + window_ms - now) // 1000))


def _throttle(uow: UnitOfWork, keys: _Keys, now: int) -> None:
    repo = uow.dashboard_sign_in_attempts
    by_client: dict[str, Any] = {"client_hash": keys.client}
    failures = repo.find(None, succeeded=False, attempted_at__gt=now - WINDOW_MS, **by_client)
    if len(failures) >= MAX_FAILURES_PER_CLIENT:
        raise SignInThrottled(_wait_s(failures, WINDOW_MS, now))
    known: bool | None = None  # has this email signed in from this address lately? (asked only if needed)

    def known_address() -> bool:
        nonlocal known
        if known is None:
            known = bool(repo.find(None, limit=1, succeeded=True, attempted_at__gt=now - KNOWN_ADDRESS_MS,
                                   **by_client))
        return known

    by_address: dict[str, Any] = {"address_hash": keys.address}
    failures = repo.find(None, succeeded=False, attempted_at__gt=now - WINDOW_MS, **by_address)
    if len(failures) >= MAX_FAILURES_PER_ADDRESS and not known_address():
        raise SignInThrottled(_wait_s(failures, WINDOW_MS, now))
    by_email: dict[str, Any] = {"email_hash": keys.email}
    failures = repo.find(None, succeeded=False, attempted_at__gt=now - EMAIL_WINDOW_MS, **by_email)
    if len(failures) >= MAX_FAILURES_PER_EMAIL and not known_address():
        raise SignInThrottled(_wait_s(failures, EMAIL_WINDOW_MS, now))


def sign_in(deps: Deps, email: str, password: str, address: str) -> tuple[str, dict[str, Any]]:
    """Check the password (rate-limited: see the module's docstring) and start a session: (cookie token,
    session)."""
    try:
        email = normalise_email(email)
    except ParameterInvalid:
        email = (email or "").strip().lower()[:320]
    keys = _client_hashes(deps, email, address)
    now = deps.clock.now_ms()
    attempt_id = deps.ids.new("sia")
    with deps.begin(write=True) as uow:
        _throttle(uow, keys, now)
        uow.dashboard_sign_in_attempts.insert({"id": attempt_id, "client_hash": keys.client,
                                               "address_hash": keys.address, "email_hash": keys.email,
                                               "attempted_at": now, "succeeded": False})
        uow.dashboard_sign_in_attempts.delete_before(now - KEEP_ATTEMPTS_MS,
                                                     succeeded_before=now - KNOWN_ADDRESS_MS)
        users = uow.dashboard_users.find(None, email=email) if email else []
    user = users[0] if users else None
    hasher = _hasher(deps)
    ok = hasher.verify(password[:MAX_PASSWORD_LENGTH], user["password_hash"] if user else None)
    if not ok or user is None:
        raise SignInFailed("Incorrect email or password.")
    with deps.begin(write=True) as uow:
        uow.dashboard_sign_in_attempts.update(attempt_id, {"succeeded": True})
        values: dict[str, Any] = {"last_sign_in": deps.clock.now_ms()}
        if hasher.needs_rehash(user["password_hash"]):
            values["password_hash"] = hasher.hash(password)
        uow.dashboard_users.update(user["id"], values)
        token, session = dashboard_sessions.start_session(uow, deps, user)
    return token, session
