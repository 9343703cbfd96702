"""The official `stripe` npm package (23.2.0, tests/contract/node) against paykeep in the Stripe dialect.

`node sdk_flow.mjs` runs the whole flow through the Node SDK (customer, SetupIntent with payment_method_data,
payment methods, off-session PaymentIntent, refund, StripeCardError, auto-pagination, `constructEvent` on real
deliveries) and prints one JSON line. This wrapper installs the pinned package with `npm ci` when
node_modules is missing, and skips only when `node` itself is not on PATH.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.server import PaykeepServer

pytestmark = [
    pytest.mark.contract,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH"),
]

NODE_DIR = Path(__file__).parent / "node"
STRIPE_NODE_VERSION = "23.2.0"
STEPS = [
    "webhook_endpoint", "customer", "setup_intent_payment_method_data", "list_payment_methods",
    "three_d_secure_setup", "off_session_payment_intent", "refund", "card_error", "auto_paging",
    "webhook_construct_event",
]


def installed_version() -> str | None:
    manifest = NODE_DIR / "node_modules" / "stripe" / "package.json"
    if not manifest.exists():
        return None
    return str(json.loads(manifest.read_text())["version"])


@pytest.fixture(scope="module")
def node_sdk() -> Path:
    """tests/contract/node with its lock file installed (`npm ci`: exactly the committed lock). The test
    command runs passes side by side: an exclusive lock on package.json keeps two from installing at once."""
    with (NODE_DIR / "package.json").open("rb") as manifest:
        fcntl.flock(manifest, fcntl.LOCK_EX)
        if installed_version() != STRIPE_NODE_VERSION:
            npm = shutil.which("npm")
            assert npm is not None, "node is on PATH but npm is not"
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True,
                                  text=True, timeout=600)
            assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
        assert installed_version() == STRIPE_NODE_VERSION
    return NODE_DIR


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    """This module's one server, whose account speaks the Stripe dialect by default."""
    tmp = tmp_path_factory.mktemp("stripe-dialect-node")
    srv = PaykeepServer(tmp, env={"PAYKEEP_DIALECT": "stripe"}).start()
    yield srv
    srv.close()


def run_flow(node_sdk: Path, server: PaykeepServer) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None
    env = {**os.environ, "PAYKEEP_BASE_URL": server.base_url, "PAYKEEP_SECRET_KEY": server.sk}
    done = subprocess.run([node, "sdk_flow.mjs"], cwd=node_sdk, env=env, capture_output=True, text=True,
                          timeout=300)
    lines = done.stdout.strip().splitlines()
    assert lines, f"sdk_flow.mjs printed nothing (exit {done.returncode}):\n{done.stderr}"
    result: dict[str, Any] = json.loads(lines[-1])
    assert done.returncode == 0 and result["ok"] is True, \
        f"sdk_flow.mjs failed at step {result.get('step')!r}: {json.dumps(result, indent=2)}\n{done.stderr}"
    return result


def assert_recent(created: int, what: str) -> None:
    when = datetime.fromtimestamp(created)
    assert abs(datetime.now() - when) <= timedelta(seconds=60), f"{what}.created = {created}"


def test_node_sdk_flow(node_sdk: Path, server: PaykeepServer) -> None:
    result = run_flow(node_sdk, server)
    assert result["sdk"] == STRIPE_NODE_VERSION
    assert result["steps"] == STEPS
    assert result["paged"] == 25 and len(result["events"]) == 2
    # What the script saw is what the server keeps (read back over plain HTTP, in the account's dialect).
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.sk}"},
                      timeout=30) as api:
        cus = api.get(f"/v1/customers/{result['customer']}").json()
        assert cus["id"] == result["customer"]
        assert_recent(cus["created"], "customer")
        pi = api.get(f"/v1/payment_intents/{result['payment_intent']}").json()
        assert pi["status"] == "succeeded" and pi["currency"] == "usd"
        assert pi["customer"] == result["customer"]
        assert_recent(pi["created"], "payment_intent")
        refund = api.get(f"/v1/refunds/{result['refund']}").json()
        assert refund["payment_intent"] == pi["id"] and refund["amount"] == 1000
        declined = api.get(f"/v1/payment_intents/{result['declined_payment_intent']}").json()
        assert declined["last_payment_error"]["decline_code"] == "insufficient_funds"
        for event_id in result["events"]:
            event = api.get(f"/v1/events/{event_id}").json()
            assert event["id"] == event_id
            assert event["type"] in {"customer.created", "payment_intent.succeeded"}
            assert_recent(event["created"], "event")
        we = api.get(f"/v1/webhook_endpoints/{result['webhook_endpoint']}").json()
        assert we["api_version"] == result["api_version"]
