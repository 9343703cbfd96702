"""Several paykeep processes on one database, as a scaled-out deployment runs them: API servers
(`paykeep serve --no-worker [--workers N]`) and delivery workers (`paykeep worker`), all on 127.0.0.1.

Each process starts in its own session (process group), so `close()` also ends the uvicorn worker processes
a `serve --workers N` parent spawned, even after the parent itself was killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from support.databases import drop_database, new_database_url
from support.server import free_port


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            self.popen.send_signal(sig)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def children(self) -> list[int]:
        """uvicorn's worker processes: live children started by multiprocessing's spawn (not its resource
        tracker)."""
        return [pid for pid in children_of(self.pid) if b"spawn_main" in _cmdline(pid)]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


@dataclass
class Cluster:
    dir: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    db_url: str = ""
    procs: list[Proc] = field(default_factory=list)
    keys: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.owns_db = not self.db_url
        self.db_url = self.db_url or new_database_url(self.dir)
        self.key_file = self.dir / "paykeep.key"
        self.env = {
            **os.environ,
            "PAYKEEP_DATABASE_URL": self.db_url,
            "PAYKEEP_KEY_FILE": str(self.key_file),
            "PAYKEEP_WEBHOOK_RETRY_DELAYS": "0.2,0.2,0.2",
            "PAYKEEP_WEBHOOK_TIMEOUT": "2",
            "PAYKEEP_SQLITE_SYNCHRONOUS": os.environ.get("PAYKEEP_SQLITE_SYNCHRONOUS", "NORMAL"),
            **self.env_extra,
        }
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)

    # -- processes --------------------------------------------------------------------------------
    def init(self) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-m", "paykeep", "init", "--json"], env=self.env, cwd=self.dir,
                              capture_output=True, text=True, check=True, timeout=120)
        self.keys = json.loads(done.stdout)
        return self.keys

    def _spawn(self, name: str, args: list[str], port: int | None = None) -> Proc:
        log_path = self.dir / f"{name}.log"
        log = log_path.open("ab")
        popen = subprocess.Popen([sys.executable, "-m", "paykeep", *args], env=self.env, cwd=self.dir,
                                 stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        proc = Proc(name, popen, log_path, port)
        self.procs.append(proc)
        return proc

    def start_api(self, *, workers: int = 1, in_process_worker: bool = False, timeout: float = 60,
                  extra_args: tuple[str, ...] = ()) -> Proc:
        port = free_port()
        args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), *extra_args]
        if not in_process_worker:
            args.append("--no-worker")
        proc = self._spawn(f"api-{len(self.procs)}", args, port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited early:\n{proc.logs()}")
            if workers > 1 and len(proc.children()) < workers:
                time.sleep(0.05)
                continue
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(proc.base_url + "/readyz", timeout=1).status_code == 200:
                    return proc
            time.sleep(0.05)
        raise RuntimeError(f"{proc.name} did not become ready in {timeout} s:\n{proc.logs()}")

    def start_worker(self) -> Proc:
        return self._spawn(f"worker-{len(self.procs)}", ["worker"])

    def close(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)  # the session this test started for it
        deadline = time.monotonic() + 15
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(5)
        if self.owns_db:
            drop_database(self.db_url)

    # -- clients ----------------------------------------------------------------------------------
    @property
    def sk(self) -> str:
        return str(self.keys["test"]["secret_key"])

    def client(self, proc: Proc, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=proc.base_url, auth=(self.sk, ""), timeout=60, **kwargs)
