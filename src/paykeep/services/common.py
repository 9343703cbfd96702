"""Small rules shared by the use cases: loading by id in scope, nullable text fields, pages, purges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from paykeep.domain.errors import InvalidRequest, ParameterInvalid, ResourceMissing
from paykeep.services.ports import Context, Deps, Purgeable, Scope, UnitOfWork
from paykeep.wire.params import ListParams

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class _Loads(Protocol[R_co]):
    def get(self, scope: Scope, object_id: str, *, for_update: bool = False) -> R_co | None: ...


class _Pages(Protocol[R]):
    def get(self, scope: Scope, object_id: str, *, for_update: bool = False) -> R | None: ...
    def page(self, scope: Scope, *, limit: int, starting_after: str | None = None,
             ending_before: str | None = None, **filters: Any) -> tuple[list[R], bool]: ...


def load(ctx: Context, repo: _Loads[R], kind: str, object_id: str, *, param: str = "id",
         for_update: bool = False) -> R:
    """The record with this id in the caller's account and mode, or 404 resource_missing."""
    found = repo.get(ctx.scope, object_id, for_update=for_update)
    if found is None:
        raise ResourceMissing(kind, object_id, param=param)
    return found


def blank_to_none(value: Any) -> Any:
    """Stripe unsets a field sent as an empty string."""
    return None if value == "" else value


def model_or_none(value: Any) -> Any:
    if value is None or value == "":
        return None
    return value.model_dump(exclude_none=False) if hasattr(value, "model_dump") else value


def page(ctx: Context, repo: _Pages[R], kind: str, params: ListParams,
         **filters: Any) -> tuple[list[R], bool]:
    """A cursor page; an unknown cursor id is a 404 naming the cursor parameter."""
    if params.starting_after is not None and params.ending_before is not None:
        raise ParameterInvalid("ending_before", "starting_after and ending_before cannot be used together.")
    for cursor in ("starting_after", "ending_before"):
        value = getattr(params, cursor)
        if value is not None and repo.get(ctx.scope, value) is None:
            raise ResourceMissing(kind, value, param=cursor)
    return repo.page(
        ctx.scope,
        limit=params.limit,
        starting_after=params.starting_after,
        ending_before=params.ending_before,
        **filters,
    )


def purge_in_batches(deps: Deps, repository: Callable[[UnitOfWork], Purgeable], created_before: int, *,
                     batch: int, max_batches: int) -> int:
    """A timed job's deletion of old rows through `repository(uow)`: `any_before(created_before)` is asked in
    a read transaction first (an idle server takes no write lock and syncs nothing), then
    `purge_before(created_before, batch)` deletes up to `batch` rows per write transaction, repeated while
    batches come back full, at most `max_batches` times: the SQLite write lock is never held long, and a
    backlog is worked off over several runs."""
    with deps.begin(write=False) as uow:
        if not repository(uow).any_before(created_before):
            return 0
    purged = 0
    for _ in range(max_batches):
        with deps.begin(write=True) as uow:
            done = int(repository(uow).purge_before(created_before, batch))
        purged += done
        if done < batch:
            break
    return purged


def automatic_payment_methods(params: Any) -> dict[str, Any] | None:
    """Stripe's `automatic_payment_methods` as stored (cards are paykeep's only method, so it changes no
    `payment_method_types`); Stripe refuses it together with `payment_method_types`."""
    given = getattr(params, "automatic_payment_methods", None)
    if given is None:
        return None
    if getattr(params, "payment_method_types", None):
        raise InvalidRequest("You may only specify one of these parameters: automatic_payment_methods, "
                             "payment_method_types.", param="automatic_payment_methods")
    return {"enabled": given.enabled,
            "allow_redirects": (given.allow_redirects or "always") if given.enabled else None}
