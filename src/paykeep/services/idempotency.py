"""Idempotency-Key records (API.md §2): claim before running, store the response in the same transaction."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from paykeep.domain.errors import IdempotencyError, IdempotencyInUse, ParameterInvalid
from paykeep.services.common import purge_in_batches
from paykeep.services.ports import Caller, Deps, UnitOfWork

RETENTION_MS = 24 * 3600 * 1000
# A "running" record older than this belongs to a process that died mid-request.
STALE_RUNNING_MS = 5 * 60 * 1000
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str


def fingerprint(deps: Deps, params: dict[str, Any]) -> str:
    """A keyed hash of the canonical parameters: the record can tell "same request" without holding it."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return deps.secrets.keyed_hash("lookup", canonical.encode())


def check_key(key: str) -> None:
    if len(key) > MAX_KEY_LENGTH:
        raise ParameterInvalid(
            "Idempotency-Key", f"Idempotency keys can be up to {MAX_KEY_LENGTH} characters long."
        )


def claim(deps: Deps, caller: Caller, key: str, method: str, path: str, print_: str) -> StoredResponse | None:
    """None: this request owns the key now. A StoredResponse: replay it.

    Raises on misuse or a running twin.
    """
    now = deps.clock.now_ms()
    with deps.begin(write=True) as uow:
        repo = uow.idempotency_keys
        row = repo.get_key(caller.account_id, caller.livemode, key, for_update=True)
        if row is not None and row["created"] < now - RETENTION_MS:
            repo.delete_key(caller.account_id, caller.livemode, key)
            row = None
        if row is None:
            inserted = repo.insert_running(
                {
                    "account_id": caller.account_id,
                    "livemode": caller.livemode,
                    "key": key,
                    "method": method,
                    "path": path,
                    "fingerprint": print_,
                    "state": "running",
                    "request_id": caller.request_id or "",
                    "created": now,
                }
            )
            if inserted:
                return None
            row = repo.get_key(caller.account_id, caller.livemode, key)
            if row is None:  # pragma: no cover - deleted between insert and read
                raise IdempotencyInUse(_in_use_message())
        if row["method"] != method or row["path"] != path or row["fingerprint"] != print_:
            raise IdempotencyError(
                "Keys for idempotent requests can only be used with the same parameters they were first used "
                f"with. Try using a key other than '{key}' if you meant to execute a different request."
            )
        if row["state"] == "running":
            if row["created"] < now - STALE_RUNNING_MS:
                repo.take_over(caller.account_id, caller.livemode, key,
                               {"created": now, "request_id": caller.request_id or ""})
                return None
            raise IdempotencyInUse(_in_use_message())
        return StoredResponse(
            status=row["response_status"], body=_open_body(deps, caller, key, row["response_body"])
        )


def _aad(caller: Caller, key: str) -> bytes:
    return f"idempotency:{caller.account_id}:{int(caller.livemode)}:{key}".encode()


def _seal_body(deps: Deps, caller: Caller, key: str, body: str) -> str:
    """Responses can hold secrets shown once (a webhook endpoint's `secret`, a `client_secret`): sealed."""
    return "sealed:" + base64.b64encode(deps.secrets.seal(body.encode(), _aad(caller, key))).decode("ascii")


def _open_body(deps: Deps, caller: Caller, key: str, stored: str) -> str:
    return deps.secrets.open(base64.b64decode(stored.removeprefix("sealed:")), _aad(caller, key)).decode()


def complete(uow: UnitOfWork, deps: Deps, caller: Caller, key: str, status: int, body: str) -> None:
    """Store the response (sealed); called inside the request's own transaction."""
    uow.idempotency_keys.update_key(
        caller.account_id, caller.livemode, key,
        {"state": "done", "response_status": status, "response_body": _seal_body(deps, caller, key, body)},
    )


def store_failure(deps: Deps, caller: Caller, key: str, status: int, body: str) -> None:
    with deps.begin(write=True) as uow:
        complete(uow, deps, caller, key, status, body)


def release(deps: Deps, caller: Caller, key: str) -> None:
    """The request was refused before it ran: forget the key so a corrected request may use it (a record
    that holds a response stays: a commit whose fsync failed did run)."""
    with deps.begin(write=True) as uow:
        uow.idempotency_keys.delete_key(caller.account_id, caller.livemode, key, only_running=True)


def release_orphaned(deps: Deps) -> int:
    """At start-up: free the keys of requests whose process died mid-request (the repository decides which
    owners are gone). Returns how many."""
    with deps.begin(write=True) as uow:
        return int(uow.idempotency_keys.release_orphans())


def purge_expired(deps: Deps, *, batch: int = 1000, max_batches: int = 50) -> int:
    """Delete the records past their 24 hours (a timed job); returns how many. `batch` rows per transaction,
    `max_batches` per run (common.purge_in_batches). Safe in several processes at once (a row goes once)."""
    cutoff = deps.clock.now_ms() - RETENTION_MS
    return purge_in_batches(deps, lambda uow: uow.idempotency_keys, cutoff, batch=batch,
                            max_batches=max_batches)


def _in_use_message() -> str:
    return ("There is currently another in-progress request using this Idempotent Key. "
            "Please try again later.")
