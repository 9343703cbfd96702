"""Idempotency records, keyed by (account_id, livemode, key).

A running record names its owner: the process that claimed it, as `host/boot id/pid/start time` (Linux: the
boot id and the process's start time from /proc, so a pid reused after a restart, e.g. pid 1 in a container,
is another owner). At start-up each process releases the running records of owners on its own host that are
no longer alive (`release_orphans`): a request killed with its process (SIGKILL, power loss) does not hold its
key for STALE_RUNNING_MS after the restart. Owners on other hosts cannot be checked from here; their records
still expire after STALE_RUNNING_MS (docs/decisions.md).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, delete, select, tuple_, update
from sqlalchemy.exc import IntegrityError

PROBE_ACCOUNT = "acct_storage_probe"  # no real account: /readyz's write probe (deleted in its transaction)
_owner_cache: tuple[int, str] | None = None


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), "" if unknown."""
    stat = _read(f"/proc/{pid}/stat")
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def _pid_namespace() -> str:
    """This process's PID namespace ("pid:[4026531836]"), "" if unknown: a pid means something only in it."""
    try:
        return os.readlink("/proc/self/ns/pid").replace("/", "")
    except OSError:
        return ""


def process_owner() -> str:
    """This process, as a running record's owner: host/boot id/PID namespace/pid/start time (computed per
    process: uvicorn workers fork)."""
    global _owner_cache
    pid = os.getpid()
    if _owner_cache is None or _owner_cache[0] != pid:
        boot = _read("/proc/sys/kernel/random/boot_id")
        owner = f"{socket.gethostname()}/{boot}/{_pid_namespace()}/{pid}/{_start_time(pid)}"
        _owner_cache = (pid, owner[:200])
    return _owner_cache[1]


def owner_gone(owner: str) -> bool:
    """True only when `owner` certainly is not running any more: it ran on this host, in this PID namespace
    (containers sharing a hostname have pids of their own), and its pid is gone or now names a process that
    started at another time. Whatever cannot be checked (another host or namespace, a pid hidden by
    `hidepid=`, an unreadable /proc) counts as running: such records are left to the stale-record expiry."""
    parts = owner.split("/")
    if len(parts) != 5:
        return False
    host, boot, namespace, pid_text, started = parts
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    if boot and boot != _read("/proc/sys/kernel/random/boot_id"):
        return True  # the machine rebooted since
    if not namespace or namespace != _pid_namespace():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, and not ours
    now_started = _start_time(pid)
    return bool(started and now_started and now_started != started)  # the pid was reused


class Repository:
    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.t = table

    def _where(self, account_id: str, livemode: bool, key: str) -> Any:
        return (self.t.c.account_id == account_id, self.t.c.livemode == livemode, self.t.c.key == key)

    def get_key(
        self, account_id: str, livemode: bool, key: str, *, for_update: bool = False
    ) -> dict[str, Any] | None:
        query = select(self.t).where(*self._where(account_id, livemode, key))
        if for_update and self.conn.dialect.name != "sqlite":
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        return dict(row) if row else None

    def insert_running(self, values: dict[str, Any]) -> bool:
        """Insert (owned by this process); False when a concurrent request inserted the same key first."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(self.t.insert().values(**values, owner=process_owner()))
        except IntegrityError:
            return False
        return True

    def take_over(self, account_id: str, livemode: bool, key: str, values: dict[str, Any]) -> None:
        """A stale running record, claimed again by this process."""
        self.update_key(account_id, livemode, key, {**values, "owner": process_owner()})

    def update_key(self, account_id: str, livemode: bool, key: str, values: dict[str, Any]) -> None:
        self.conn.execute(update(self.t).where(*self._where(account_id, livemode, key)).values(**values))

    def delete_key(self, account_id: str, livemode: bool, key: str, *, only_running: bool = False) -> None:
        where = self._where(account_id, livemode, key)
        if only_running:
            where = (*where, self.t.c.state == "running")
        self.conn.execute(delete(self.t).where(*where))

    def release_orphans(self) -> int:
        """Delete the running records whose owner process is gone (see the module's docstring)."""
        owners = self.conn.execute(
            select(self.t.c.owner).where(self.t.c.state == "running", self.t.c.owner.is_not(None)).distinct()
        ).scalars().all()
        gone = [owner for owner in owners if owner_gone(owner)]
        if not gone:
            return 0
        running_of_gone = (self.t.c.state == "running", self.t.c.owner.in_(gone))
        result = self.conn.execute(delete(self.t).where(*running_of_gone))
        return int(result.rowcount or 0)

    def probe_write(self, now_ms: int) -> None:
        """A real write that leaves nothing behind: a record of a page's size, inserted and deleted (the
        storage must find room for it, as for any request)."""
        key = process_owner()
        self.conn.execute(self.t.insert().values(
            account_id=PROBE_ACCOUNT, livemode=False, key=key, method="PROBE", path="/readyz", fingerprint="",
            state="done", request_id="", response_body="x" * 8192, created=now_ms))
        self.conn.execute(delete(self.t).where(*self._where(PROBE_ACCOUNT, False, key)))

    def any_before(self, created_ms: int) -> bool:
        """Whether purge_before would delete anything (a read: no write lock while there is nothing to do)."""
        found = self.conn.execute(select(self.t.c.created).where(self.t.c.created < created_ms).limit(1))
        return found.first() is not None

    def purge_before(self, created_ms: int, limit: int) -> int:
        """Delete up to `limit` records created before `created_ms` (oldest first); returns how many."""
        key = tuple_(self.t.c.account_id, self.t.c.livemode, self.t.c.key)
        oldest = (select(self.t.c.account_id, self.t.c.livemode, self.t.c.key)
                  .where(self.t.c.created < created_ms).order_by(self.t.c.created).limit(limit))
        return int(self.conn.execute(delete(self.t).where(key.in_(oldest))).rowcount or 0)
