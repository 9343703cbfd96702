"""A real paykeep server process on 127.0.0.1, on a real database, that a test can kill and restart."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from support import dialects
from support.databases import drop_database, new_database_url


def free_port() -> int:
    """A loopback port no other process is handed for about a minute, which a server binding it with
    SO_REUSEADDR (`paykeep serve`, http.server) can take at once.

    A port that was merely free when asked can be handed to someone else (another test pass running at the
    same time, another suite on the machine, this process's next call) before our server binds it, which
    takes seconds while `paykeep init` runs. So the port is parked in TIME_WAIT: a connection to it is
    accepted and closed from its side. The kernel then picks it for no `bind(("127.0.0.1", 0))` until the
    TIME_WAIT ends (60 s on Linux), while a bind with SO_REUSEADDR to that port succeeds. Connecting to it
    meanwhile is refused, as to any port nobody listens on."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the TIME_WAIT left must allow it
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        address = listener.getsockname()
        with socket.create_connection(address, timeout=5) as client:
            accepted, _ = listener.accept()
            accepted.close()  # this side closes first, so the TIME_WAIT is on (127.0.0.1, port)
            client.recv(1)  # the FIN: then the client's close finishes the handshake at once
        return int(address[1])


class PaykeepServer:
    def __init__(self, tmp_dir: Path, *, env: dict[str, str] | None = None, worker: bool = True,
                 db_url: str | None = None, dialect: str | None = None) -> None:
        """`dialect` (`wooshpay` or `stripe`; else `env`'s PAYKEEP_DIALECT; else wooshpay) is the account's
        default, given to `paykeep init` and `paykeep serve` as PAYKEEP_DIALECT. The test process's own
        PAYKEEP_DIALECT is not passed on: the suite picks dialects with PAYKEEP_TEST_DIALECTS."""
        self.dialect = dialects.check([dialect or (env or {}).get("PAYKEEP_DIALECT") or dialects.DEFAULT])[0]
        self.dir = tmp_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.owns_db = db_url is None
        self.db_url = db_url or new_database_url(self.dir)
        self.key_file = self.dir / "paykeep.key"
        self.log_path = self.dir / "server.log"
        self.worker = worker
        self.env = {
            **os.environ,
            "PAYKEEP_DATABASE_URL": self.db_url,
            "PAYKEEP_KEY_FILE": str(self.key_file),
            "PAYKEEP_WEBHOOK_RETRY_DELAYS": "0.2,0.2,0.2",
            "PAYKEEP_WEBHOOK_TIMEOUT": "2",
            "PAYKEEP_SQLITE_SYNCHRONOUS": os.environ.get("PAYKEEP_SQLITE_SYNCHRONOUS", "NORMAL"),
            **(env or {}),
            "PAYKEEP_DIALECT": self.dialect,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.keys: dict[str, Any] = {}

    # -- lifecycle --------------------------------------------------------------------------------
    def cli(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "paykeep", *args], env=self.env, cwd=self.dir,
                              capture_output=True, text=True, check=check, timeout=timeout)

    def start(self) -> PaykeepServer:
        init = self.cli("init", "--json")
        self.keys = json.loads(init.stdout)
        args = [sys.executable, "-m", "paykeep", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if not self.worker:
            args.append("--no-worker")
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(args, env=self.env, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT)
        # 60 s, as tests/support/cluster.py: on a 2-core machine other work loads (load average 16),
        # `paykeep serve` alone was seen taking 35 s from its first log line to "startup complete".
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"paykeep exited early:\n{self.log_path.read_text()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()  # the fixture that called start() never reaches its teardown
        raise RuntimeError(f"paykeep did not become healthy in 60 s:\n{self.logs()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks run."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def close(self) -> None:
        """Stop for good; a PostgreSQL database this server created itself is dropped too."""
        self.stop()
        if self.owns_db:
            drop_database(self.db_url)

    def restart(self) -> PaykeepServer:
        self.stop()
        return self.start()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- clients ----------------------------------------------------------------------------------
    @property
    def sk(self) -> str:
        return str(self.keys["test"]["secret_key"])

    @property
    def pk(self) -> str:
        return str(self.keys["test"]["publishable_key"])

    @property
    def sk_live(self) -> str:
        return str(self.keys["live"]["secret_key"])

    def client(self, key: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client using Basic auth (WooshPay style) with the test secret key by default."""
        return httpx.Client(base_url=self.base_url, auth=(key or self.sk, ""), timeout=30, **kwargs)
