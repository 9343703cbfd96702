"""Engine construction: SQLite (WAL, foreign keys, one writer at a time) or PostgreSQL (pooled).

Cross-process correctness rests on the database: unique constraints (idempotency keys),
`SELECT … FOR UPDATE` (`repo.get(..., for_update=True)`) and `FOR UPDATE SKIP LOCKED` (delivery claims) on
PostgreSQL, `BEGIN IMMEDIATE` plus `busy_timeout` on SQLite. A transaction that loses a race the database
cannot order (PostgreSQL serialization failure or deadlock, SQLite "database is locked") raises
`TransactionConflict`; the caller re-runs the whole use case (web/api/endpoint.py).

Storage that cannot take writes (SQLite "database or disk is full", "attempt to write a readonly database",
"disk I/O error"; PostgreSQL SQLSTATE 53100 disk full, 25006 read-only transaction, 57P0x shutting down)
raises the domain's `StorageUnavailable` (503 with Retry-After). `Database.write_failure` remembers it until
/readyz's write probe succeeds (web/api/routes/health.py), so /readyz says 503 while writes fail.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError

from paykeep.domain.errors import StorageUnavailable
from paykeep.services.ports import TransactionConflict

# PostgreSQL SQLSTATEs after which re-running the transaction from the start is the documented remedy.
_RETRYABLE_SQLSTATES = {"40001": "serialization failure", "40P01": "deadlock detected"}
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
# What means "the storage cannot take writes now" (503; it may come back by itself), not "a bug" (500).
_STORAGE_SQLSTATES = {"53100": "disk full", "25006": "read-only", "57P01": "database shutting down",
                      "57P02": "database shutting down", "57P03": "database not accepting connections"}
_SQLITE_STORAGE = {"database or disk is full": "disk full",
                   "attempt to write a readonly database": "read-only",
                   "disk i/o error": "I/O error", "unable to open database file": "cannot open the file"}


def conflict_reason(exc: BaseException) -> str | None:
    """Why `exc` means "lost a race, run it again" (None when it means something else)."""
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return _RETRYABLE_SQLSTATES[str(sqlstate)]
    message = str(orig).lower()
    if type(orig).__module__.startswith("sqlite3") and any(m in message for m in _SQLITE_BUSY):
        return "database is locked"
    return None


def storage_failure_reason(exc: BaseException) -> str | None:
    """Why `exc` means "the storage cannot take writes now" (None when it means something else)."""
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _STORAGE_SQLSTATES:
        return _STORAGE_SQLSTATES[str(sqlstate)]
    if type(orig).__module__.startswith("sqlite3"):
        message = str(orig).lower()
        for text, reason in _SQLITE_STORAGE.items():
            if text in message:
                return reason
    return None


@contextlib.contextmanager
def _lost_races_are_conflicts(db: Database | None = None) -> Iterator[None]:
    """A DBAPIError that means "lost a race" becomes TransactionConflict (the caller may run it again); one
    that means "the storage cannot take writes" becomes StorageUnavailable (remembered on `db`)."""
    try:
        yield
    except DBAPIError as exc:
        reason = conflict_reason(exc)
        if reason is not None:
            raise TransactionConflict(reason) from exc
        reason = storage_failure_reason(exc)
        if reason is None:
            raise
        if db is not None:
            db.write_failure = reason
        raise StorageUnavailable(reason) from exc


class Database:
    """An engine plus the rule for opening write transactions on it."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL", pool_size: int = 5,
                 max_overflow: int = 10, pool_timeout: float = 30,
                 sqlite_max_pages: int | None = None) -> None:
        """PostgreSQL: at most `pool_size + max_overflow` connections per process (a request holds one at a
        time); size `max_connections` for (API processes x uvicorn workers + delivery workers) x that.
        SQLite: `sqlite_max_pages` caps the file (PRAGMA max_page_count); at the cap, writes answer 503 as
        on a full disk, and resume once rows are deleted (freed pages are reused)."""
        check_url(url)
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.write_failure: str | None = None  # why a write failed, until /readyz's write probe succeeds
        self._write_lock: _WriterLock | None = None
        self._group_commit: _GroupCommit | None = None
        self._loop_reader: Connection | None = None  # see read_on_loop
        self._loop_thread: int | None = None
        if self.is_sqlite:
            database = make_url(url).database
            path = os.path.abspath(database) if database and database != ":memory:" else None
            if path is not None:
                _create_private(path)
            self._write_lock = _WriterLock(path + "-writer" if path else None)
            if sqlite_synchronous not in ("OFF", "NORMAL", "EXTRA") and path:
                # FULL durability through a shared WAL fsync after COMMIT (see _GroupCommit)
                self._group_commit = _GroupCommit(path + "-wal")
                sqlite_synchronous = "NORMAL"
            self.engine: Engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=max(pool_size, 10),
                max_overflow=40,
            )
            _configure_sqlite(self.engine, sqlite_synchronous, sqlite_max_pages)
        else:
            self.engine = create_engine(
                url,
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_timeout=pool_timeout,
                pool_pre_ping=True,
                pool_recycle=1800,
                connect_args={"application_name": "paykeep", "connect_timeout": 10},
            )

    @contextlib.contextmanager
    def begin(self, *, write: bool) -> Iterator[Connection]:
        """A transaction. On SQLite a write takes the process's write lock and `BEGIN IMMEDIATE`.

        Raises `TransactionConflict` (rolled back, safe to re-run) on serialization failure, deadlock or a
        SQLite busy database."""
        with _lost_races_are_conflicts(self):
            if self._write_lock is not None and write:
                with self._write_lock, self.engine.connect() as conn:
                    conn.info["immediate"] = True
                    try:
                        with conn.begin():
                            yield conn
                    finally:  # also when the use case raised: a pooled connection must not keep the flag
                        conn.info["immediate"] = False
                    ticket = self._group_commit.committed() if self._group_commit is not None else 0
                if self._group_commit is not None:  # committed; now durable, outside the write lock
                    try:
                        self._group_commit.wait_durable(ticket)
                    except OSError as exc:  # committed, but not known to be on disk: not acknowledged
                        self.write_failure = f"I/O error ({exc.strerror or type(exc).__name__})"
                        raise StorageUnavailable(self.write_failure) from exc
            elif not write and not self.is_sqlite:
                # A read sees one snapshot (a GET that reads two tables must not see half a commit);
                # read-only REPEATABLE READ transactions never fail with serialization errors.
                with self.engine.connect() as conn:
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                    with conn.begin():
                        yield conn
            else:
                with self.engine.connect() as conn, conn.begin():
                    yield conn

    @contextlib.contextmanager
    def read_on_loop(self) -> Iterator[Connection]:
        """A read transaction for code on the event loop (SQLite only): on one connection this process keeps
        for it, so a GET pays no pool checkout and check-in (~10 us of ~25 for a read transaction). Reads on
        the loop run one after another (no await inside), so one connection serves them all; any other thread,
        or a read opened inside another, gets a pooled connection as `begin` gives."""
        conn = self._loop_reader
        thread = threading.get_ident()
        if conn is not None and (self._loop_thread != thread or conn.in_transaction() or conn.closed):
            with self.begin(write=False) as pooled:
                yield pooled
            return
        if conn is None:
            conn = self._loop_reader = self.engine.connect()
            self._loop_thread = thread
        try:
            with _lost_races_are_conflicts(), conn.begin():
                yield conn
        finally:
            if conn.invalidated:  # a broken connection: the next read opens a new one
                self._loop_reader = None

    @property
    def pool_limit(self) -> int:
        """The most connections this process's pool opens at once."""
        pool: Any = self.engine.pool
        size = int(pool.size()) if hasattr(pool, "size") else 0
        return size + max(0, int(getattr(pool, "_max_overflow", 0)))

    def watch_pool(self, on_checkout: Callable[[], None], on_checkin: Callable[[], None]) -> None:
        """Call `on_checkout` when a connection leaves the pool and `on_checkin` when it comes back."""
        event.listen(self.engine, "checkout", lambda *_args: on_checkout())
        event.listen(self.engine, "checkin", lambda *_args: on_checkin())

    def pool_status(self) -> dict[str, int]:
        """Connections of this process's pool: configured size, checked out now, open in total."""
        pool: Any = self.engine.pool
        size = int(pool.size()) if hasattr(pool, "size") else 0
        checked_out = int(pool.checkedout()) if hasattr(pool, "checkedout") else 0
        overflow = int(pool.overflow()) if hasattr(pool, "overflow") else 0
        return {"size": size, "checked_out": checked_out, "open": max(0, size + overflow)}

    def dispose(self) -> None:
        if self._loop_reader is not None:
            self._loop_reader.close()
            self._loop_reader = None
        self.engine.dispose()
        if self._write_lock is not None:
            self._write_lock.close()


class _WriterLock:
    """One SQLite writer at a time: this process's threads (an RLock), then processes on the same file (an
    exclusive `flock` on `<db>-writer`, taken before `BEGIN IMMEDIATE`). A process waiting for another
    process's write retries every millisecond at most, instead of SQLite's busy handler, whose sleeps grow
    to 100 ms and left `serve --workers 2` with POST p99 over a second. The wait is bounded like
    busy_timeout; the kernel drops the lock of a process that dies. Processes that do not take it (the
    sqlite3 shell) still meet `busy_timeout` in BEGIN IMMEDIATE.
    """

    TIMEOUT = 30.0

    def __init__(self, path: str | None) -> None:
        self._threads = threading.RLock()
        self._path = path
        self._fd: int | None = None
        self._depth = 0

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            if self._path is not None and self._depth == 0:
                self._lock_file(self._path)
            self._depth += 1
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *_exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def close(self) -> None:
        with self._threads:
            if self._fd is not None and self._depth == 0:
                os.close(self._fd)
                self._fd = None

    def _lock_file(self, path: str) -> None:
        if self._fd is None:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline, pause = time.monotonic() + self.TIMEOUT, 0.00005
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TransactionConflict("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.001)


class _GroupCommit:
    """FULL durability on SQLite without one fsync per transaction inside the write lock (group commit).

    Connections run at `synchronous=NORMAL`: COMMIT appends the transaction to the WAL file without an fsync.
    Each write transaction then, after COMMIT and outside the write lock, waits until an fsync of the WAL
    that *started after* its COMMIT has finished; one fsync covers every transaction committed before it
    began, so writers arriving together share it instead of queueing one fsync each behind the lock.
    `begin(write=True)` still returns only once the transaction is on disk: a 200 means committed and
    durable, exactly as with FULL. The one difference: another request may read a committed transaction up
    to one fsync before it is durable. (SQLite syncs the WAL itself before every checkpoint, and a WAL file
    that has gone was checkpointed and synced first.)
    """

    def __init__(self, wal_path: str) -> None:
        self._wal_path = wal_path
        self._cond = threading.Condition()
        self._committed = 0  # write transactions committed by this process (counted under the write lock)
        self._durable = 0  # how many of them are known to be on disk
        self._syncing = False

    def committed(self) -> int:
        """Under the write lock, right after COMMIT: the ticket to wait for."""
        self._committed += 1
        return self._committed

    def wait_durable(self, ticket: int) -> None:
        with self._cond:
            while self._durable < ticket:
                if self._syncing:  # an fsync is running; it may not cover us: wait, then look again
                    self._cond.wait()
                    continue
                self._syncing, target, synced = True, self._committed, False
                self._cond.release()
                try:
                    _fsync_file(self._wal_path)
                    synced = True
                finally:
                    self._cond.acquire()
                    self._syncing = False
                    if synced:
                        self._durable = max(self._durable, target)
                    self._cond.notify_all()


def _fsync_file(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # no WAL: the last connection checkpointed it (synced) and removed it
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DatabaseUrlError(ValueError):
    """A --db / PAYKEEP_DATABASE_URL that cannot name a paykeep database (said in one line by the CLI)."""


def check_url(url: str) -> None:
    """`sqlite:///relative/path`, `sqlite:////absolute/path` (in an existing directory) or `postgresql://…`."""
    try:
        parsed = make_url(url)
    except Exception:  # sqlalchemy's ArgumentError, or a ValueError of a bad port
        raise DatabaseUrlError(f"invalid database URL {_safe(url)!r}: use sqlite:///path or "
                               "postgresql://user@host/dbname") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.host or parsed.database in (None, ""):
            raise DatabaseUrlError(f"invalid SQLite URL {_safe(url)!r}: it takes three slashes and a file "
                                   "path: sqlite:///relative.db or sqlite:////absolute/path.db")
        if parsed.database != ":memory:":
            folder = os.path.dirname(os.path.abspath(parsed.database))
            if not os.path.isdir(folder):
                raise DatabaseUrlError(f"the database's directory {folder} does not exist")
    elif backend != "postgresql":
        raise DatabaseUrlError(f"unsupported database {backend!r} in {_safe(url)!r}: paykeep runs on "
                               "sqlite:///path or postgresql://…")


def describe_failure(exc: BaseException) -> str | None:
    """One line for an operator about a database that cannot be used (None: not a database failure)."""
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, DatabaseUrlError):
        return str(exc)
    if isinstance(exc, DBAPIError):
        state = "cannot take writes" if storage_failure_reason(exc) else "is unavailable"
        return f"the database {state}: {_first_line(exc.orig)}"
    if isinstance(exc, SQLAlchemyError):
        return f"database error: {_first_line(exc)}"
    return None


def _first_line(exc: BaseException | None) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _safe(url: str) -> str:
    """The URL without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@", 1)[-1] if "@" in url else url


def _create_private(path: str) -> None:
    """A new SQLite database file is created 0600 here, before SQLite opens it: SQLite gives its -wal and
    -shm files the database file's mode, so they are private too. An existing file keeps its mode."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _configure_sqlite(engine: Engine, synchronous: str, max_pages: int | None = None) -> None:
    if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        synchronous = "FULL"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        if max_pages:
            cur.execute(f"PRAGMA max_page_count={int(max_pages)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Straight to the driver: SQLAlchemy's statement machinery costs ~15x the BEGIN itself. Errors are
        # wrapped as SQLAlchemy would, so conflict_reason() still sees "database is locked".
        sql = "BEGIN IMMEDIATE" if conn.info.get("immediate") else "BEGIN"
        try:
            conn.connection.driver_connection.execute(sql)  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc
