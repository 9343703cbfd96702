"""Benchmark (issue 2, item 9): paykeep and localstripe side by side, in one run, through the same requests.

    python bench/customers.py [--quick] [--workers N] [--repeat N] [--duration S] [--markdown] [--json PATH]

Load comes from `wrk` (Debian package `wrk`) running bench/customers.lua, so the client is not the bottleneck.
Three phases, each on freshly started servers listening on 127.0.0.1:

1. empty store (100 customers, created over HTTP, to fetch): GET /v1/customers/{id}, then POST /v1/customers,
   at concurrency 1, 8, 32, paykeep and localstripe alternately;
2. 10,000 customers stored (seeded in-process on both sides: bench/seed.py, bench/localstripe_server.py):
   GET at 1, 8, 32;
3. 100,000 customers stored (paykeep only; localstripe pickles its whole store on every write): POST at
   1, 8, 32, alternating with a second paykeep on a fresh database, so both see the same machine load.

paykeep runs as `paykeep serve` with its defaults (SQLite, synchronous=FULL, the webhook worker on, one access
log line per request, to a file). With --repeat N every cell runs N times (servers alternating) and the best
run is kept: other processes on a shared machine only ever slow a run down. Prints one table per phase, then
the issue's targets, met or not.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

BENCH = Path(__file__).resolve().parent
LUA = BENCH / "customers.lua"
CONCURRENCY = (1, 8, 32)
console = Console(width=150)


@dataclass
class Cell:
    phase: str
    server: str
    op: str
    concurrency: int
    ops: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class Server:
    name: str
    base_url: str
    auth: str  # the Authorization header
    proc: subprocess.Popen[bytes]
    dir: Path
    ids_file: Path | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def wait_ready(server: Server, path: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited early; see {server.dir}")
        try:
            if (
                httpx.get(
                    server.base_url + path, headers={"Authorization": server.auth}, timeout=2
                ).status_code
                < 500
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} not ready after {timeout} s")


# -- paykeep ------------------------------------------------------------------------------------------
def paykeep_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYKEEP_")}
    env.update(
        PAYKEEP_DATABASE_URL=f"sqlite:///{workdir / 'paykeep.db'}",
        PAYKEEP_KEY_FILE=str(workdir / "paykeep.key"),
    )
    # compare settings
    for name in ("PAYKEEP_SQLITE_SYNCHRONOUS", "PAYKEEP_LOG_LEVEL", "PAYKEEP_HTTP_PROTOCOL",
                 "PAYKEEP_FAST_PATH", "PAYKEEP_REQUEST_LOGS"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def paykeep_init(workdir: Path) -> str:
    workdir.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        [sys.executable, "-m", "paykeep", "init", "--json"],
        env=paykeep_env(workdir),
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return str(json.loads(out.stdout)["test"]["secret_key"])


def paykeep_seed(workdir: Path, count: int, ids_file: Path | None = None) -> subprocess.Popen[bytes]:
    args = [sys.executable, str(BENCH / "seed.py"), "--count", str(count)]
    if ids_file is not None:
        args += ["--ids-file", str(ids_file)]
    return subprocess.Popen(args, env=paykeep_env(workdir), cwd=workdir, stdout=subprocess.DEVNULL)


def start_paykeep(workdir: Path, secret_key: str, workers: int, pin: bool = False) -> Server:
    port = free_port()
    args = [sys.executable, "-m", "paykeep", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        args += ["--workers", str(workers)]
    if pin:
        args.append("--pin-cpus")  # each API process on a CPU of its own (paykeep/placement.py)
    log = (workdir / "paykeep.log").open("ab")
    proc = subprocess.Popen(args, env=paykeep_env(workdir), cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    server = Server("paykeep", f"http://127.0.0.1:{port}", basic(secret_key), proc, workdir)
    try:
        wait_ready(server, "/healthz")
    except BaseException:
        server.stop()
        raise
    return server


# -- localstripe --------------------------------------------------------------------------------------
def start_localstripe(workdir: Path, seed: int = 0) -> Server:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = [
        sys.executable,
        str(BENCH / "localstripe_server.py"),
        "--port",
        str(port),
        "--store",
        str(workdir / "localstripe.pickle"),
    ]
    ids_file = None
    if seed:
        ids_file = workdir / "ids.txt"
        args += ["--seed", str(seed), "--ids-file", str(ids_file)]
    log = (workdir / "localstripe.log").open("ab")
    proc = subprocess.Popen(args, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    return Server("localstripe", f"http://127.0.0.1:{port}", basic("sk_test_bench"), proc, workdir, ids_file)


# -- load ---------------------------------------------------------------------------------------------
def create_over_http(server: Server, count: int) -> Path:
    ids = []
    with httpx.Client(base_url=server.base_url, headers={"Authorization": server.auth}, timeout=30) as client:
        for i in range(count):
            r = client.post(
                "/v1/customers", data={"email": f"get{i}@example.com", "name": f"Get Customer {i}"}
            )
            r.raise_for_status()
            ids.append(r.json()["id"])
    path = server.dir / "ids.txt"
    path.write_text("\n".join(ids) + "\n")
    return path


def run_wrk(server: Server, op: str, concurrency: int, duration: float) -> dict[str, float]:
    env = {**os.environ, "BENCH_MODE": op.lower(), "BENCH_AUTH": server.auth}
    if op == "GET":
        assert server.ids_file is not None
        env["BENCH_IDS_FILE"] = str(server.ids_file)
    url = server.base_url + ("/v1/customers" if op == "POST" else "")
    args = [
        "wrk",
        "-t",
        str(min(concurrency, 2)),
        "-c",
        str(concurrency),
        "-d",
        f"{duration:g}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        url,
    ]
    out = subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=duration + 60, check=True
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith('{"bench"'))
    return dict(json.loads(line))


def measure(phase: str, server: Server, op: str, concurrency: int, duration: float) -> Cell:
    r = run_wrk(server, op, concurrency, duration)
    errors = int(r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["non_2xx"] + r["timeouts"])
    ok = r["requests"] - r["non_2xx"]
    cell = Cell(
        phase,
        server.name,
        op,
        concurrency,
        ok / (r["duration_us"] / 1e6),
        r["p50_us"] / 1000,
        r["p99_us"] / 1000,
        errors,
    )
    console.log(
        f"{phase}: {server.name} {op} c={concurrency}: {cell.ops:,.0f} ops/s, p50 {cell.p50_ms:.1f} ms, "
        f"p99 {cell.p99_ms:.1f} ms" + (f", {errors} errors" if errors else "")
    )
    return cell


def run_pair(phase: str, servers: list[Server], ops: list[str], duration: float, repeat: int) -> list[Cell]:
    """Each cell `repeat` times, the servers alternating; the best run of each is kept (the machine's other
    load only ever slows a run down)."""
    cells = []
    for op in ops:
        for c in CONCURRENCY:
            runs: dict[str, list[Cell]] = {server.name: [] for server in servers}
            for _ in range(repeat):
                for server in servers:
                    if op == "GET":  # a short warm-up at this concurrency, not recorded
                        run_wrk(server, op, c, 1)
                    runs[server.name].append(measure(phase, server, op, c, duration))
            cells += [max(found, key=lambda cell: cell.ops) for found in runs.values()]
    return cells


# -- report -------------------------------------------------------------------------------------------
def find(cells: list[Cell], phase: str, server: str, op: str, c: int) -> Cell | None:
    return next(
        (x for x in cells if (x.phase, x.server, x.op, x.concurrency) == (phase, server, op, c)), None
    )


EMPTY_DB = (
    "paykeep-empty"  # phase 3's second paykeep: a fresh database, measured alternately with the 100k one
)

PHASES = [  # (phase, title, the server paykeep is compared with, its column label)
    ("empty", "empty store (100 customers)", "localstripe", "localstripe"),
    ("10k", "10,000 customers stored", "localstripe", "localstripe"),
    ("100k", "100,000 customers stored, against a fresh database in the same phase", EMPTY_DB, "empty db"),
]


def ratio(cells: list[Cell], phase: str, op: str, c: int, other: str) -> float | None:
    mine, theirs = find(cells, phase, "paykeep", op, c), find(cells, phase, other, op, c)
    return mine.ops / theirs.ops if mine and theirs else None


def phase_rows(cells: list[Cell], phase: str, other: str) -> list[list[str]]:
    """One row per (op, concurrency): paykeep | the other server | ratio of ops/s."""
    rows = []
    for op in ("POST", "GET"):
        for c in CONCURRENCY:
            mine = find(cells, phase, "paykeep", op, c)
            if mine is None:
                continue
            path = "/v1/customers" + ("" if op == "POST" else "/{id}")
            row = [f"{op} {path}", str(c), f"{mine.ops:,.0f}", f"{mine.p50_ms:.1f}", f"{mine.p99_ms:.1f}"]
            theirs = find(cells, phase, other, op, c)
            if theirs is not None:
                row += [
                    f"{theirs.ops:,.0f}",
                    f"{theirs.p50_ms:.1f}",
                    f"{theirs.p99_ms:.1f}",
                    f"{mine.ops / theirs.ops:.2f}x",
                ]
            errs = mine.errors + (theirs.errors if theirs else 0)
            row.append(str(errs) if errs else "")
            rows.append(row)
    return rows


def headers_for(label: str) -> list[str]:
    return [
        "request",
        "c",
        "paykeep ops/s",
        "p50 ms",
        "p99 ms",
        f"{label} ops/s",
        "p50 ms",
        "p99 ms",
        "ratio",
        "errors",
    ]


def print_tables(cells: list[Cell], markdown: bool) -> None:
    for phase, title, other, label in PHASES:
        rows = phase_rows(cells, phase, other)
        if not rows:
            continue
        if markdown:
            hdr = headers_for(label)
            print(f"\n**{title}**\n")
            print("| " + " | ".join(hdr) + " |")
            print("|" + "|".join("---:" if i else "---" for i in range(len(hdr))) + "|")
            for row in rows:
                print("| " + " | ".join(row) + " |")
            continue
        table = Table(title=title)
        for h in headers_for(label):
            table.add_column(h, justify="left" if h == "request" else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)


def targets(cells: list[Cell]) -> list[tuple[str, bool, str]]:
    out: list[tuple[str, bool, str]] = []
    r = ratio(cells, "empty", "POST", 32, "localstripe")
    if r is not None:
        out.append(("POST c=32 >= 30x localstripe", r >= 30, f"{r:.1f}x"))
    for phase, need in (("empty", 1.0), ("10k", 5.0)):
        rs = [x for x in (ratio(cells, phase, "GET", c, "localstripe") for c in CONCURRENCY) if x is not None]
        if rs:
            out.append(
                (
                    f"GET ({phase}) >= {need:g}x localstripe at c=1/8/32",
                    min(rs) >= need,
                    " / ".join(f"{x:.2f}x" for x in rs),
                )
            )
    for op in ("POST", "GET"):
        cell = find(cells, "empty", "paykeep", op, 8)
        if cell:
            out.append((f"paykeep {op} p99 at c=8 < 25 ms", cell.p99_ms < 25, f"{cell.p99_ms:.1f} ms"))
    rs = [x for x in (ratio(cells, "100k", "POST", c, EMPTY_DB) for c in CONCURRENCY) if x is not None]
    if rs:
        out.append(
            (
                "POST rate at 100k within 15% of an empty db (c=1/8/32)",
                min(rs) >= 0.85,
                " / ".join(f"{x:.2f}" for x in rs),
            )
        )
    return out


# -- main ---------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 s per cell instead of 8")
    parser.add_argument("--duration", type=float, help="seconds per cell")
    parser.add_argument("--workers", type=int, default=1, help="paykeep serve --workers N")
    parser.add_argument("--repeat", type=int, default=1, help="run each cell N times, keep the best")
    parser.add_argument("--pin-cpus", action="store_true", help="paykeep serve --pin-cpus")
    parser.add_argument("--phases", default="empty,10k,100k", help="comma-separated subset of empty,10k,100k")
    parser.add_argument("--markdown", action="store_true", help="also print the tables as Markdown")
    parser.add_argument("--json", type=Path, help="write the measurements here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")
    duration = args.duration or (3.0 if args.quick else 8.0)
    phases = set(args.phases.split(","))
    root = Path(tempfile.mkdtemp(prefix="paykeep-bench-"))
    console.log(
        f"working in {root}; {duration:g} s per cell; paykeep workers: {args.workers}"
        f"{' pinned to CPUs' if args.pin_cpus else ''}; "
        f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    cells: list[Cell] = []
    running: list[Server] = []
    try:
        if "empty" in phases:
            key = paykeep_init(root / "empty")
            pk = start_paykeep(root / "empty", key, args.workers, args.pin_cpus)
            ls = start_localstripe(root / "ls-empty")
            running += [pk, ls]
            wait_ready(ls, "/v1/customers?limit=1")
            pk.ids_file, ls.ids_file = create_over_http(pk, 100), create_over_http(ls, 100)
            cells += run_pair("empty", [pk, ls], ["GET", "POST"], duration, args.repeat)
            pk.stop()
            ls.stop()
        if phases & {"10k", "100k"}:
            big = root / "big"
            key = paykeep_init(big)
            started = time.perf_counter()
            seeding = paykeep_seed(big, 10_000, big / "ids.txt")
            ls10 = start_localstripe(root / "ls-10k", seed=10_000) if "10k" in phases else None
            if ls10 is not None:
                running.append(ls10)
            if seeding.wait() != 0:
                raise RuntimeError("seeding paykeep failed")
            if ls10 is not None:
                wait_ready(ls10, "/v1/customers?limit=1", timeout=600)
            console.log(f"seeded 10,000 customers on both sides in {time.perf_counter() - started:.0f} s")
            if ls10 is not None:
                pk = start_paykeep(big, key, args.workers, args.pin_cpus)
                running.append(pk)
                pk.ids_file = big / "ids.txt"
                cells += run_pair("10k", [pk, ls10], ["GET"], duration, args.repeat)
                pk.stop()
                ls10.stop()
            if "100k" in phases:
                started = time.perf_counter()
                if paykeep_seed(big, 90_000).wait() != 0:
                    raise RuntimeError("seeding paykeep failed")
                console.log(
                    f"seeded 90,000 more customers (100,000) in {time.perf_counter() - started:.0f} s"
                )
                pk = start_paykeep(big, key, args.workers, args.pin_cpus)
                running.append(pk)
                fresh = start_paykeep(
                    root / "fresh", paykeep_init(root / "fresh"), args.workers, args.pin_cpus
                )
                fresh.name = EMPTY_DB
                running.append(fresh)
                cells += run_pair("100k", [pk, fresh], ["POST"], duration, args.repeat)
                pk.stop()
                fresh.stop()
    finally:
        for server in running:
            server.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print_tables(cells, args.markdown)
    console.print(
        f"\nload average after: {os.getloadavg()[0]:.2f} (other processes on the machine share the CPUs)"
    )
    for name, ok, value in targets(cells):
        console.print(f"{'[green]met[/green]' if ok else '[red]MISSED[/red]'}  {name}: {value}")
    if args.json:
        args.json.write_text(json.dumps([asdict(c) for c in cells], indent=1) + "\n")


if __name__ == "__main__":
    main()
