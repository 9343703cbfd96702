"""Seed-flow throughput (issue 7): SQLite vs PostgreSQL, with 1 and 2 API processes.

    python bench/seed_flow.py --pg-url postgresql://postgres@127.0.0.1:54340/postgres [--duration 10]
                              [--clients 8] [--processes 1,2] [--json PATH]

One seed flow = the three calls of the seed guide, each with its own Idempotency-Key:
POST /v1/customers -> POST /v1/setup_intents (confirm=true, payment_method_data 4242…, the card is saved) ->
POST /v1/payment_intents (confirm=true, off_session=true, the saved card). `--clients` threads run flows
back to back for `--duration` seconds per cell against `paykeep serve --no-worker --workers K` on a fresh
database (SQLite: a file, synchronous=FULL, the default; PostgreSQL: a new database on the `--pg-url` cluster,
dropped afterwards). Events are written (the outbox) but no endpoint is subscribed, so no delivery load.

Prints flows/s, requests/s, p50/p99 flow latency and errors per cell, one row per backend. The client threads
share the machine with the server: on a 2-core box the numbers are a floor, comparable with each other.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import cells
import httpx
from cells import drop_database, new_database, stop_server

CARD = {"number": "4242424242424242", "exp_month": "04", "exp_year": "2034", "cvc": "123", "name": "Bench"}


@dataclass
class Cell:
    backend: str
    processes: int
    flows: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def flows_per_s(self) -> float:
        return self.flows / self.seconds if self.seconds else 0.0

    @property
    def requests_per_s(self) -> float:
        return 3 * self.flows_per_s


def start_server(workdir: Path, db_url: str, processes: int) -> tuple[subprocess.Popen[bytes], str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYKEEP_", "PROMETHEUS_"))}
    env.update(PAYKEEP_DATABASE_URL=db_url, PAYKEEP_KEY_FILE=str(workdir / "paykeep.key"),
               PAYKEEP_LOG_LEVEL="warning")
    init = subprocess.run([sys.executable, "-m", "paykeep", "init", "--json"], env=env, cwd=workdir,
                          capture_output=True, text=True, check=True, timeout=120)
    secret = json.loads(init.stdout)["test"]["secret_key"]
    proc, base = cells.start_server(workdir, env, "--workers", str(processes))
    time.sleep(1.0 if processes > 1 else 0)  # let every uvicorn worker finish starting
    return proc, base, secret


def one_flow(client: httpx.Client, n: int) -> bool:
    def post(path: str, body: dict[str, object]) -> dict[str, object] | None:
        resp = client.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
        return resp.json() if resp.status_code == 200 else None

    customer = post("/v1/customers", {"email": f"bench{n}@example.com", "name": "Bench"})
    if customer is None:
        return False
    seti = post("/v1/setup_intents", {
        "confirm": True, "customer": customer["id"], "payment_method_types": ["card"], "usage": "off_session",
        "payment_method_data": {"type": "card", "card": CARD}, "return_url": "https://merchant.example/r"})
    if seti is None or seti.get("status") != "succeeded":
        return False
    pi = post("/v1/payment_intents", {
        "amount": 1999, "currency": "usd", "customer": customer["id"],
        "payment_method": seti["payment_method"], "confirm": True, "off_session": True})
    return pi is not None and pi.get("status") == "succeeded"


def drive(base: str, secret: str, clients: int, duration: float) -> tuple[int, int, list[float], float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = [0.0]
    began = [0.0]

    def go() -> None:  # runs once, when every client is warm
        began[0] = time.monotonic()
        stop_at[0] = began[0] + duration

    start = threading.Barrier(clients + 1, action=go)

    def run(worker: int) -> None:
        with httpx.Client(base_url=base, auth=(secret, ""), timeout=60) as client:
            one_flow(client, -worker - 1)  # warm the connection and the server's caches
            start.wait()
            n = 0
            while time.monotonic() < stop_at[0]:
                began = time.perf_counter()
                ok = one_flow(client, worker * 1_000_000 + n)
                took = time.perf_counter() - began
                with lock:
                    if ok:
                        latencies.append(took)
                    else:
                        errors[0] += 1
                n += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start.wait(120)
    for t in threads:
        t.join(duration + 120)
    return len(latencies), errors[0], latencies, time.monotonic() - began[0]


def measure(backend: str, processes: int, args: argparse.Namespace) -> Cell:
    with tempfile.TemporaryDirectory(prefix="paykeep-bench-") as tmp:
        workdir = Path(tmp)
        db_url = new_database(backend, workdir, args.pg_url)
        proc = None
        try:
            proc, base, secret = start_server(workdir, db_url, processes)
            flows, errors, latencies, seconds = drive(base, secret, args.clients, args.duration)
        finally:
            if proc is not None:
                stop_server(proc)
            drop_database(db_url, args.pg_url)
    ordered = sorted(latencies) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Cell(backend, processes, flows, seconds, errors, statistics.median(ordered) * 1000, p99 * 1000)


def print_table(cells: list[Cell], clients: int, duration: float) -> None:
    procs = sorted({c.processes for c in cells})
    print(f"\nseed flows/s (customer -> setup intent -> payment intent), {clients} client threads, "
          f"{duration:g} s per cell, {os.cpu_count()} CPU cores")
    header = ["backend"] + [f"{p} API process{'es' if p > 1 else ''}" for p in procs]
    rows = []
    for backend in sorted({c.backend for c in cells}, reverse=True):
        row = [backend]
        for p in procs:
            cell = next((c for c in cells if c.backend == backend and c.processes == p), None)
            row.append("-" if cell is None else
                       f"{cell.flows_per_s:6.1f} flows/s ({cell.requests_per_s:5.1f} req/s) "
                       f"p50 {cell.p50_ms:4.0f} ms p99 {cell.p99_ms:5.0f} ms, {cell.errors} errors")
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *rows]:
        print(" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-url", default=os.environ.get("PAYKEEP_BENCH_PG_URL"),
                        help="an admin URL of a PostgreSQL cluster (a database is created per cell)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per cell")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--processes", default="1,2", help="API process counts, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat the grid (cells interleaved) and keep each cell's median round")
    parser.add_argument("--json", type=Path, help="also write the cells as JSON")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b and (b != "postgres" or args.pg_url)]
    if "postgres" in args.backends and not args.pg_url:
        print("no --pg-url (or PAYKEEP_BENCH_PG_URL): PostgreSQL cells skipped", file=sys.stderr)
    runs: dict[tuple[str, int], list[Cell]] = {}
    for _round in range(args.rounds):
        for processes in (int(p) for p in args.processes.split(",")):
            for backend in backends:  # interleaved, so a noisy neighbour hurts every backend alike
                cell = measure(backend, processes, args)
                print(f"{backend:8} x{processes}: {cell.flows_per_s:.1f} flows/s, {cell.errors} errors",
                      flush=True)
                runs.setdefault((backend, processes), []).append(cell)
    cells = [sorted(found, key=lambda c: c.flows_per_s)[len(found) // 2] for found in runs.values()]
    print_table(cells, args.clients, args.duration)
    if args.json:
        rows = [{**asdict(c), "flows_per_s": c.flows_per_s} for c in cells]
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
