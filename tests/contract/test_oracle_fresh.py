"""The Stripe oracle in the repo (API.md §9, issue 14): docs/compatibility.md and tests/contract/oracle.json
are what tools/stripe_oracle.py makes from the pinned `stripe` package and from paykeep as it is, and the
table's "treatment today" is what a request really gets.

Neither test needs a server or the network. Both run in the SQLite pass only: the generator and the requests
below use their own temporary SQLite file whatever the backend under test, so a PostgreSQL pass would repeat
the same thing."""

from __future__ import annotations

import asyncio
import difflib
import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from paykeep import bootstrap
from paykeep.config import Settings
from support.cards import form_pairs

pytestmark = pytest.mark.sqlite_only
ROOT = Path(__file__).resolve().parents[2]


def _load_oracle() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stripe_oracle", ROOT / "tools" / "stripe_oracle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["stripe_oracle"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def oracle() -> ModuleType:
    return _load_oracle()


def test_the_compatibility_table_and_its_data_are_what_the_script_makes_today(oracle, tmp_path):
    oracle.write(tmp_path)
    problems = []
    for rel in (oracle.DOC, oracle.DATA):
        committed, fresh = ROOT / rel, tmp_path / rel
        if not committed.exists():
            problems.append(f"{rel} is missing: run python tools/stripe_oracle.py")
            continue
        old = committed.read_text(encoding="utf-8").splitlines()
        new = fresh.read_text(encoding="utf-8").splitlines()
        if old != new:
            diff = list(difflib.unified_diff(old, new, f"{rel} (committed)", f"{rel} (fresh)", n=0,
                                             lineterm=""))
            problems.append(f"{rel} is stale: run python tools/stripe_oracle.py\n" + "\n".join(diff[:30]))
    assert not problems, "\n\n".join(problems)


@pytest.fixture(scope="module")
def app_and_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    tmp = tmp_path_factory.mktemp("oracle-http")
    settings = Settings.from_env(database_url=f"sqlite:///{tmp / 'paykeep.db'}", key_file=tmp / "key")
    runtime, keys = bootstrap.initialise(settings)
    try:
        yield bootstrap.create_app(runtime, run_background=False), keys.keys[("secret", False)]
    finally:
        runtime.close()


def test_the_treatment_in_the_table_is_what_each_request_gets(oracle, app_and_key):
    """Each oracle parameter of every served endpoint, alone with its sample value, over HTTP (in-process):
    the table says `parameter_unknown` exactly when paykeep answers 400 parameter_unknown, naming it (or the
    hash around it that paykeep does not know)."""
    app, key = app_and_key
    endpoints, _routes, _stripe, _pms = oracle.measure()
    cases = []
    for endpoint in endpoints:
        if endpoint.route is None:
            continue
        path = re.sub(r"\{[^}]+\}", "obj_1234567890123456789", endpoint.route.path)
        for param, treatment, _plan in endpoint.rows:
            body = oracle._payload(param.path, param.sample)
            if endpoint.route.method == "GET" and not form_pairs(body):
                continue  # an empty hash in a query string is nothing at all
            expected = (treatment.detail or param.name).replace("[]", "[0]")  # the one item of the sample
            cases.append((endpoint.route.method, path, param.name, body, treatment.kind, expected))
    assert len(cases) > 1000  # every served endpoint's parameters, nested ones included

    async def send_all() -> list[tuple[int, dict[str, Any]]]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://paykeep.test",
                                     auth=(key, "")) as client:
            answers = []
            for method, path, _name, body, _kind, _expected in cases:
                if method == "GET":
                    resp = await client.get(path + "?" + urlencode(form_pairs(body)))
                else:
                    resp = await client.request(method, path, json=body)
                answers.append((resp.status_code, resp.json()))
            return answers

    wrong = []
    for (method, path, name, _body, kind, expected), (status, answer) in zip(cases, asyncio.run(send_all()),
                                                                               strict=True):
        error = answer.get("error") or {}
        unknown = status == 400 and error.get("code") == "parameter_unknown"
        if status >= 500:
            wrong.append(f"{method} {path} {name}: {status}")
        elif (kind == "parameter_unknown") != unknown or (unknown and error.get("param") != expected):
            wrong.append(f"{method} {path} {name}: table says {kind}, the API answered {status} "
                         f"{error.get('code')} ({error.get('param')})")
    assert not wrong, f"{len(wrong)} of {len(cases)} disagree:\n" + "\n".join(wrong[:40])
