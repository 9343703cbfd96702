"""Full or read-only storage (API.md §12, issue 17 finding 7), against a real server process.

SQLite: the database file is capped (`PAYKEEP_SQLITE_MAX_PAGES`, SQLite's max_page_count: at the cap SQLite
reports "database or disk is full", exactly as on a full disk) with ballast rows that the test deletes to
"free the disk". PostgreSQL: the database is made read-only (default_transaction_read_only, SQLSTATE 25006)
and its sessions restarted, then made writable again.

What a client sees: 503 `api_error` with Retry-After while writes fail, reads still 200, /readyz 503; then,
without a restart, /readyz 200 and writes 200 again (the same Idempotency-Key too); and every acknowledged
object is still there after a restart.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from support import databases
from support.assertions import assert_error
from support.server import PaykeepServer

BIG_METADATA = {f"k{i}": "v" * 500 for i in range(50)}  # ~25 KB a customer: a few pages each


def _sqlite_path(srv: PaykeepServer) -> Path:
    return Path(srv.db_url.split("sqlite:///", 1)[1])


def _pg_admin(sql: str) -> None:
    with psycopg.connect(databases.PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def _pg_restart_sessions(name: str) -> None:
    _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
              "AND pid <> pg_backend_pid()")


def _make_storage_fail(srv: PaykeepServer) -> None:
    if databases.BACKEND == "postgres":
        name = srv.db_url.rsplit("/", 1)[1]
        _pg_admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        _pg_restart_sessions(name)
        return
    srv.stop()
    with sqlite3.connect(_sqlite_path(srv)) as conn:
        conn.execute("CREATE TABLE ballast (b BLOB)")
        conn.executemany("INSERT INTO ballast VALUES (?)", [(b"\0" * 4000,) for _ in range(300)])
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    srv.env["PAYKEEP_SQLITE_MAX_PAGES"] = str(pages + 20)
    srv.start()


def _free_storage(srv: PaykeepServer) -> None:
    if databases.BACKEND == "postgres":
        name = srv.db_url.rsplit("/", 1)[1]
        _pg_admin(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        _pg_restart_sessions(name)
        return
    with sqlite3.connect(_sqlite_path(srv), timeout=30) as conn:
        conn.execute("DELETE FROM ballast")
        conn.commit()


def _create(api: httpx.Client, **headers: str) -> httpx.Response:
    return api.post("/v1/customers", json={"email": f"{uuid.uuid4().hex[:8]}@example.com",
                                           "metadata": BIG_METADATA}, headers=headers)


def _create_small(api: httpx.Client, **headers: str) -> httpx.Response:
    return api.post("/v1/customers", json={"name": "small"}, headers=headers)


def test_full_storage_answers_503_then_recovers_by_itself(fresh_server: PaykeepServer) -> None:
    srv = fresh_server
    acknowledged: list[str] = []
    with srv.client() as api:
        for _ in range(3):
            resp = _create(api)
            assert resp.status_code == 200, resp.text
            acknowledged.append(resp.json()["id"])
    assert httpx.get(srv.base_url + "/readyz").status_code == 200

    _make_storage_fail(srv)
    with srv.client() as api:
        failed = None
        for _ in range(60):  # the cap is ~20 pages away: a few customers fill it
            resp = _create(api)
            if resp.status_code != 200:
                failed = resp
                break
            acknowledged.append(resp.json()["id"])
        assert failed is not None, "storage never filled up"
        for _ in range(400):  # then small writes, until not even they fit (on a full disk none would)
            small = _create_small(api)
            if small.status_code != 200:
                failed = small
                break
            acknowledged.append(small.json()["id"])
        error = assert_error(failed, 503, type_="api_error")
        assert failed.headers["retry-after"].isdigit() and int(failed.headers["retry-after"]) > 0
        assert "Traceback" not in failed.text and "sqlite" not in failed.text.lower()
        key = f"full-{uuid.uuid4()}"
        with_key = _create_small(api, **{"Idempotency-Key": key})
        assert_error(with_key, 503, type_="api_error")
        assert error["message"] == with_key.json()["error"]["message"]
        ready = httpx.get(srv.base_url + "/readyz")
        assert ready.status_code == 503 and ready.json()["writes"] == "failing", ready.text
        assert "retry-after" in ready.headers
        assert api.get(f"/v1/customers/{acknowledged[0]}").status_code == 200, "reads keep working"
        assert httpx.get(srv.base_url + "/readyz").status_code == 503, "still failing: still not ready"

        _free_storage(srv)  # no restart: the server notices by itself
        ready = httpx.get(srv.base_url + "/readyz")
        assert ready.status_code == 200, ready.text
        retried = _create_small(api, **{"Idempotency-Key": key})
        assert retried.status_code == 200, retried.text
        acknowledged.append(retried.json()["id"])
        resp = _create(api)
        assert resp.status_code == 200, resp.text
        acknowledged.append(resp.json()["id"])

    srv.restart()
    with srv.client() as api:
        for customer_id in acknowledged:
            got = api.get(f"/v1/customers/{customer_id}")
            assert got.status_code == 200, got.text
            assert got.json()["metadata"] in (BIG_METADATA, {})
    assert httpx.get(srv.base_url + "/readyz").status_code == 200
    assert "Traceback" not in srv.logs()


@pytest.mark.parametrize("message", ["database or disk is full", "attempt to write a readonly database",
                                     "disk I/O error"])
def test_sqlite_storage_errors_are_storage_unavailable(message: str) -> None:
    from sqlalchemy.exc import OperationalError

    from paykeep.adapters.db.engine import storage_failure_reason

    exc = OperationalError("INSERT", None, sqlite3.OperationalError(message))
    assert storage_failure_reason(exc) is not None
    missing_table = OperationalError("INSERT", None, sqlite3.OperationalError("no such table"))
    assert storage_failure_reason(missing_table) is None


@pytest.mark.parametrize("sqlstate", ["53100", "25006"])
def test_postgres_disk_full_and_read_only_are_storage_unavailable(sqlstate: str) -> None:
    from sqlalchemy.exc import OperationalError

    from paykeep.adapters.db.engine import storage_failure_reason

    class PgError(Exception):
        pass

    orig = PgError("could not extend file")
    orig.sqlstate = sqlstate  # type: ignore[attr-defined]
    assert storage_failure_reason(OperationalError("INSERT", None, orig)) is not None
    orig.sqlstate = "23505"  # type: ignore[attr-defined]
    assert storage_failure_reason(OperationalError("INSERT", None, orig)) is None
