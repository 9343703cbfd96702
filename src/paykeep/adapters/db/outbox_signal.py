"""Waking webhook workers in other processes when deliveries are written: PostgreSQL LISTEN/NOTIFY, and
on SQLite a datagram between the processes of one machine.

A process that writes deliveries wakes its own worker after the commit (`Runtime.wake_outbox`). A worker in
another process (`paykeep worker` beside `serve --no-worker`, another `serve` process, or the CLI's `events
resend`) would only see them at its next poll (`PAYKEEP_WORKER_POLL_INTERVAL`, 0.5 s by default). On
PostgreSQL the writing transaction also runs `pg_notify` on CHANNEL, which the server delivers to every
listener when (and only if) that transaction commits; each worker keeps one extra connection that LISTENs
and wakes it. Notifications are a hint, never the source of truth: the worker still claims from the table,
and still polls, so a notification lost while a listener reconnects costs at most one poll interval.

SQLite has no channel of its own, and every process using the file runs on this machine: each worker binds
an abstract Unix datagram socket (Linux) named after the database file, `paykeep-wake-<hash>-<pid>-<token>`,
and a process that committed deliveries sends one byte to every such socket it finds in /proc/net/unix
(`LocalAnnouncer`, after the commit, from `Runtime.wake_outbox`). Abstract sockets carry no file
permissions: another local user could send a wake-up (it costs a worker one cheap read) or listen for them
(it learns when deliveries are written, nothing more: the byte carries no data).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, make_url

log = logging.getLogger("paykeep.outbox_signal")
CHANNEL = "paykeep_outbox"


def announce(conn: Connection) -> None:
    """In the writing transaction: wake the listening workers once it commits (PostgreSQL; a no-op on
    SQLite). Several announcements in one transaction arrive as one (PostgreSQL folds equal ones)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_notify('{CHANNEL}', '')")


class Listener:
    """A daemon thread that calls `on_signal` (cheap, thread-safe) for each wake-up its `_listen` hears, and
    never after `stop()`; `_listen` returns within `check_s` of `stop()`. Subclasses: one per database."""

    def __init__(self, on_signal: Callable[[], None], *, check_s: float = 0.5) -> None:
        self._on_signal = on_signal
        self._check_s = check_s
        self._stopping = threading.Event()
        self.listening = threading.Event()  # set while wake-ups can arrive (tests wait for it)
        self._thread = threading.Thread(target=self._listen, name="paykeep-outbox-listener", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)
        self.listening.clear()

    def _listen(self) -> None:
        raise NotImplementedError

    def _signal(self) -> None:
        if not self._stopping.is_set():
            try:
                self._on_signal()
            except Exception as exc:  # noqa: BLE001 - a failing callback must not end the listener
                log.error("outbox listener callback failed: %s", type(exc).__name__)


class OutboxListener(Listener):
    """PostgreSQL: its own connection LISTENs on CHANNEL; a signal for every notification and one right
    after (re)connecting (whatever was announced while it was not listening). A lost connection is
    reopened after `reconnect_s`."""

    def __init__(self, database_url: str, on_signal: Callable[[], None], *, reconnect_s: float = 1.0,
                 check_s: float = 0.5) -> None:
        super().__init__(on_signal, check_s=check_s)
        self._conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        self._reconnect_s = reconnect_s

    def _listen(self) -> None:
        import psycopg

        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    log.info("outbox listener: listening on %s", CHANNEL)
                    self.listening.set()
                    self._signal()
                    while not self._stopping.is_set():
                        for _notify in conn.notifies(timeout=self._check_s):
                            self._signal()
            except psycopg.Error as exc:
                log.warning("outbox listener: %s; reconnecting in %.1f s", type(exc).__name__,
                            self._reconnect_s)
            finally:
                self.listening.clear()
            self._stopping.wait(self._reconnect_s)


def _sqlite_file(database_url: str) -> str | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return os.path.realpath(url.database)


def _local_prefix(path: str) -> str:
    return f"paykeep-wake-{hashlib.sha256(path.encode()).hexdigest()[:16]}-"


_OWN_NAMES: set[str] = set()  # this process's local listeners: a commit here wakes them directly


class LocalListener(Listener):
    """SQLite: an abstract datagram socket named after the database file; a signal for every byte."""

    def __init__(self, path: str, on_signal: Callable[[], None], *, check_s: float = 0.5) -> None:
        super().__init__(on_signal, check_s=check_s)
        self.name = f"{_local_prefix(path)}{os.getpid()}-{secrets.token_hex(4)}"
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind("\0" + self.name)
        self._sock.settimeout(check_s)

    def start(self) -> Listener:
        _OWN_NAMES.add(self.name)
        self.listening.set()
        log.info("outbox listener: listening on @%s", self.name)
        return super().start()

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)
        _OWN_NAMES.discard(self.name)
        self._sock.close()

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                self._sock.recv(16)
            except TimeoutError:
                continue
            except OSError:
                return
            self._signal()


class LocalAnnouncer:
    """SQLite: after a commit that wrote deliveries, one byte to every other process's LocalListener of the
    same database file. The list of listeners is read from /proc/net/unix at most every `refresh_s` seconds
    (a worker started since then is woken by its poll until the next read)."""

    def __init__(self, path: str, *, refresh_s: float = 1.0) -> None:
        self._prefix = "@" + _local_prefix(path)
        self._refresh_s = refresh_s
        self._peers: list[str] = []
        self._read_at = float("-inf")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._read_at > self._refresh_s:
                self._peers, self._read_at = self._read_peers(), now
            for name in self._peers:
                if name in _OWN_NAMES:
                    continue
                with contextlib.suppress(OSError):  # gone, or its queue is full (it is awake already)
                    self._sock.sendto(b"w", "\0" + name)

    def _read_peers(self) -> list[str]:
        try:
            with open("/proc/net/unix", encoding="utf-8", errors="replace") as table:
                paths = [line.rsplit(None, 1)[-1] for line in table if self._prefix in line]
        except OSError:
            return []
        return [p[1:] for p in paths if p.startswith(self._prefix)]


def listener_for(database_url: str, on_signal: Callable[[], None], **options: Any) -> Listener | None:
    """A started listener for this database: LISTEN on PostgreSQL, a datagram socket for a SQLite file."""
    if make_url(database_url).get_backend_name() == "postgresql":
        return OutboxListener(database_url, on_signal, **options).start()
    path = _sqlite_file(database_url)
    return LocalListener(path, on_signal, **options).start() if path else None


def after_commit_announcer(database_url: str) -> Callable[[], None] | None:
    """What `Runtime.wake_outbox` calls after a commit that wrote deliveries, to wake other processes'
    workers: for a SQLite file a LocalAnnouncer; None on PostgreSQL (the commit itself notifies)."""
    path = _sqlite_file(database_url)
    return LocalAnnouncer(path) if path else None
