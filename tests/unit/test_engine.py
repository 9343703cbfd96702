"""adapters/db/engine.py: lost races become TransactionConflict (re-runnable); pool limits."""

from __future__ import annotations

import sqlite3
import threading

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from paykeep.adapters.db.engine import Database, conflict_reason
from paykeep.config import normalise_db_url
from paykeep.services.ports import TransactionConflict
from support.databases import BACKEND


def test_postgres_serialization_failure_and_deadlock_are_conflicts():
    serialization = OperationalError("UPDATE", {}, psycopg.errors.SerializationFailure("could not serialize"))
    deadlock = OperationalError("UPDATE", {}, psycopg.errors.DeadlockDetected("deadlock detected"))
    assert conflict_reason(serialization) == "serialization failure"
    assert conflict_reason(deadlock) == "deadlock detected"


def test_a_busy_sqlite_file_is_a_conflict_but_other_errors_are_not():
    locked = OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))
    missing = OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))
    duplicate = IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert conflict_reason(locked) == "database is locked"
    assert conflict_reason(missing) is None
    assert conflict_reason(duplicate) is None
    assert conflict_reason(ValueError("database is locked")) is None


@pytest.mark.skipif(BACKEND != "postgres", reason="a real deadlock needs PostgreSQL row locks")
def test_a_real_deadlock_raises_transaction_conflict_and_rolls_back(database_url):
    db = Database(normalise_db_url(database_url), pool_size=2, max_overflow=0)
    try:
        with db.begin(write=True) as conn:
            conn.execute(text("CREATE TABLE pair (id int primary key, n int)"))
            conn.execute(text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
        both_hold_one = threading.Barrier(2, timeout=20)
        outcomes: list[BaseException | None] = [None, None]

        def cross(slot: int, first: int, second: int) -> None:
            try:
                with db.begin(write=True) as conn:
                    conn.execute(text("UPDATE pair SET n = n + 1 WHERE id = :i"), {"i": first})
                    both_hold_one.wait()
                    conn.execute(text("UPDATE pair SET n = n + 1 WHERE id = :i"), {"i": second})
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
                outcomes[slot] = exc

        threads = [threading.Thread(target=cross, args=(0, 1, 2)),
                   threading.Thread(target=cross, args=(1, 2, 1))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        conflicts = [o for o in outcomes if isinstance(o, TransactionConflict)]
        assert len(conflicts) == 1 and outcomes.count(None) == 1, outcomes
        assert str(conflicts[0]) == "deadlock detected"
        with db.begin(write=False) as conn:  # the loser's first update was rolled back
            assert conn.execute(text("SELECT sum(n) FROM pair")).scalar_one() == 2
    finally:
        db.dispose()


@pytest.mark.skipif(BACKEND != "postgres", reason="pool limits apply to PostgreSQL")
def test_postgres_pool_is_bounded_and_reports_its_use(database_url):
    db = Database(normalise_db_url(database_url), pool_size=2, max_overflow=1,
                  pool_timeout=1)
    seen: list[int] = []
    db.watch_pool(lambda: seen.append(1), lambda: seen.append(-1))
    try:
        assert db.pool_limit == 3
        with db.begin(write=False), db.begin(write=False):
            assert db.pool_status()["checked_out"] == 2
            assert sum(seen) == 2
        assert db.pool_status()["checked_out"] == 0 and sum(seen) == 0
    finally:
        db.dispose()


def test_reads_on_the_event_loop_reuse_one_connection_and_each_sees_the_latest_commit(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'loop.db'}")
    try:
        with db.begin(write=True) as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        seen_connections = set()
        for n in range(3):
            with db.begin(write=True) as conn:  # committed by a pooled connection ...
                conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            with db.read_on_loop() as conn:  # ... and seen by the next read on the loop's own connection
                assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == n + 1
                seen_connections.add(id(conn.connection.dbapi_connection))
        assert len(seen_connections) == 1
        with db.read_on_loop() as outer, db.read_on_loop() as inner:  # nested: a pooled connection
            assert outer.connection.dbapi_connection is not inner.connection.dbapi_connection
            assert inner.execute(text("SELECT count(*) FROM t")).scalar_one() == 3
        other: list[object] = []

        def from_another_thread() -> None:
            with db.read_on_loop() as conn:
                other.append(conn.connection.dbapi_connection)

        worker = threading.Thread(target=from_another_thread)
        worker.start()
        worker.join(30)
        assert other and id(other[0]) not in seen_connections
    finally:
        db.dispose()
