"""Webhook delivery benchmark: latency from the API response to the first delivery attempt, and throughput.

    python bench/webhook_latency.py [--events 1000] [--backlog 3000] [--db postgresql://...]
                                    [--separate-worker]

1. latency: `paykeep serve` (in-process worker), one endpoint pointing at a fast local receiver; customers are
   created one after another; for each, the time from the API response reaching the client to the
   customer.created delivery reaching the receiver (same process, same clock). p50 / p99 / max.
   With --separate-worker: `serve --no-worker` plus one `paykeep worker` process instead (woken through
   PostgreSQL LISTEN/NOTIFY; on SQLite it finds new deliveries by polling every 0.5 s).
2. throughput (live): clients create customers as fast as they can (8 threads) with the in-process worker
   delivering meanwhile: deliveries/s while the API is under load.
3. throughput (backlog): `serve --no-worker` piles up a backlog, then one `paykeep worker` process drains it:
   deliveries/s of the delivery engine alone (first to last arrival).
Targets (issue 4): p50 < 50 ms, p99 < 250 ms, >= 300 deliveries/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx


class FastReceiver:
    """A minimal asyncio HTTP/1.1 server (keep-alive): answers 200, notes when each customer id arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.count = 0
        self.first: float | None = None
        self.last: float | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.port = 0
        threading.Thread(target=self._serve, daemon=True).start()
        self._ready.wait(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=512)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                now = time.perf_counter()
                self.count += 1
                self.first = self.first or now
                self.last = now
                obj_id = json.loads(body)["data"]["object"]["id"]
                self.arrivals.setdefault(obj_id, now)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def snapshot(self) -> dict[str, object]:
        return {"count": self.count, "first": self.first, "last": self.last, "arrivals": dict(self.arrivals)}


class ReceiverProcess:
    """FastReceiver in its own process, so that it does not share a GIL with the clients. Same clock:
    perf_counter is CLOCK_MONOTONIC, system-wide on Linux."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-receiver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.count: int = 0
        self.first: float | None = None
        self.last: float | None = None
        self.arrivals: dict[str, float] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def refresh(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("snapshot\n")
        self.proc.stdin.flush()
        data = json.loads(self.proc.stdout.readline())
        self.count, self.first, self.last = data["count"], data["first"], data["last"]
        self.arrivals = data["arrivals"]

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


def serve_receiver() -> None:
    receiver = FastReceiver()
    print(receiver.port, flush=True)
    for _line in sys.stdin:
        print(json.dumps(receiver.snapshot()), flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, workdir: Path, db_url: str, env: dict[str, str]) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PAYKEEP_DATABASE_URL": db_url,
            "PAYKEEP_KEY_FILE": str(workdir / "paykeep.key"),
            "PAYKEEP_LOG_LEVEL": "warning",
            **env,
        }
        self.procs: list[subprocess.Popen[bytes]] = []
        init = subprocess.run(
            [sys.executable, "-m", "paykeep", "init", "--json"],
            env=self.env,
            cwd=workdir,
            capture_output=True,
            text=True,
            check=True,
        )
        self.sk = json.loads(init.stdout)["test"]["secret_key"]

    def spawn(self, *args: str) -> None:
        log = (self.dir / "server.log").open("ab")
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "paykeep", *args],
                env=self.env,
                cwd=self.dir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    def serve(self, *extra: str) -> None:
        self.spawn("serve", "--host", "127.0.0.1", "--port", str(self.port), *extra)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=(self.sk, ""), timeout=30)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_arrivals(receiver: ReceiverProcess, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    receiver.refresh()
    while time.monotonic() < deadline and not all(i in receiver.arrivals for i in ids):
        time.sleep(0.2)
        receiver.refresh()


def listed(client: httpx.Client, path: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    while True:
        page = client.get(
            path, params={"limit": 100, **({"starting_after": cursor} if cursor else {})}
        ).json()
        items += page["data"]
        if not page["has_more"]:
            return items
        cursor = page["data"][-1]["id"]


def server_side_latency(server: Server, endpoint_id: str, customer_ids: set[str]) -> list[float]:
    """From the attempt log: the first attempt's start minus the event's `created` (both server clocks)."""
    with server.client() as client:
        events = {
            e["id"]: e for e in listed(client, "/v1/events") if e["data"]["object"]["id"] in customer_ids
        }
        first: dict[str, int] = {}
        for attempt in listed(client, f"/v1/webhook_endpoints/{endpoint_id}/attempts"):
            event_id, at = str(attempt["event"]), int(attempt["created"])
            first[event_id] = min(first.get(event_id, at), at)
    return [float(first[e] - events[e]["created"]) for e in events if e in first]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def create_many(server: Server, count: int, threads: int) -> list[str]:
    def work(n: int) -> list[str]:
        with server.client() as client:
            return [
                client.post("/v1/customers", data={"email": f"b{n}-{i}@example.com"}).json()["id"]
                for i in range(n)
            ]

    per = [count // threads + (1 if k < count % threads else 0) for k in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        return [cid for chunk in pool.map(work, per) for cid in chunk]


def latency_and_live(args: argparse.Namespace, tmp: str, env: dict[str, str]) -> list[tuple[str, str, str]]:
    """Runs 1 and 2: `paykeep serve` with its in-process worker."""
    receiver = ReceiverProcess()
    server = Server(Path(tmp) / "a", args.db or f"sqlite:///{tmp}/a/paykeep.db", env)
    if args.separate_worker:
        server.serve("--no-worker")
        server.spawn("worker")
    else:
        server.serve()
    try:
        with server.client() as client:
            endpoint = client.post(
                "/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "customer.created"}
            ).json()
            warm = [client.post("/v1/customers", data={"email": "warm@example.com"}).json()["id"]
                    for _ in range(20)]  # warm up connections and code paths (and the worker's start)
            wait_arrivals(receiver, warm, 60)
            time.sleep(0.5)
            answered: dict[str, float] = {}
            for i in range(args.events):
                resp = client.post("/v1/customers", data={"email": f"lat{i}@example.com"})
                answered[resp.json()["id"]] = time.perf_counter()
        wait_arrivals(receiver, list(answered), 60)
        lat = [(receiver.arrivals[c] - t) * 1000 for c, t in answered.items() if c in receiver.arrivals]
        inside = server_side_latency(server, endpoint["id"], set(answered))
        rows = [
            ("latency p50 (API response -> first attempt)", f"{statistics.median(lat):.1f} ms", "< 50 ms"),
            ("latency p99", f"{pct(lat, 99):.1f} ms", "< 250 ms"),
            ("latency max / min", f"{max(lat):.1f} / {min(lat):.1f} ms", ""),
            (
                "server-side: event written -> attempt started p50 / p99",
                f"{statistics.median(inside):.0f} / {pct(inside, 99):.0f} ms",
                "",
            ),
            (
                "events measured (not delivered in 60 s)",
                f"{len(lat)} ({len(answered) - len(lat)})",
                f"{args.events}",
            ),
        ]
        if args.live:
            before = receiver.count
            started = time.perf_counter()
            ids = create_many(server, args.live, 8)
            created_at = time.perf_counter()
            wait_arrivals(receiver, ids, 120)
            done = receiver.last or time.perf_counter()
            rows += [
                (
                    "API creates/s during the live run (8 clients)",
                    f"{len(ids) / (created_at - started):.0f}/s",
                    "",
                ),
                (
                    "deliveries/s, live (in-process worker, API loaded)",
                    f"{(receiver.count - before) / (done - started):.0f}/s",
                    "keeps up",
                ),
            ]
        return rows
    finally:
        server.stop()
        receiver.close()


def backlog(args: argparse.Namespace, tmp: str, env: dict[str, str]) -> list[tuple[str, str, str]]:
    """Run 3: `serve --no-worker` piles up deliveries, then one `paykeep worker` process drains them."""
    receiver = ReceiverProcess()
    server = Server(Path(tmp) / "b", args.db_backlog or f"sqlite:///{tmp}/b/paykeep.db", env)
    server.serve("--no-worker")
    try:
        with server.client() as client:
            client.post(
                "/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "customer.created"}
            )
        ids = create_many(server, args.backlog, 8)
        server.spawn("worker")
        wait_arrivals(receiver, ids, 180)
        first, last = receiver.first or 0.0, receiver.last or 0.0
        cpu = cpu_seconds(server.procs[-1].pid)
        return [
            (
                "deliveries/s, backlog drained by `paykeep worker`",
                f"{receiver.count / max(last - first, 1e-9):.0f}/s "
                f"({receiver.count} in {last - first:.1f} s)",
                ">= 300/s",
            ),
            ("worker CPU per delivery (incl. start-up)", f"{cpu / max(receiver.count, 1) * 1000:.2f} ms", ""),
        ]
    finally:
        server.stop()
        receiver.close()


def run(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    env = {"PAYKEEP_SQLITE_SYNCHRONOUS": args.sqlite_synchronous}
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="pk-bench-") as tmp:
        if args.events:
            rows += latency_and_live(args, tmp, env)
        if args.backlog:
            rows += backlog(args, tmp, env)
    return rows


def main() -> None:
    if sys.argv[1:] == ["--serve-receiver"]:
        serve_receiver()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="latency samples (0: skip runs 1-2)")
    parser.add_argument("--live", type=int, default=2000, help="customers created for the live run (0: skip)")
    parser.add_argument(
        "--backlog", type=int, default=3000, help="deliveries queued before the worker starts (0: skip)"
    )
    parser.add_argument("--db", default=None, help="database URL for runs 1-2 (default: a fresh SQLite file)")
    parser.add_argument("--db-backlog", default=None, help="an empty database URL for run 3")
    parser.add_argument("--separate-worker", action="store_true",
                        help="runs 1-2: `serve --no-worker` and one `paykeep worker` process")
    parser.add_argument(
        "--sqlite-synchronous", default="FULL", help="PAYKEEP_SQLITE_SYNCHRONOUS (default FULL)"
    )
    args = parser.parse_args()
    rows = run(args)
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'result':>32}  target")
    for name, value, target in rows:
        print(f"{name.ljust(width)}  {value:>32}  {target}")


if __name__ == "__main__":
    main()
