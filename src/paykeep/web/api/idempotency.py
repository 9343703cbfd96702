"""The Idempotency-Key around one API change: before it, claim the key (or find the response it already
has, to replay); inside its transaction, store its response; when it fails, store the failure (a 4xx/5xx is
replayed like a success) or give the key back (a lost race or a bad parameter: the client may retry it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from typing import TypeVar

from paykeep.domain.errors import ParameterError, PaykeepError, StorageUnavailable
from paykeep.services import idempotency as store
from paykeep.services.idempotency import StoredResponse
from paykeep.services.ports import Caller, Deps, TransactionConflict, UnitOfWork
from paykeep.web.api.errors import envelope, internal_error, status_for
from paykeep.web.api.responses import dumps

T = TypeVar("T")
Retry = Callable[[Callable[[], T]], T]

REPLAYED_HEADER = {"Idempotent-Replayed": "true"}


def claim(deps: Deps, caller: Caller, method: str, path: str, raw: dict[str, object],
          retry: Retry[StoredResponse | None]) -> StoredResponse | None:
    """Claim the caller's key for this call (None: go ahead), or the response stored under it (replay it).
    No key: None. Raises TransactionConflict when the claim kept losing races."""
    key = caller.idempotency_key
    if key is None:
        return None
    store.check_key(key)
    print_ = store.fingerprint(deps, raw)
    return retry(lambda: store.claim(deps, caller, key, method, path, print_))


_NO_KEY = nullcontext()


def settled(deps: Deps, caller: Caller) -> AbstractContextManager[None]:
    """Around the call's transaction: what its failure leaves under the key (no key: nothing to settle)."""
    key = caller.idempotency_key
    if key is None:
        return _NO_KEY
    return _settled(deps, caller, key)


@contextmanager
def _settled(deps: Deps, caller: Caller, key: str) -> Iterator[None]:
    try:
        yield
    except (TransactionConflict, ParameterError):
        store.release(deps, caller, key)
        raise
    except StorageUnavailable:  # it did not run: the key is free for the retry (if the storage lets us)
        with suppress(StorageUnavailable):
            store.release(deps, caller, key)
        raise
    except PaykeepError as err:
        store.store_failure(deps, caller, key, status_for(err), dumps(envelope(err)))
        raise
    except Exception:
        store.store_failure(deps, caller, key, 500, dumps(envelope(internal_error())))
        raise


def complete(uow: UnitOfWork, deps: Deps, caller: Caller, status: int, text: str) -> None:
    """Inside the call's transaction: its response, stored under the key (if any)."""
    if caller.idempotency_key is not None:
        store.complete(uow, deps, caller, caller.idempotency_key, status, text)
