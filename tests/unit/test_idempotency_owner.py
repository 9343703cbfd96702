"""Who holds a running Idempotency-Key: freed at start-up only when its process is certainly gone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from paykeep.adapters.db.repositories.idempotency_keys import owner_gone, process_owner


def _with(owner: str, index: int, value: str) -> str:
    parts = owner.split("/")
    parts[index] = value
    return "/".join(parts)


def test_a_running_process_is_not_gone() -> None:
    assert not owner_gone(process_owner())


def test_a_process_that_exited_is_gone() -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    dead = _with(_with(process_owner(), 3, child.stdout.strip()), 4, "")
    assert owner_gone(dead)


def test_a_reused_pid_is_gone_but_an_unknown_start_time_is_not() -> None:
    assert owner_gone(_with(process_owner(), 4, "1"))  # this pid, started at another time
    assert not owner_gone(_with(process_owner(), 4, ""))


def test_what_cannot_be_checked_counts_as_running() -> None:
    mine = process_owner()
    assert not owner_gone(_with(mine, 0, socket.gethostname() + "-other"))  # another host
    assert not owner_gone(_with(mine, 2, "pid:[1]"))  # another PID namespace: its pids are not ours
    assert not owner_gone(_with(mine, 2, ""))  # a namespace nobody could read
    assert not owner_gone(f"{socket.gethostname()}/x/{os.getpid()}/1")  # not the owner format
    assert not owner_gone("")
