"""Schemathesis over /openapi.json against a real server (API.md §12, issue 17): no 5xx, no response that
breaks its documented schema, no undocumented status code or content type, a 401 without the key, a 4xx
for invalid input, `Allow` on a 405. Bounded: a fixed seed, 10 examples per operation in the fuzzing
phase plus the coverage phase's cases, 2 workers, and a hard time limit. (Schemathesis' deterministic mode
is not used: in 4.32.5 its coverage phase fails on this schema with an internal KeyError.)

Runs once (SQLite): the schema and the error paths are the same on PostgreSQL, and it is the slowest test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from support.server import PaykeepServer

pytestmark = pytest.mark.sqlite_only

SEED = 17
MAX_EXAMPLES = 10
TIME_LIMIT_S = 420  # 49 operations since the test kit; the run shares 2 cores with another pass
# Every check but two. "A schema-valid request is accepted": the schema cannot say which ids exist or which
# card numbers pass, so random valid-looking input is often (rightly) refused with a 4xx. "A schema-violating
# request is refused": a plain key given twice (`?customer=a&customer=b`) keeps the last value, as Stripe's
# (Rack's) parameter parsing does (tests/unit/test_forms.py), which Schemathesis counts as invalid data
# accepted. Invalid data still must never cause a 5xx or an undocumented status: those checks stay.
EXCLUDED_CHECKS = "positive_data_acceptance,negative_data_rejection"


def _schemathesis() -> list[str]:
    found = shutil.which("schemathesis", path=os.path.dirname(sys.executable) + os.pathsep +
                         os.environ.get("PATH", ""))
    assert found, "schemathesis is in the test extra (pip install -e '.[test]')"
    return [found]


def test_schemathesis_finds_no_server_error_and_no_schema_violation(tmp_path: Path) -> None:
    srv = PaykeepServer(tmp_path / "server", db_url=f"sqlite:///{tmp_path / 'server' / 'paykeep.db'}",
                        worker=False).start()
    try:
        spec = httpx.get(f"{srv.base_url}/openapi.json", timeout=30).json()
        operations = sum(len(ops) for path, ops in spec["paths"].items()
                         if re.match(r"^/(v1/|healthz$|readyz$)", path))
        started = time.monotonic()
        result = subprocess.run(
            [*_schemathesis(), "run", f"{srv.base_url}/openapi.json",
             "--header", f"Authorization: Bearer {srv.sk}",
             "--include-path-regex", "^/(v1/|healthz$|readyz$)",
             "--phases", "coverage,fuzzing", "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
             "--workers", "2",
             "--checks", "all", "--exclude-checks", EXCLUDED_CHECKS,
             "--request-timeout", "30", "--no-color", "--max-failures", "20"],
            cwd=tmp_path, capture_output=True, text=True, timeout=TIME_LIMIT_S, check=False,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        )
        elapsed = time.monotonic() - started
        logs = srv.logs()
    finally:
        srv.close()
    summary = result.stdout[result.stdout.find("=== SUMMARY"):] if "=== SUMMARY" in result.stdout else ""
    print(f"schemathesis: {elapsed:.0f} s\n{summary or result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    assert result.returncode == 0, result.stdout[-12000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counts is not None, result.stdout[-4000:]
    generated, passed = int(counts.group(1)), int(counts.group(2))
    assert generated >= 1000 and passed == generated, counts.group(0)
    tested = re.search(r"Tested: (\d+)", result.stdout)
    # every /v1 operation and the health checks (all but a few that no generated request can reach)
    assert tested is not None and int(tested.group(1)) >= operations - 5, (tested, operations)
    assert '"status":5' not in logs and "Traceback" not in logs
