"""The fakes themselves (tests/support/fakes.py): the same Protocols as the database's unit of work, the same
filters and pages as TableRepository, and transactions that really roll back."""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest

from paykeep.domain.customers import Customer
from paykeep.domain.errors import ParameterMissing
from paykeep.services import customers, ports, setup_intents
from paykeep.services.ports import Entities, Rows, UnitOfWork
from paykeep.wire.customers import CustomerCreate
from paykeep.wire.setup_intents import SetupIntentCreate
from support.fakes import (
    ACCOUNT,
    FRICTIONLESS,
    FakeEntities,
    FakeRows,
    Fakes,
    FakeStore,
    IntegrityError,
    card,
)


def _protocol_members(protocol: type) -> set[str]:
    return {name for name in dir(protocol) if not name.startswith("_")}


def _entity_of(hint: Any) -> type | None:
    """X for `Entities[X]` or a protocol built on it (EventRows is Entities[Event] plus its own methods)."""
    if typing.get_origin(hint) is Entities:
        return typing.get_args(hint)[0]  # type: ignore[no-any-return,unused-ignore]
    for base in getattr(hint, "__orig_bases__", ()):
        found = _entity_of(base)
        if found is not None:
            return found
    return None


def _repositories_of_the_protocol() -> dict[str, Any]:
    """UnitOfWork's repository properties -> their annotated types (Entities[X], Rows, or a protocol of
    their own such as EventRows or IdempotencyRows)."""
    found = {}
    for name, member in vars(UnitOfWork).items():
        if isinstance(member, property) and member.fget is not None:
            hint = typing.get_type_hints(member.fget, vars(ports))["return"]
            if hint is not str:  # `dialect`
                found[name] = hint
    return found


def test_the_fake_unit_of_work_has_the_protocols_repositories() -> None:
    uow = FakeStore().uow
    wanted = _repositories_of_the_protocol()
    fake = {name for name, value in vars(uow).items() if isinstance(value, FakeRows | FakeEntities)}
    assert fake == set(wanted), (
        f"FakeUnitOfWork's tables differ from services/ports.py UnitOfWork's: missing "
        f"{sorted(set(wanted) - fake)}, extra {sorted(fake - set(wanted))} (tests/support/fakes.py)")
    problems = []
    for name, hint in sorted(wanted.items()):
        attr = getattr(uow, name)
        entity = _entity_of(hint)
        shown = getattr(hint, "__name__", str(hint))
        if entity is not None and not (isinstance(attr, FakeEntities) and attr.entity is entity):
            problems.append(f"uow.{name} is {shown} (entities of {entity.__name__}) in UnitOfWork, but the "
                            f"fake holds {type(attr).__name__}: make it store.entities({name!r}, "
                            f"{entity.__name__}) in tests/support/fakes.py FakeUnitOfWork")
            continue
        if entity is None and not isinstance(attr, FakeRows):
            problems.append(f"uow.{name} is {shown} (rows) in UnitOfWork, but the fake holds "
                            f"{type(attr).__name__}: make it store.rows({name!r}) in FakeUnitOfWork")
            continue
        protocol = Entities if typing.get_origin(hint) is Entities else hint
        missing = sorted(m for m in _protocol_members(protocol) if not callable(getattr(attr, m, None)))
        if missing:
            problems.append(f"uow.{name} ({type(attr).__name__}) lacks {shown}'s {missing}")
    assert not problems, "\n".join(problems)


def test_the_protocol_check_tells_entities_from_rows() -> None:
    wanted = _repositories_of_the_protocol()
    assert _entity_of(wanted["customers"]) is Customer
    assert _entity_of(wanted["accounts"]) is None and Rows in wanted["accounts"].__mro__
    assert _entity_of(ports.EventRows) is not None  # a protocol of its own, built on Entities[Event]


# -- rows: TableRepository's filters and pages ---------------------------------------------------------------
def _rows_with_ids(store: FakeStore, n: int) -> FakeRows:
    repo = store.uow.api_keys
    with store.begin(True):
        for i in range(n):
            repo.insert({"id": f"ak_{i:019d}", "account_id": ACCOUNT, "livemode": i % 3 == 0,
                         "kind": "publishable" if i == 1 else "secret", "lookup_hash": f"h{i}",
                         "ciphertext": b"x", "key_version": 1, "last4": f"{i:04d}", "created": 1000 + i,
                         "expires_at": None if i % 2 else 5000})
    return repo


def _ids(rows: list[dict[str, Any]]) -> list[int]:
    return [int(r["id"][3:]) for r in rows]


def test_filters_are_table_repositorys() -> None:
    store = FakeStore()
    repo = _rows_with_ids(store, 10)
    assert _ids(repo.find(None)) == list(range(9, -1, -1))  # newest first
    assert _ids(repo.find((ACCOUNT, True))) == [9, 6, 3, 0]
    assert _ids(repo.find(None, created__gte=1007)) == [9, 8, 7]
    assert _ids(repo.find(None, created__gt=1007, created__lt=1009)) == [8]
    assert _ids(repo.find(None, created__lte=1001)) == [1, 0]
    assert _ids(repo.find(None, id__in=["ak_0000000000000000002", "ak_0000000000000000004"])) == [4, 2]
    assert _ids(repo.find(None, kind__prefix="pub")) == [1]
    assert _ids(repo.find(None, expires_at__isnull=True)) == [9, 7, 5, 3, 1]
    assert _ids(repo.find(None, expires_at__isnull=False, limit=2)) == [8, 6]
    assert _ids(repo.find(None, expires_at=None)) == list(range(9, -1, -1))  # None: no filter
    assert _ids(repo.find(None, expires_at__lt=6000)) == [8, 6, 4, 2, 0]  # NULL compares false
    assert repo.count(None, kind="secret") == 9
    assert repo.count_by(None, "livemode") == {True: 4, False: 6}
    assert repo.minimum(None, "created", livemode=True) == 1000
    with pytest.raises(IntegrityError, match="unknown columns nope"):
        repo.find(None, nope=1)


def test_pages_are_newest_first_with_both_cursors() -> None:
    store = FakeStore()
    repo = _rows_with_ids(store, 7)
    first, more = repo.page(None, limit=3)
    assert (_ids(first), more) == ([6, 5, 4], True)
    second, more = repo.page(None, limit=3, starting_after=first[-1]["id"])
    assert (_ids(second), more) == ([3, 2, 1], True)
    last, more = repo.page(None, limit=3, starting_after=second[-1]["id"])
    assert (_ids(last), more) == ([0], False)
    back, more = repo.page(None, limit=2, ending_before=second[0]["id"])
    assert (_ids(back), more) == ([5, 4], True)
    back, more = repo.page(None, limit=2, ending_before=back[0]["id"])
    assert (_ids(back), more) == ([6], False)


def test_rows_come_back_as_copies_with_every_column() -> None:
    store = FakeStore()
    repo = _rows_with_ids(store, 1)
    with store.begin(True):
        row = repo.get((ACCOUNT, True), "ak_0000000000000000000")
        assert row is not None and row["revoked"] is False  # the column default
        row["kind"] = "publishable"  # changed without update(): not stored
        again = repo.get((ACCOUNT, True), "ak_0000000000000000000")
        assert again is not None and again["kind"] == "secret"
        assert repo.get((ACCOUNT, False), "ak_0000000000000000000") is None  # another mode
        with pytest.raises(IntegrityError, match="duplicate"):
            repo.insert({"id": "ak_0000000000000000000"})
        with pytest.raises(IntegrityError, match="NOT NULL columns left null: kind"):
            repo.insert({"id": "ak_1", "account_id": ACCOUNT, "livemode": False, "kind": None,
                         "lookup_hash": "h", "ciphertext": b"x", "key_version": 1, "last4": "1",
                         "created": 1})
        with pytest.raises(IntegrityError, match="unknown columns colour"):
            repo.update("ak_0000000000000000000", {"colour": "red"})


def test_entities_filter_on_attributes() -> None:
    store = FakeStore()
    with store.begin(True) as uow:
        for i, email in enumerate(["a@example.test", "b@example.test", None]):
            uow.customers.add(Customer(id=f"cus_{i:019d}", account_id=ACCOUNT, livemode=False,
                                       created=10 + i, email=email))
        assert [c.email for c in uow.customers.find(None, email__isnull=False)] == [
            "b@example.test", "a@example.test"]
        assert uow.customers.count((ACCOUNT, False), created__gte=11) == 2
        page, more = uow.customers.page((ACCOUNT, False), limit=1, starting_after="cus_0000000000000000002")
        assert [c.id for c in page] == ["cus_0000000000000000001"] and more
        found = uow.customers.find(None, email="a@example.test")[0]
        found.metadata["k"] = "v"  # a copy: changing it stores nothing
        assert uow.customers.find(None, email="a@example.test")[0].metadata == {}
        changed = found.with_(name="Ada", created=99)
        uow.customers.save(changed)
        saved = uow.customers.get((ACCOUNT, False), changed.id)
        assert saved is not None and (saved.name, saved.created) == ("Ada", 10)  # the key is not saved
        with pytest.raises(IntegrityError, match="no field 'colour'"):
            uow.customers.find(None, colour="red")


# -- transactions ------------------------------------------------------------------------------------------
def test_a_raising_use_case_leaves_nothing_behind() -> None:
    fakes = Fakes.make()
    customer = fakes.run(customers.create_customer,
                         CustomerCreate.model_validate({"email": "x@example.test"}))
    before = fakes.store.dump()
    params = SetupIntentCreate.model_validate({  # a challenge card, no return_url: 400 after the inserts
        "confirm": True, "customer": customer.id, "payment_method_data": card("4000000000003220")})
    with pytest.raises(ParameterMissing):
        fakes.run(setup_intents.create_setup_intent, params)
    assert fakes.store.dump() == before
    assert fakes.store.rollbacks == 1


def test_a_read_transaction_refuses_writes() -> None:
    store = FakeStore()
    with pytest.raises(IntegrityError, match="read-only"), store.begin(False) as uow:
        uow.accounts.insert({"id": "acct_x", "name": "x", "created": 1})
    assert store.uow.accounts.find(None) == []


def test_no_card_number_in_any_stored_record() -> None:
    fakes = Fakes.make()
    fakes.run(setup_intents.create_setup_intent, SetupIntentCreate.model_validate({
        "confirm": True, "payment_method_data": card(FRICTIONLESS)}))
    stored = json.dumps(fakes.store.dump(), default=repr)
    assert "4242" in stored  # the last four digits are stored (card_last4), so the dump is searchable
    assert FRICTIONLESS not in stored
    records = [r for rows in fakes.store.dump().values() for r in rows if isinstance(r, dict)]
    assert all(value != "123" for r in records for value in r.values())  # the CVC: nowhere
    (pm,) = fakes.uow.payment_methods.find(None)
    assert pm["card_last4"] == "4242" and pm["card_cvc_check"] == "pass"
