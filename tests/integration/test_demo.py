"""`paykeep demo` runs the seed guide end to end for a newcomer and exits 0: over raw HTTP in the WooshPay
dialect, or with the official `stripe` package in the Stripe dialect (`--dialect stripe`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

STEPS = ["Subscribe a webhook endpoint", "Create a customer", "Save a card (frictionless)",
         "Save a card that needs 3-D Secure", "Complete the challenge", "List the saved cards",
         "Charge the 3-D Secure card off-session", "Charge the other card on-session"]
STRIPE_STEPS = [*STEPS, "A card the issuer declines"]  # the decline, as stripe.error.CardError
ID_TAIL = {"wooshpay": r"\d{19}", "stripe": r"\d{19}[0-9A-Za-z]{5}"}
VERIFIED = {"wooshpay": "(signature verified)",
            "stripe": "(Stripe-Signature verified by stripe.Webhook.construct_event)"}


def _demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYKEEP_")}
    env["COLUMNS"] = "140"
    return subprocess.run([sys.executable, "-m", "paykeep", "demo", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _check_output(out: str, dialect: str) -> None:
    steps = STRIPE_STEPS if dialect == "stripe" else STEPS
    for n, step in enumerate([*steps, "Clean up"], start=1):
        assert f"Step {n}. {step}" in out, step
    assert "Summary" in out
    assert "redirect_status = succeeded" in out
    assert out.count("⚡ webhook setup_intent.succeeded") == 2
    assert out.count("⚡ webhook payment_intent.succeeded") == 2
    assert out.count(VERIFIED[dialect]) >= 4
    pi = rf"pi_{ID_TAIL[dialect]}"
    assert re.search(rf"Payment\s+│ {pi}\s+25\.00 USD\s+succeeded\s+off_session=True", out)
    assert re.search(rf"Payment\s+│ {pi}\s+25\.00 USD\s+succeeded\s+off_session=False", out)
    assert re.search(rf"Customer\s+│ cus_{ID_TAIL[dialect]} \(jenny\.rosen@example\.com\)", out)
    assert "•••• 0000" in out and "•••• 1390" in out
    for number in ("4462030000000000", "4761344136141390", "4000000000009995"):
        assert number not in out, "card numbers are masked"
    assert '"cvc": "022"' not in out
    if dialect == "stripe":
        assert '"currency": "usd"' in out and '"type": "redirect_to_url"' in out
        assert "challenge_redirect" not in out
        assert re.search(r"datetime\.fromtimestamp\(customer\.created\) = 20\d\d-\d\d-\d\d ", out)
        assert "Stripe-Version: " in out
        assert ("← 402 stripe.error.CardError code=card_declined decline_code=insufficient_funds "
                "message='Your card was declined.'") in out
        assert re.search(rf"e\.error\.payment_intent: {pi} status=requires_payment_method", out)
        assert "⚡ webhook payment_intent.payment_failed" in out
        assert re.search(rf"Declined\s+│ {pi}\s+25\.00 USD\s+requires_payment_method\s+"
                         r"decline_code=insufficient_funds", out)
    else:
        assert '"currency": "USD"' in out and '"type": "challenge_redirect"' in out
        assert "Step 9. Clean up" in out


@pytest.mark.dialects("wooshpay", "stripe")
def test_demo_on_a_fresh_temp_dir(tmp_path: Path, dialect_name: str) -> None:
    """Its own server, whose account speaks the demo's dialect by default (`paykeep init --dialect`)."""
    result = _demo(tmp_path, *(["--dialect", dialect_name] if dialect_name != "wooshpay" else []))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _check_output(result.stdout, dialect_name)
    assert "Done:" in result.stdout
    workdir = re.search(r"temporary database in (\S+)\)", result.stdout)
    assert workdir is not None and not Path(workdir.group(1)).exists(), "the temporary database is removed"
    assert list(tmp_path.iterdir()) == [], "nothing is left in the working directory"


@pytest.mark.parametrize("demo_dialect", ["wooshpay", "stripe"])
def test_demo_against_a_running_server(server, tmp_path: Path, demo_dialect: str) -> None:
    """The server's account speaks WooshPay's dialect by default: the Stripe demo asks for its own in every
    request (Paykeep-Dialect), so both run against it."""
    result = _demo(tmp_path, "--base-url", server.base_url, "--key", server.sk, "--dialect", demo_dialect)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _check_output(result.stdout, demo_dialect)
    assert f"paykeep demo against {server.base_url}" in result.stdout
    with server.client() as api:  # it removed its webhook endpoint
        assert api.get("/v1/webhook_endpoints").json()["data"] == []


def test_demo_needs_a_key_with_base_url(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--base-url", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert "--key" in result.stdout


def test_demo_refuses_an_unknown_dialect(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--dialect", "klingon")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: unknown dialect 'klingon': use one of wooshpay, stripe"
    assert result.stdout == ""
