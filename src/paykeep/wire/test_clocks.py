"""Test clock: request parameters and the JSON object (`test_helpers.test_clock`, as Stripe's).

`frozen_time` is given and written out in the caller's dialect's unit (Stripe: seconds, WooshPay: ms) by the
one conversion every time field gets (wire/dialects.py); it is stored in ms."""

from __future__ import annotations

from typing import Any

from paykeep.domain.test_clocks import OBJECT, TestClock
from paykeep.wire.params import ExpandParams, ListParams


class TestClockCreate(ExpandParams):
    __test__ = False  # not a pytest test class

    frozen_time: int  # Unix time in the dialect's unit (stored in ms)
    name: str | None = None
    customer: str | None = None  # an existing customer to put on the clock (Stripe's newer parameter)


class TestClockAdvance(ExpandParams):
    __test__ = False

    frozen_time: int  # later than the clock's, at most two years later


class TestClockList(ListParams):
    __test__ = False


class TestClockRetrieve(ExpandParams):
    __test__ = False


def render_test_clock(clock: TestClock) -> dict[str, Any]:
    if clock.deleted:
        return render_deleted_test_clock(clock)
    advancing = ({"target_frozen_time": clock.target_frozen_time}
                 if clock.advancing and clock.target_frozen_time is not None else None)
    return {
        "id": clock.id,
        "object": OBJECT,
        "created": clock.created,
        "deletes_after": clock.deletes_after,
        "frozen_time": clock.frozen_time,
        "livemode": clock.livemode,
        "name": clock.name,
        "status": str(clock.status),
        "status_details": {"advancing": advancing} if advancing else {},
    }


def render_deleted_test_clock(clock: TestClock) -> dict[str, Any]:
    return {"id": clock.id, "object": OBJECT, "deleted": True}
