"""`serve --pin-cpus`: each API process on a CPU of its own (Linux).

An API process is an event loop plus a threadpool for writes; left to the scheduler, the two halves run on
different CPUs and hand Python's GIL back and forth across them on every request, which on the 2-CPU
development machine cut POST /v1/customers at 8 connections from ~1,680 to ~1,030 requests/s and raised
its p99 from 11 to 61 ms (bench/README.md). Pinned, a process's threads share one CPU's caches and hand
over without cross-CPU wake-ups.

Each process takes the first free slot (an exclusive `flock` on `<slot dir>/cpu-<n>`) among the CPUs it may
run on, and keeps it while it lives: a worker uvicorn restarts takes the slot its predecessor left. With
more processes than CPUs, the extra ones are left unpinned.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

SLOTS_ENV = "PAYKEEP_CPU_SLOTS"  # the slot directory `serve --pin-cpus --workers N` hands its workers
log = logging.getLogger("paykeep.placement")
_held: list[int] = []  # slot file descriptors: their locks are this process's until it exits


def pin_to_free_cpu(slot_dir: Path) -> int | None:
    """Pin this process (all its threads, and the ones it starts later) to a CPU no sibling holds."""
    if not hasattr(os, "sched_setaffinity"):
        log.warning("--pin-cpus: this platform cannot pin processes to CPUs; left to the scheduler")
        return None
    slot_dir.mkdir(parents=True, exist_ok=True)
    for cpu in sorted(os.sched_getaffinity(0)):
        fd = os.open(slot_dir / f"cpu-{cpu}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _held.append(fd)
        for thread in _threads():
            os.sched_setaffinity(thread, {cpu})
        log.info("pinned to CPU %d", cpu)
        return cpu
    log.warning("--pin-cpus: every CPU already has an API process; this one is left to the scheduler")
    return None


def _threads() -> list[int]:
    try:
        return [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:  # no /proc: the calling thread (threads started from now on inherit it)
        return [0]
