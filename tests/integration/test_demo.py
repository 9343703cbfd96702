"""`paykeep demo` runs the seed guide end to end for a newcomer and exits 0."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

STEPS = ["Subscribe a webhook endpoint", "Create a customer", "Save a card (frictionless)",
         "Save a card that needs 3-D Secure", "Complete the challenge", "List the saved cards",
         "Charge the 3-D Secure card off-session", "Charge the other card on-session", "Summary"]


def _demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYKEEP_")}
    env["COLUMNS"] = "140"
    return subprocess.run([sys.executable, "-m", "paykeep", "demo", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _check_output(out: str) -> None:
    for n, step in enumerate(STEPS[:-1], start=1):
        assert f"Step {n}. {step}" in out, step
    assert "Summary" in out
    assert "redirect_status = succeeded" in out
    assert out.count("⚡ webhook setup_intent.succeeded") == 2
    assert out.count("⚡ webhook payment_intent.succeeded") == 2
    assert "(signature verified)" in out
    assert re.search(r"Payment\s+│ pi_\d{19}\s+25\.00 USD\s+succeeded\s+off_session=True", out)
    assert re.search(r"Payment\s+│ pi_\d{19}\s+25\.00 USD\s+succeeded\s+off_session=False", out)
    assert "•••• 0000" in out and "•••• 1390" in out
    for number in ("4462030000000000", "4761344136141390"):
        assert number not in out, "card numbers are masked"
    assert '"cvc": "022"' not in out


def test_demo_on_a_fresh_temp_dir(tmp_path: Path) -> None:
    result = _demo(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _check_output(result.stdout)
    assert "Done:" in result.stdout
    workdir = re.search(r"temporary database in (\S+)\)", result.stdout)
    assert workdir is not None and not Path(workdir.group(1)).exists(), "the temporary database is removed"
    assert list(tmp_path.iterdir()) == [], "nothing is left in the working directory"


def test_demo_against_a_running_server(server, tmp_path: Path) -> None:
    result = _demo(tmp_path, "--base-url", server.base_url, "--key", server.sk)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _check_output(result.stdout)
    assert f"paykeep demo against {server.base_url}" in result.stdout
    with server.client() as api:  # it removed its webhook endpoint
        assert api.get("/v1/webhook_endpoints").json()["data"] == []


def test_demo_needs_a_key_with_base_url(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--base-url", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert "--key" in result.stdout
