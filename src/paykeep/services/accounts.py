"""Accounts and their API keys: the first created by `paykeep init`, more by `paykeep accounts create` and the
test helpers (the test kit, issue 16); keys looked up by keyed hash on every request."""

from __future__ import annotations

import hmac
import secrets
import string
from dataclasses import dataclass
from typing import Any

from paykeep.domain.dialects import DEFAULT as DEFAULT_DIALECT
from paykeep.domain.dialects import Dialect
from paykeep.domain.errors import AuthenticationFailed
from paykeep.services.ports import Caller, Deps, UnitOfWork

_ALNUM = string.ascii_letters + string.digits
KEY_KINDS = (("secret", False), ("publishable", False), ("secret", True), ("publishable", True))
_PREFIX = {("secret", False): "sk_test_", ("publishable", False): "pk_test_",
           ("secret", True): "sk_live_", ("publishable", True): "pk_live_"}


@dataclass(frozen=True)
class AccountKeys:
    account_id: str
    keys: dict[tuple[str, bool], str]  # (kind, livemode) -> key
    created: bool
    dialect: str | None = None  # the account's default dialect (create_account says it)

    def as_dict(self) -> dict[str, Any]:
        output: dict[str, Any] = {
            "account": self.account_id,
            "test": {"secret_key": self.keys[("secret", False)],
                     "publishable_key": self.keys[("publishable", False)]},
            "live": {"secret_key": self.keys[("secret", True)],
                     "publishable_key": self.keys[("publishable", True)]},
        }
        if self.dialect is not None:
            output["dialect"] = self.dialect
        return output


def _new_key(kind: str, livemode: bool) -> str:
    return _PREFIX[(kind, livemode)] + "".join(secrets.choice(_ALNUM) for _ in range(48))


def _aad(key_id: str) -> bytes:
    return f"api_key:{key_id}".encode()


def issue_key(uow: UnitOfWork, deps: Deps, account_id: str, kind: str, livemode: bool) -> str:
    raw = _new_key(kind, livemode)
    key_id = "key_" + secrets.token_hex(12)
    uow.api_keys.insert(
        {
            "id": key_id,
            "account_id": account_id,
            "livemode": livemode,
            "kind": kind,
            "lookup_hash": deps.secrets.keyed_hash("lookup", raw.encode()),
            "ciphertext": deps.secrets.seal(raw.encode(), _aad(key_id)),
            "key_version": deps.secrets.current_version("data"),
            "last4": raw[-4:],
            "created": deps.clock.now_ms(),
            "expires_at": None,
            "revoked": False,
        }
    )
    return raw


def first_account(uow: UnitOfWork) -> dict[str, Any] | None:
    """The account `paykeep init` made: the oldest (ids sort by time), whatever other accounts were made since
    (`paykeep accounts create`, POST /v1/test_helpers/accounts). `init`, `account show/set`, the dashboard's
    administrator and `reveal_keys` mean this one."""
    first_id = uow.accounts.minimum(None, "id")
    return uow.accounts.get_by_id(first_id) if first_id is not None else None


def ensure_account(deps: Deps, name: str = "paykeep test merchant",
                   dialect: Dialect | None = None) -> AccountKeys:
    """`paykeep init`: create the account and its four keys once; afterwards return the same keys.
    `dialect` (init/serve --dialect, PAYKEEP_DIALECT), when given, becomes the account's default."""
    with deps.begin(write=True) as uow:
        first = first_account(uow)
        if first is not None:
            account_id = first["id"]
            if dialect is not None and first["dialect"] != dialect.value:
                uow.accounts.update(account_id, {"dialect": dialect.value})
            return AccountKeys(account_id, _reveal(uow, deps, account_id), created=False)
        created = _create(uow, deps, name, dialect or DEFAULT_DIALECT)
        return AccountKeys(created.account_id, created.keys, created=True)


def create_account(deps: Deps, name: str | None = None, dialect: Dialect | None = None) -> AccountKeys:
    """A further account, isolated from every other (its own customers, events, webhook endpoints), with its
    own four keys: `paykeep accounts create`, POST /v1/test_helpers/accounts, the pytest plugin's
    `paykeep_account`. Its default dialect is `dialect`, else that of the first account (else WooshPay's).
    One write transaction (four keyed hashes and seals: a few milliseconds). On a database without any
    account yet it becomes the first."""
    with deps.begin(write=True) as uow:
        if dialect is None:
            first = first_account(uow)
            dialect = Dialect(first["dialect"]) if first is not None else DEFAULT_DIALECT
        return _create(uow, deps, name or "paykeep test account", dialect)


def _create(uow: UnitOfWork, deps: Deps, name: str, dialect: Dialect) -> AccountKeys:
    account_id = deps.ids.new("acct")
    uow.accounts.insert({"id": account_id, "name": name[:200], "created": deps.clock.now_ms(),
                         "dialect": dialect.value})
    keys = {(kind, live): issue_key(uow, deps, account_id, kind, live) for kind, live in KEY_KINDS}
    return AccountKeys(account_id, keys, created=True, dialect=dialect.value)


def account_dialect(uow: UnitOfWork, account_id: str) -> Dialect:
    """The account's default dialect (API.md §8)."""
    row = uow.accounts.get_by_id(account_id)
    return Dialect(row["dialect"]) if row is not None else DEFAULT_DIALECT


def account_settings(deps: Deps) -> dict[str, Any]:
    """`paykeep account show`: the account's id, name and default dialect."""
    with deps.begin(write=False) as uow:
        found = first_account(uow)
    if found is None:
        raise AuthenticationFailed("No account yet: run `paykeep init` first.")
    return {"account": found["id"], "name": found["name"], "dialect": found["dialect"]}


def set_dialect(deps: Deps, dialect: Dialect, account_id: str | None = None) -> str:
    """Make `dialect` the default of the account (`paykeep account set --dialect`, the dashboard); returns the
    account's id. Requests without a Paykeep-Dialect header see it from their next request on."""
    with deps.begin(write=True) as uow:
        if account_id is None:
            found = first_account(uow)
            if found is None:
                raise AuthenticationFailed("No account yet: run `paykeep init` first.")
            account_id = found["id"]
        uow.accounts.update(account_id, {"dialect": dialect.value})
        return account_id


def _reveal(uow: UnitOfWork, deps: Deps, account_id: str) -> dict[tuple[str, bool], str]:
    keys: dict[tuple[str, bool], str] = {}
    # After a roll the current key (no expiry, newest) wins over the old one still running out its expiry.
    rows = uow.api_keys.find(None, account_id=account_id, revoked=False)
    for row in sorted(rows, key=lambda r: (r["expires_at"] is None, r["created"], r["id"])):
        keys[(row["kind"], row["livemode"])] = deps.secrets.open(row["ciphertext"], _aad(row["id"])).decode()
    return keys


def list_keys(uow: UnitOfWork, deps: Deps, account_id: str, livemode: bool) -> list[dict[str, Any]]:
    """The keys of one mode that still work (current ones first), without their secret value."""
    now = deps.clock.now_ms()
    rows = [r for r in uow.api_keys.find(None, account_id=account_id, livemode=livemode, revoked=False)
            if r["expires_at"] is None or r["expires_at"] > now]
    rows.sort(key=lambda r: (r["kind"] != "secret", r["expires_at"] is not None, -r["created"]))
    return [{"id": r["id"], "kind": r["kind"], "livemode": r["livemode"], "last4": r["last4"],
             "prefix": _PREFIX[(r["kind"], r["livemode"])], "created": r["created"],
             "expires_at": r["expires_at"]} for r in rows]


def _working_key(uow: UnitOfWork, deps: Deps, account_id: str, key_id: str) -> dict[str, Any]:
    from paykeep.domain.errors import ResourceMissing

    row = uow.api_keys.get_by_id(key_id)
    expired = row is not None and row["expires_at"] is not None and row["expires_at"] <= deps.clock.now_ms()
    if row is None or row["account_id"] != account_id or row["revoked"] or expired:
        raise ResourceMissing("api_key", key_id)
    return row


def reveal_key(uow: UnitOfWork, deps: Deps, account_id: str, key_id: str) -> str:
    row = _working_key(uow, deps, account_id, key_id)
    return deps.secrets.open(row["ciphertext"], _aad(row["id"])).decode()


def roll_key(uow: UnitOfWork, deps: Deps, account_id: str, key_id: str, expires_in_ms: int = 0) -> str:
    """Issue a new key of the same kind and mode; the old one stops working now (or in `expires_in_ms`).
    Returns the new key. A key already running out its expiry cannot be rolled again (expire it instead)."""
    from paykeep.domain.errors import InvalidRequest

    row = _working_key(uow, deps, account_id, key_id)
    if row["expires_at"] is not None:
        raise InvalidRequest("This key was already rolled and expires soon; expire it now instead.")
    raw = issue_key(uow, deps, account_id, row["kind"], row["livemode"])
    _expire(uow, deps, key_id, expires_in_ms)
    return raw


def expire_key(uow: UnitOfWork, deps: Deps, account_id: str, key_id: str) -> None:
    """An already rolled key stops working now (a current key is rolled, never just expired)."""
    from paykeep.domain.errors import InvalidRequest

    if _working_key(uow, deps, account_id, key_id)["expires_at"] is None:
        raise InvalidRequest("This is a current key: roll it to get a replacement.")
    _expire(uow, deps, key_id, 0)


def _expire(uow: UnitOfWork, deps: Deps, key_id: str, expires_in_ms: int) -> None:
    now = deps.clock.now_ms()
    if expires_in_ms <= 0:
        uow.api_keys.update(key_id, {"revoked": True, "expires_at": now})
    else:
        uow.api_keys.update(key_id, {"expires_at": now + expires_in_ms})


def reveal_keys(deps: Deps) -> AccountKeys | None:
    with deps.begin(write=False) as uow:
        first = first_account(uow)
        if first is None:
            return None
        return AccountKeys(first["id"], _reveal(uow, deps, first["id"]), created=False)


def account_name(uow: UnitOfWork, account_id: str) -> str:
    row = uow.accounts.get_by_id(account_id)
    return str(row["name"]) if row else "paykeep merchant"


def authenticate(uow: UnitOfWork, deps: Deps, raw_key: str) -> Caller:
    """Resolve a key to its caller; unknown, revoked or expired keys are a 401. Compared in constant time."""
    if not raw_key or len(raw_key) > 200:
        raise AuthenticationFailed(_no_key_message(raw_key))
    key = uow.api_keys.for_lookup(deps.secrets.keyed_hash("lookup", raw_key.encode()))
    if key is None:
        raise AuthenticationFailed(f"Invalid API Key provided: {_masked(raw_key)}")
    stored = deps.secrets.open(key["ciphertext"], _aad(key["id"])).decode()
    expired = key["expires_at"] is not None and key["expires_at"] <= deps.clock.now_ms()
    if not hmac.compare_digest(stored.encode(), raw_key.encode()) or key["revoked"] or expired:
        raise AuthenticationFailed(f"Invalid API Key provided: {_masked(raw_key)}")
    return Caller(
        account_id=key["account_id"], livemode=key["livemode"], publishable=key["kind"] == "publishable",
        dialect=_DIALECTS[key["account_dialect"]],
    )


_DIALECTS = {d.value: d for d in Dialect}  # a dict lookup per request, not the enum's call


def _masked(raw: str) -> str:
    return f"{raw[:8]}{'*' * 12}{raw[-4:]}" if len(raw) > 12 else "*" * len(raw)


def _no_key_message(raw: str) -> str:
    if not raw:
        return ("You did not provide an API key. You need to provide your API key in the Authorization "
                "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY') or HTTP Basic "
                "auth with the key as the username.")
    return f"Invalid API Key provided: {_masked(raw)}"
