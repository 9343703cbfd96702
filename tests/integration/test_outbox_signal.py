"""Waking webhook workers in other processes (adapters/db/outbox_signal.py): PostgreSQL LISTEN/NOTIFY, and
on SQLite a datagram between the processes of one machine.

The worker's poll is set to 60 s here, so a delivery that arrives within seconds was woken by the
signal, not found by a poll."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from paykeep.adapters.db import outbox_signal
from paykeep.adapters.db.engine import Database
from support.cluster import Cluster
from support.databases import BACKEND
from support.receiver import Receiver, wait_until


class Signals:
    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.count += 1


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's (the SQLite signal is "
                    "tested across processes below); PAYKEEP_TEST_BACKEND=postgres runs this")
def test_the_listener_hears_committed_announcements_only(database_url: str) -> None:
    db = Database(database_url)
    signals = Signals()
    listener = outbox_signal.listener_for(database_url, signals, check_s=0.05)
    assert listener is not None
    try:
        assert listener.listening.wait(20)
        wait_until(lambda: signals.count == 1, timeout=10)  # the catch-up signal on connecting
        with db.engine.connect() as conn:
            with conn.begin() as tx:
                outbox_signal.announce(conn)
                outbox_signal.announce(conn)  # folded into one by PostgreSQL
                tx.rollback()
            with conn.begin():
                conn.execute(text("SELECT 1"))
        with db.engine.begin() as conn:
            outbox_signal.announce(conn)
            outbox_signal.announce(conn)
        wait_until(lambda: signals.count == 2, timeout=10)
        time.sleep(0.3)  # a rolled-back or repeated announcement would show up by now
        assert signals.count == 2
    finally:
        listener.stop()
        db.dispose()
    assert not listener.listening.is_set()
    with db.engine.begin() as conn:
        outbox_signal.announce(conn)
    time.sleep(0.2)
    assert signals.count == 2, "a stopped listener calls nothing"
    db.dispose()


def test_a_separate_worker_delivers_at_once_though_its_poll_is_a_minute(tmp_path: Path) -> None:
    receiver = Receiver()
    cluster = Cluster(tmp_path / "cluster", env_extra={"PAYKEEP_WORKER_POLL_INTERVAL": "60"})
    try:
        cluster.init()
        api_proc = cluster.start_api()  # --no-worker: this process sends nothing
        worker = cluster.start_worker()
        wait_until(lambda: "outbox listener: listening" in worker.logs(), timeout=60)
        with cluster.client(api_proc) as api:
            api.post("/v1/webhook_endpoints", data={
                "url": receiver.url, "enabled_events[]": ["customer.created"]})
            sent = []  # the first may meet the worker's start-up cycle; the later ones only a wake-up
            for n in range(3):
                started = time.monotonic()
                cus = api.post("/v1/customers", data={"email": f"n{n}@example.com"}).json()
                got = receiver.wait_count(n + 1, timeout=20)
                assert got[n].event["data"]["object"]["id"] == cus["id"]
                sent.append(time.monotonic() - started)
        assert max(sent) < 10, sent  # a poll would have taken up to 60 s
    finally:
        cluster.close()
        receiver.close()


@pytest.mark.skipif(BACKEND != "sqlite", reason="the SQLite signal")
def test_sqlite_wakes_only_the_workers_of_the_same_database_file(tmp_path: Path) -> None:
    """Two processes' worth of listeners, one per database file; the announcer of file A wakes A's only.
    (Listeners of this process are skipped by the announcer: a commit wakes them directly.)"""
    heard = {"a": Signals(), "b": Signals()}
    paths = {name: str(tmp_path / f"{name}.db") for name in heard}
    listeners = {name: outbox_signal.LocalListener(paths[name], heard[name], check_s=0.05).start()
                 for name in heard}
    announce_a = outbox_signal.after_commit_announcer(f"sqlite:///{paths['a']}")
    assert announce_a is not None
    try:
        outbox_signal._OWN_NAMES.clear()  # stand-ins for listeners in other processes
        for _ in range(3):
            announce_a()
        wait_until(lambda: heard["a"].count == 3, timeout=10)
        time.sleep(0.2)  # a datagram to the wrong file's listener would have arrived by now
        assert heard["b"].count == 0
    finally:
        for listener in listeners.values():
            listener.stop()
    announce_a()
    time.sleep(0.2)
    assert heard["a"].count == 3, "a stopped listener hears nothing"
