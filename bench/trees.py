"""Benchmark: this tree against an older commit of paykeep, side by side in one run, the same requests.

    python bench/trees.py [--base REV] [--duration S] [--repeat N] [--markdown]

For refactors that must not slow the API down (issue 12: "the customers benchmark within 10 % of before, in
the same run, old and new tree side by side"). The old tree is `git archive REV src` in a temporary directory,
started with PYTHONPATH pointing at it (the editable install of this tree stays as it is); each side gets its
own fresh SQLite database, 100 customers created over HTTP, then GET /v1/customers/{id} and POST
/v1/customers at concurrency 1, 8 and 32 under wrk (bench/customers.lua), the two servers alternating cell by
cell. With --repeat N each cell runs N times and the best run is kept (other load only slows a run down).
Plain `paykeep serve` with its defaults on both sides."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from rich.table import Table

BENCH = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_customers", BENCH / "customers.py")
assert _spec is not None and _spec.loader is not None
customers = importlib.util.module_from_spec(_spec)
sys.modules["bench_customers"] = customers  # dataclasses look their module up while the file runs
_spec.loader.exec_module(customers)


def export_tree(rev: str, target: Path) -> Path:
    """`git archive REV src` unpacked under `target`; returns its src directory."""
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=BENCH.parent, capture_output=True,
                             check=True, timeout=120).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


def start(name: str, workdir: Path, src: Path | None) -> customers.Server:
    """`paykeep serve` from `src` (None: this tree), with a fresh database and 100 customers to fetch."""
    saved = os.environ.get("PYTHONPATH")
    try:
        if src is not None:
            os.environ["PYTHONPATH"] = str(src)
        key = customers.paykeep_init(workdir)
        server = customers.start_paykeep(workdir, key, workers=1)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    server.name = name
    server.ids_file = customers.create_over_http(server, 100)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="252b3f2", help="the older commit (default: before issue 12)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per cell")
    parser.add_argument("--repeat", type=int, default=2, help="run each cell N times, keep the best")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    args = parser.parse_args()
    old_name, new_name = f"base {args.base}", "this tree"
    with tempfile.TemporaryDirectory(prefix="paykeep-trees-") as tmp:
        root = Path(tmp)
        old_src = export_tree(args.base, root / "base")
        servers = [start(old_name, root / "old", old_src), start(new_name, root / "new", None)]
        try:
            cells = customers.run_pair("trees", servers, ["GET", "POST"], args.duration, args.repeat)
        finally:
            for server in servers:
                server.stop()
    table = Table(title=f"this tree vs {args.base}: plain `paykeep serve`, SQLite, best of {args.repeat}")
    columns = ["request", "c", f"{old_name} ops/s", "p50 ms", "p99 ms", "this tree ops/s", "p50 ms", "p99 ms",
               "ratio"]
    for column in columns:
        table.add_column(column, justify="left" if column == "request" else "right")
    rows = []
    for op in ("GET", "POST"):
        for c in customers.CONCURRENCY:
            old = customers.find(cells, "trees", old_name, op, c)
            new = customers.find(cells, "trees", new_name, op, c)
            assert old is not None and new is not None
            rows.append([op, str(c), f"{old.ops:,.0f}", f"{old.p50_ms:.1f}", f"{old.p99_ms:.1f}",
                         f"{new.ops:,.0f}", f"{new.p50_ms:.1f}", f"{new.p99_ms:.1f}",
                         f"{new.ops / old.ops:.2f}x"])
    for row in rows:
        table.add_row(*row)
    customers.console.print(table)
    if args.markdown:
        print("| " + " | ".join(columns) + " |")
        print("|" + "---|" * len(columns))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    sys.exit(0)


if __name__ == "__main__":
    main()
