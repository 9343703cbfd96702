"""Waking webhook workers in other processes when deliveries are written: PostgreSQL LISTEN/NOTIFY.

A process that writes deliveries wakes its own worker after the commit (`Runtime.wake_outbox`). A worker in
another process (`paykeep worker` beside `serve --no-worker`, another `serve` process, or the CLI's `events
resend`) would only see them at its next poll (`PAYKEEP_WORKER_POLL_INTERVAL`, 0.5 s by default). On
PostgreSQL the writing transaction also runs `pg_notify` on CHANNEL, which the server delivers to every
listener when (and only if) that transaction commits; each worker keeps one extra connection that LISTENs
and wakes it. Notifications are a hint, never the source of truth: the worker still claims from the table,
and still polls, so a notification lost while a listener reconnects costs at most one poll interval.
SQLite has no such channel between processes: separate workers there poll.
"""

from __future__ import annotations

import logging
import threading
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


class OutboxListener:
    """A thread with its own connection that LISTENs on CHANNEL and calls `on_signal` (cheap, thread-safe)
    for every notification, once right after (re)connecting (whatever was announced while it was not
    listening), and never after `stop()`. A lost connection is reopened after `reconnect_s`."""

    def __init__(self, database_url: str, on_signal: Callable[[], None], *, reconnect_s: float = 1.0,
                 check_s: float = 0.5) -> None:
        self._conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        self._on_signal = on_signal
        self._reconnect_s = reconnect_s
        self._check_s = check_s  # how soon stop() is noticed
        self._stopping = threading.Event()
        self.listening = threading.Event()  # set while LISTEN is in place (tests wait for it)
        self._thread = threading.Thread(target=self._run, name="paykeep-outbox-listener", daemon=True)

    def start(self) -> OutboxListener:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
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

    def _signal(self) -> None:
        if not self._stopping.is_set():
            try:
                self._on_signal()
            except Exception as exc:  # noqa: BLE001 - a failing callback must not end the listener
                log.error("outbox listener callback failed: %s", type(exc).__name__)


def listener_for(database_url: str, on_signal: Callable[[], None], **options: Any) -> OutboxListener | None:
    """A started listener where the database has a channel (PostgreSQL), else None."""
    if make_url(database_url).get_backend_name() != "postgresql":
        return None
    return OutboxListener(database_url, on_signal, **options).start()
