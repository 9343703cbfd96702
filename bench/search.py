"""Search benchmark (issue 14, item 3): GET /v1/customers/search over 100,000 customers, on SQLite and
PostgreSQL.

    python bench/search.py [--customers 100000] [--queries 300] [--backends sqlite,postgres]
                           [--pg-url postgresql://postgres@127.0.0.1:54340/postgres] [--json PATH] [--keep]

For each backend: a fresh database (`paykeep init`; PostgreSQL: a new database on the `--pg-url` /
PAYKEEP_BENCH_PG_URL cluster, dropped afterwards), then `--customers` customers added in-process through the
repository (`uow.customers.add`, 5,000 per transaction: the row and its metadata index entries, as the API
writes them; no events), then `paykeep serve --no-worker` and, one request at a time over HTTP (httpx, keep-
alive), `--queries` searches of each kind after 20 warm-up requests:

- `email:"user<i>@example.com"` (one match; index on lower(email)),
- `metadata["order"]:"o<i>"` (one match; the search_metadata index),
- `metadata["tier"]:"gold"` (one customer in ten: the first page of 10),
- `name~"<5 digits>"` (a substring: no index can help, every row is read),
- and, for scale, GET /v1/customers/{id} (one indexed row).

<i> is random over the whole store. Prints p50 / p99 / mean latency per kind (client-side, whole HTTP
request) and the seeding time. Bounded: (5 kinds x (queries + 20)) requests per backend. On a shared 2-core
machine the numbers are a ceiling on latency, comparable with each other.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cells
import httpx
from cells import drop_database, new_database, stop_server
from rich.console import Console
from rich.table import Table

WARM_UP = 20
BATCH = 5000
console = Console(width=150)


@dataclass
class Cell:
    backend: str
    kind: str
    requests: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    matches: float  # objects per answer, on average


def env_for(workdir: Path, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYKEEP_", "PROMETHEUS_"))}
    env.update(PAYKEEP_DATABASE_URL=db_url, PAYKEEP_KEY_FILE=str(workdir / "paykeep.key"),
               PAYKEEP_LOG_LEVEL="warning")
    return env


def init(workdir: Path, db_url: str) -> str:
    out = subprocess.run([sys.executable, "-m", "paykeep", "init", "--json"], env=env_for(workdir, db_url),
                         cwd=workdir, capture_output=True, text=True, check=True, timeout=120)
    return str(json.loads(out.stdout)["test"]["secret_key"])


def seed(workdir: Path, db_url: str, count: int) -> tuple[list[str], float]:
    """`count` customers through the repository, BATCH per write transaction; their ids and the seconds."""
    from paykeep import bootstrap
    from paykeep.config import Settings
    from paykeep.domain.customers import Customer
    from paykeep.services import accounts

    settings = Settings.from_env(database_url=db_url, key_file=workdir / "paykeep.key")
    runtime = bootstrap.build_runtime(settings)
    try:
        keys = accounts.reveal_keys(runtime.deps)
        assert keys is not None, "paykeep init made no account"
        deps, ids = runtime.deps, []
        started = time.perf_counter()
        now = deps.clock.now_ms()
        for start in range(0, count, BATCH):
            with deps.begin(write=True) as uow:
                for i in range(start, min(start + BATCH, count)):
                    customer = Customer(
                        id=deps.ids.new("cus"), account_id=keys.account_id, livemode=False, created=now + i,
                        email=f"user{i}@example.com", name=f"Customer {i:05d}",
                        metadata={"order": f"o{i}", "tier": "gold" if i % 10 == 0 else "standard"})
                    uow.customers.add(customer)
                    ids.append(customer.id)
        return ids, time.perf_counter() - started
    finally:
        runtime.close()


def start_server(workdir: Path, db_url: str) -> tuple[subprocess.Popen[bytes], str]:
    return cells.start_server(workdir, env_for(workdir, db_url))


Request = tuple[str, dict[str, str]]  # path, query parameters


def requests_of(kind: str, count: int, ids: list[str], rng: random.Random) -> list[Request]:
    n = len(ids)
    out = []
    for _ in range(count):
        i = rng.randrange(n)
        if kind == "GET /v1/customers/{id}":
            out.append((f"/v1/customers/{ids[i]}", {}))
            continue
        query = {
            'email:"…"': f'email:"user{i}@example.com"',
            'metadata["order"]:"…"': f'metadata["order"]:"o{i}"',
            'metadata["tier"]:"gold"': 'metadata["tier"]:"gold"',
            'name~"…"': f'name~"{i:05d}"',
        }[kind]
        out.append(("/v1/customers/search", {"query": query}))
    return out


KINDS = ('email:"…"', 'metadata["order"]:"…"', 'metadata["tier"]:"gold"', 'name~"…"',
         "GET /v1/customers/{id}")


def measure(backend: str, base: str, secret: str, ids: list[str], queries: int) -> list[Cell]:
    rng = random.Random(14)
    cells = []
    with httpx.Client(base_url=base, auth=(secret, ""), timeout=60) as client:
        for kind in KINDS:
            for path, params in requests_of(kind, WARM_UP, ids, rng):
                client.get(path, params=params).raise_for_status()
            times, matches = [], 0
            for path, params in requests_of(kind, queries, ids, rng):
                started = time.perf_counter()
                resp = client.get(path, params=params)
                times.append((time.perf_counter() - started) * 1000)
                resp.raise_for_status()
                body = resp.json()
                matches += len(body["data"]) if "data" in body else 1
            times.sort()
            cells.append(Cell(backend, kind, queries, statistics.median(times),
                              times[min(len(times) - 1, int(len(times) * 0.99))], statistics.fmean(times),
                              matches / queries))
    return cells


def print_table(cells: list[Cell], customers: int, seeded: dict[str, float]) -> None:
    table = Table(title=f"GET /v1/customers/search over {customers:,} customers (one request at a time)")
    for name in ("backend", "query", "requests", "p50 ms", "p99 ms", "mean ms", "found"):
        table.add_column(name, justify="left" if name in ("backend", "query") else "right")
    for c in cells:
        table.add_row(c.backend, c.kind, str(c.requests), f"{c.p50_ms:.2f}", f"{c.p99_ms:.2f}",
                      f"{c.mean_ms:.2f}", f"{c.matches:g}")
    console.print(table)
    for backend, seconds in seeded.items():
        console.print(f"{backend}: {customers:,} customers seeded in {seconds:.1f} s "
                      f"({customers / seconds:,.0f}/s, through the repository)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300, help="measured requests per kind (default 300)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=os.environ.get("PAYKEEP_BENCH_PG_URL"),
                        help="a PostgreSQL cluster's admin URL (CREATE DATABASE / DROP DATABASE)")
    parser.add_argument("--json", type=Path, help="also write the cells as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    if "postgres" in backends and not args.pg_url:
        console.print("no --pg-url (or PAYKEEP_BENCH_PG_URL): the PostgreSQL run is skipped")
        backends.remove("postgres")
    cells: list[Cell] = []
    seeded: dict[str, float] = {}
    for backend in backends:
        workdir = Path(tempfile.mkdtemp(prefix=f"paykeep-bench-search-{backend}-"))
        db_url = new_database(backend, workdir, args.pg_url)
        try:
            secret = init(workdir, db_url)
            console.print(f"{backend}: seeding {args.customers:,} customers …")
            ids, seeded[backend] = seed(workdir, db_url, args.customers)
            proc, base = start_server(workdir, db_url)
            try:
                cells += measure(backend, base, secret, ids, args.queries)
            finally:
                stop_server(proc)
        finally:
            drop_database(db_url, args.pg_url)
            if not args.keep:
                import shutil

                shutil.rmtree(workdir, ignore_errors=True)
    print_table(cells, args.customers, seeded)
    if args.json:
        args.json.write_text(json.dumps({"customers": args.customers, "seeded_s": seeded,
                                         "cells": [asdict(c) for c in cells]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
