"""A throwaway database and server per benchmark cell (bench/seed_flow.py, bench/search.py): a SQLite file in
the cell's directory, or a new database on a PostgreSQL cluster (`pg_admin`, the URL of its `postgres`
database), dropped afterwards; `paykeep serve --no-worker` on a free loopback port, in its own session."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from paykeep.testing.kit import free_port


def new_database(backend: str, workdir: Path, pg_admin: str | None) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'paykeep.db'}"
    import psycopg

    assert pg_admin, "--pg-url is needed for the PostgreSQL cells"
    name = "pk_bench_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_admin.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str, pg_admin: str | None) -> None:
    if url.startswith("sqlite") or not pg_admin:
        return
    import psycopg

    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def start_server(workdir: Path, env: dict[str, str], *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """`paykeep serve --no-worker <args>` in `workdir` (its log in server.log), once /readyz answers."""
    port = free_port()
    log = (workdir / "server.log").open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "paykeep", "serve", "--no-worker", "--host", "127.0.0.1",
                             "--port", str(port), *args], env=env, cwd=workdir, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((workdir / "server.log").read_text())
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return proc, base
        time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError("paykeep serve did not become ready")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, 15)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(10)
