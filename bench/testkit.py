"""Benchmark (issue 16): the merchant's test kit against its targets, with localstripe beside it in one run.

Measured, alternately paykeep and localstripe, `--starts` times each (default 5):
1. paykeep, cold: `paykeep serve --test-helpers` started by the plugin's own code (paykeep.testing.kit
   ServerProcess, what the paykeep_server fixture runs) on a fresh database and key, to its first answered
   request (GET /healthz); with the CPU seconds the server process used until then (less sensitive to other
   load on the machine than the wall time);
2. localstripe: `bench/localstripe_server.py` (localstripe's own app) to its first answered request
   (GET /v1/customers), with its CPU seconds;
3. paykeep through pytest: a suite of one test run by `python -m pytest` (`--paykeep-dialect stripe` in its
   pytest.ini, as examples/merchant-tests has it), reporting what the paykeep_server fixture waited from the
   moment it was asked to the first answer (the plugin launches the server at pytest's start-up, so this is
   what is left of the cold start once pytest has collected), and the cold start inside that run;
then, on one paykeep server, `--accounts` times (default 50, after 5 unmeasured) the time to make one
paykeep_account (POST /v1/test_helpers/accounts, as the fixture does): median, p90, range, and the server's
CPU time per account.

Targets (API.md §11): < 1 s for the server, < 20 ms per account. Run on demand:

    python bench/testkit.py [--starts 5] [--accounts 50] [--json out.json]

Needs localstripe (`pip install -e '.[bench]'`); without it the localstripe rows say so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

from paykeep.testing.kit import PaykeepServer, ServerProcess, free_port, http

BENCH = Path(__file__).resolve().parent
TIMEOUT_S = 120.0


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def paykeep_cold() -> dict[str, float]:
    server = ServerProcess(label="bench").launch()
    try:
        server.wait_ready(TIMEOUT_S)
        assert server.proc is not None and server.cold_start_s is not None
        return {"wall_s": server.cold_start_s, "cpu_s": cpu_seconds(server.proc.pid)}
    finally:
        server.stop()


def localstripe_start() -> dict[str, float] | None:
    try:
        import localstripe  # noqa: F401
    except ImportError:
        return None
    with tempfile.TemporaryDirectory(prefix="paykeep-bench-ls-") as tmp:
        port = free_port()
        started = time.perf_counter()
        with (Path(tmp) / "localstripe.log").open("ab") as log:
            proc = subprocess.Popen([sys.executable, str(BENCH / "localstripe_server.py"),
                                     "--port", str(port), "--store", str(Path(tmp) / "ls.pickle")],
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + TIMEOUT_S
            request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/customers",
                                             headers={"Authorization": "Bearer sk_test_bench"})
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"localstripe exited: {(Path(tmp) / 'localstripe.log').read_text()}")
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:
                        if response.status == 200:
                            return {"wall_s": time.perf_counter() - started, "cpu_s": cpu_seconds(proc.pid)}
                except OSError:
                    pass
                time.sleep(0.01)
            raise RuntimeError("localstripe did not answer")
        finally:
            proc.terminate()
            proc.wait(15)


SUITE = '''
import json, os


def test_first(paykeep_server, paykeep_account):
    with open(os.environ["BENCH_OUT"], "w") as out:
        json.dump({"fixture_wait_s": paykeep_server.fixture_wait_s,
                   "cold_s": paykeep_server.process.cold_start_s}, out)
'''


def paykeep_through_pytest() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="paykeep-bench-suite-") as tmp:
        root = Path(tmp)
        (root / "pytest.ini").write_text(  # as examples/merchant-tests/pytest.ini: launched at start-up
            "[pytest]\naddopts = -p no:cacheprovider -p no:benchmark --paykeep-dialect stripe\n")
        (root / "test_first.py").write_text(textwrap.dedent(SUITE))
        out = root / "out.json"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", str(root)], cwd=root, check=True,
                       env={**os.environ, "BENCH_OUT": str(out)}, capture_output=True, timeout=TIMEOUT_S * 2)
        result = json.loads(out.read_text())
        result["pytest_run_s"] = time.perf_counter() - started
        return dict(result)


def account_times(count: int, warmup: int = 5) -> tuple[list[float], float]:
    """Wall time of each of `count` account creations as the fixture makes them, and the server's CPU
    seconds per account over the same creations."""
    server = ServerProcess(label="bench-accounts").launch().wait_ready(TIMEOUT_S)
    try:
        assert server.proc is not None
        kit = PaykeepServer(server.url, server.token)
        for _ in range(warmup):
            kit.create_account()
        times = []
        cpu_before = cpu_seconds(server.proc.pid)
        for _ in range(count):
            started = time.perf_counter()
            account = kit.create_account()
            times.append(time.perf_counter() - started)
        cpu_per_account = (cpu_seconds(server.proc.pid) - cpu_before) / count
        assert http("GET", server.url + "/v1/customers", bearer=account.secret_key).status == 200
        return times, cpu_per_account
    finally:
        server.stop()


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": statistics.median(ordered), "p90": ordered[max(0, int(len(ordered) * 0.9) - 1)],
            "min": ordered[0], "max": ordered[-1], "n": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    load_before = os.getloadavg()
    cold: list[dict[str, float]] = []
    ls: list[dict[str, float]] = []
    suite: list[dict[str, float]] = []
    for i in range(args.starts):
        print(f"start {i + 1}/{args.starts}: paykeep, localstripe, paykeep under pytest", file=sys.stderr)
        cold.append(paykeep_cold())
        started = localstripe_start()
        if started is not None:
            ls.append(started)
        suite.append(paykeep_through_pytest())
    accounts, account_cpu = account_times(args.accounts)
    load_after = os.getloadavg()

    rows: list[tuple[str, str, str, str]] = []

    def row(what: str, values: list[float], target: str, unit: float = 1.0, fmt: str = "{:.3f} s") -> None:
        if not values:
            rows.append((what, "n/a (pip install -e '.[bench]')", "", target))
            return
        s = summary(values)
        rows.append((what, fmt.format(s["median"] * unit), f"{fmt.format(s['min'] * unit)} – "
                     f"{fmt.format(s['max'] * unit)}", target))

    row("paykeep serve: process start → first answer (wall)", [c["wall_s"] for c in cold], "< 1 s")
    row("paykeep serve: CPU used until then", [c["cpu_s"] for c in cold], "")
    row("localstripe: process start → first answer (wall)", [c["wall_s"] for c in ls], "")
    row("localstripe: CPU used until then", [c["cpu_s"] for c in ls], "")
    row("paykeep_server fixture asked → first answer", [s["fixture_wait_s"] for s in suite], "< 1 s")
    row("  (same run: process start → first answer)", [s["cold_s"] for s in suite], "")
    row("  (same run: whole `pytest` of one test)", [s["pytest_run_s"] for s in suite], "")
    row(f"paykeep_account (POST /v1/test_helpers/accounts), n={len(accounts)}", accounts, "< 20 ms",
        unit=1000.0, fmt="{:.1f} ms")
    rows.append(("  (server CPU per account)", f"{account_cpu * 1000:.1f} ms", "", ""))
    acc = summary(accounts)

    width = max(len(r[0]) for r in rows)
    print(f"\nbench/testkit.py: {args.starts} starts each, alternately; load average {load_before[0]:.1f} "
          f"before, {load_after[0]:.1f} after ({os.cpu_count()} CPUs)\n")
    print(f"{'':{width}}  {'median':>12}  {'range':>24}  target")
    for what, median, spread, target in rows:
        print(f"{what:{width}}  {median:>12}  {spread:>24}  {target}")
    print(f"{'':{width}}  paykeep_account p90 {acc['p90'] * 1000:.1f} ms")
    if args.json:
        args.json.write_text(json.dumps({"paykeep_cold": cold, "localstripe": ls, "through_pytest": suite,
                                         "accounts_s": accounts,
                                         "account_server_cpu_s": account_cpu,
                                         "load": [load_before, load_after]},
                                        indent=2))


if __name__ == "__main__":
    main()
