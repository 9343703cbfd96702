"""A saved entity writes only what its use case changed: a concurrent change of its other fields survives.

A confirm marks the mandate of a PaymentMethod it read without a lock (it holds the intent's lock, not the
card's). Meanwhile the merchant detaches the card. The confirm's save must not write the card's old
customer/detached values back. PostgreSQL runs such transactions side by side (READ COMMITTED); SQLite
serialises writers, so there the race cannot happen."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from paykeep.services import customers, payment_methods
from paykeep.services.transactions import transaction
from paykeep.wire.customers import CustomerCreate
from support.runtime import manual_runtime

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2040", "cvc": "123"}


def test_a_stale_card_saved_for_its_mandate_does_not_undo_a_detach(database_url: str, tmp_path: Path) -> None:
    with manual_runtime(database_url, tmp_path) as (runtime, _clock, caller):
        deps = runtime.deps
        with transaction(deps, caller) as ctx:
            customer = customers.create_customer(ctx, CustomerCreate.model_validate({"email": "a@b.example"}))
            pm, _ = payment_methods.create_payment_method_from_card(ctx, CARD)
            pm = payment_methods.attach_payment_method(ctx, pm, customer.id)

        if deps.inline_reads is not None:
            pytest.skip("SQLite serialises writers: a confirm's read always sees the detach: no race")
        with transaction(deps, caller) as confirm:  # the detach commits while this transaction is open
            seen = confirm.uow.payment_methods.get(caller.scope, pm.id)
            assert seen is not None and not seen.detached
            detached = threading.Thread(target=_detach, args=(deps, caller, pm.id))
            detached.start()
            detached.join(30)
            payment_methods.mark_mandate(confirm, seen)

        with transaction(deps, caller, write=False) as ctx:
            final = ctx.uow.payment_methods.get(caller.scope, pm.id)
        assert final is not None
        assert final.detached and final.customer is None  # the detach stands
        assert final.mandate  # and the confirm's own change is there


def _detach(deps, caller, pm_id: str) -> None:  # type: ignore[no-untyped-def]
    with transaction(deps, caller) as ctx:
        payment_methods.detach_payment_method(ctx, pm_id)
