"""The time of an object: the real time, or, for the objects of a customer on a test clock (its
PaymentIntents, charges, refunds, Checkout Sessions, SetupIntents), the clock's frozen time.

The one question the other slices ask about test clocks; it reads the clock only for an object that names
one, so objects without a clock cost nothing. The clocks' own use cases are in services/test_clocks.py."""

from __future__ import annotations

from paykeep.domain.errors import ResourceMissing
from paykeep.domain.test_clocks import TestClock
from paykeep.services.ports import Context


def clock_now(ctx: Context, clock_id: str | None) -> int:
    """Now for an object on test clock `clock_id` (its frozen time), or the real now (`None`, or a clock
    that is gone)."""
    if clock_id is None:
        return ctx.now_ms()
    clock = ctx.uow.test_clocks.get(ctx.scope, clock_id)
    return clock.frozen_time if clock is not None and not clock.deleted else ctx.now_ms()


def live_test_clock(ctx: Context, clock_id: str, *, param: str = "id", for_update: bool = False) -> TestClock:
    """A test clock of the caller's account and mode that is not deleted, else 404 `No such test clock`."""
    clock = ctx.uow.test_clocks.get(ctx.scope, clock_id, for_update=for_update)
    if clock is None or clock.deleted:
        raise ResourceMissing("test clock", clock_id, param=param)
    return clock
