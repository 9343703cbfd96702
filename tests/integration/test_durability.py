"""Durability and start-up: data survives SIGKILL; `init --json`; `serve` on an empty dir; the master key."""

from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.databases import new_database_url
from support.server import PaykeepServer, free_port

KEY_SHAPES = {
    ("test", "secret_key"): r"sk_test_[A-Za-z0-9]{24,}",
    ("test", "publishable_key"): r"pk_test_[A-Za-z0-9]{24,}",
    ("live", "secret_key"): r"sk_live_[A-Za-z0-9]{24,}",
    ("live", "publishable_key"): r"pk_live_[A-Za-z0-9]{24,}",
}


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PAYKEEP_DATABASE_URL", "PAYKEEP_KEY_FILE", "PAYKEEP_MASTER_KEY", "PAYKEEP_PUBLIC_URL")
    }
    return {**env, **extra}


def paykeep(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paykeep", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- SIGKILL -------------------------------------------------------------------------------------------------
def test_data_survives_sigkill_and_restart(fresh_server: PaykeepServer) -> None:
    srv = fresh_server
    keys_before = {k: srv.keys[k] for k in ("account", "test", "live")}
    key = f"durable-{uuid.uuid4()}"
    with srv.client() as api:
        made = [
            api.post("/v1/customers", data={"email": f"k{i}@example.com", "metadata[i]": str(i)}).json()
            for i in range(10)
        ]
        replayable = api.post("/v1/customers", data={"name": "idem"}, headers={"Idempotency-Key": key})
        updated = api.post(f"/v1/customers/{made[0]['id']}", data={"name": "renamed"}).json()
        api.delete(f"/v1/customers/{made[1]['id']}")
        live = srv.client(srv.sk_live).post("/v1/customers", data={"name": "live"}).json()
        listed_before = api.get("/v1/customers", params={"limit": 100}).json()

    srv.kill()
    assert srv.proc is not None and srv.proc.returncode == -9
    srv.start()

    assert {k: srv.keys[k] for k in keys_before} == keys_before, "the same account and keys after the restart"
    with srv.client() as api:
        assert api.get(f"/v1/customers/{made[0]['id']}").json() == updated
        assert api.get(f"/v1/customers/{made[1]['id']}").json() == {
            "id": made[1]["id"],
            "object": "customer",
            "deleted": True,
        }
        for cus in made[2:]:
            assert api.get(f"/v1/customers/{cus['id']}").json() == cus
        assert api.get("/v1/customers", params={"limit": 100}).json() == listed_before
        again = api.post("/v1/customers", data={"name": "idem"}, headers={"Idempotency-Key": key})
        assert again.headers.get("idempotent-replayed") == "true" and again.content == replayable.content
        newer = api.post("/v1/customers").json()
        assert newer["id"] > listed_before["data"][0]["id"], "ids keep their order across restarts"
    with srv.client(srv.sk_live) as live_api:
        assert live_api.get(f"/v1/customers/{live['id']}").json() == live


def test_every_acknowledged_write_survives_sigkill_mid_stream(fresh_server: PaykeepServer) -> None:
    """Writes acknowledged (200) right up to the kill are all there afterwards."""
    srv = fresh_server
    acknowledged: list[str] = []
    with srv.client() as api:
        for i in range(40):
            resp = api.post("/v1/customers", data={"name": f"stream-{i}"})
            assert resp.status_code == 200
            acknowledged.append(resp.json()["id"])
    srv.kill()
    srv.start()
    with srv.client() as api:
        listed = api.get("/v1/customers", params={"limit": 100}).json()["data"]
    assert sorted(c["id"] for c in listed) == sorted(acknowledged)


# -- paykeep init --json -------------------------------------------------------------------------------------
def test_init_json_prints_exactly_one_object_and_the_same_keys_again(tmp_path: Path) -> None:
    env = clean_env(
        PAYKEEP_DATABASE_URL=new_database_url(tmp_path), PAYKEEP_KEY_FILE=str(tmp_path / "paykeep.key")
    )
    first = paykeep("init", "--json", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    obj, end = json.JSONDecoder().raw_decode(first.stdout)
    assert first.stdout[end:].strip() == "", "nothing but one JSON object on stdout"
    assert re.fullmatch(r"acct_\d{19}", obj["account"])
    for (mode, kind), shape in KEY_SHAPES.items():
        assert re.fullmatch(shape, obj[mode][kind]), (mode, kind)
    assert len({obj[m][k] for m, k in KEY_SHAPES}) == 4
    assert isinstance(obj["dashboard"], dict) and "url" in obj["dashboard"]

    second = paykeep("init", "--json", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["account"] == obj["account"]
    assert {k: again[k] for k in ("test", "live")} == {k: obj[k] for k in ("test", "live")}
    assert again["dashboard"].get("password") is None, (
        "a password only on the run that created the administrator"
    )

    with_keys = paykeep("init", cwd=tmp_path, env=env)
    assert with_keys.returncode == 0 and obj["test"]["secret_key"] in with_keys.stdout


def test_init_keys_work_against_the_server(tmp_path: Path) -> None:
    srv = PaykeepServer(tmp_path / "srv")
    try:
        srv.start()
        for mode in ("test", "live"):
            with srv.client(srv.keys[mode]["secret_key"]) as api:
                assert api.post("/v1/customers").json()["livemode"] is (mode == "live")
    finally:
        srv.close()


# -- paykeep serve on an empty directory ---------------------------------------------------------------------
@pytest.mark.sqlite_only
def test_serve_on_an_empty_directory_creates_the_database_and_key_file(tmp_path: Path) -> None:
    from paykeep.adapters.db.engine import Database

    port = free_port()
    log = (tmp_path / "out.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "paykeep", "serve", "--port", str(port), "--no-worker"],
        cwd=tmp_path,
        env=clean_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "out.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError("serve did not become healthy")
        output = (tmp_path / "out.log").read_text()
        secret = re.search(r"sk_test_[A-Za-z0-9]+", output)
        assert secret and re.search(r"pk_test_[A-Za-z0-9]+", output), output
        assert f"http://127.0.0.1:{port}" in output
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", auth=(secret.group(0), "")) as api:
            assert api.post("/v1/customers").status_code == 200

        db_file, key_file = tmp_path / "paykeep.db", tmp_path / "paykeep.key"
        assert db_file.is_file()
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert len(base64.urlsafe_b64decode(key_file.read_text().strip())) == 32
        with sqlite3.connect(db_file) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA foreign_key_list(api_keys)").fetchall(), "foreign keys are declared"
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            assert {"accounts", "api_keys", "customers", "idempotency_keys", "alembic_version"} <= tables
        db = Database(f"sqlite:///{db_file}")
        try:
            with db.begin(write=False) as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1, (
                    "on for paykeep's connections"
                )
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        finally:
            db.dispose()
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal (exit status -15)
    assert proc.returncode in (0, -15), proc.returncode
    assert "Application shutdown complete" in (tmp_path / "out.log").read_text()


# -- the master key ------------------------------------------------------------------------------------------
@pytest.fixture
def initialised(tmp_path: Path) -> dict[str, Any]:
    env = clean_env(
        PAYKEEP_DATABASE_URL=new_database_url(tmp_path), PAYKEEP_KEY_FILE=str(tmp_path / "paykeep.key")
    )
    done = paykeep("init", "--json", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    return {"env": env, "dir": tmp_path, "keys": json.loads(done.stdout)}


def refused(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout + result.stderr
    output = (result.stdout + result.stderr).replace("\n", "")  # as read, whatever the terminal wrapped
    assert "Traceback" not in output, output
    return output


@pytest.mark.parametrize("command", [["serve", "--no-worker"], ["init", "--json"]])
def test_a_wrong_master_key_is_refused(initialised: dict[str, Any], command: list[str]) -> None:
    other = base64.urlsafe_b64encode(os.urandom(32)).decode()
    env = {**initialised["env"], "PAYKEEP_MASTER_KEY": other}
    port = free_port()
    output = refused(
        paykeep(
            *command,
            *(["--port", str(port)] if command[0] == "serve" else []),
            cwd=initialised["dir"],
            env=env,
            timeout=60,
        )
    )
    assert "master key" in output.lower()
    assert initialised["keys"]["test"]["secret_key"] not in output


def test_a_malformed_master_key_is_refused(initialised: dict[str, Any]) -> None:
    env = {**initialised["env"], "PAYKEEP_MASTER_KEY": "not-a-key"}
    output = refused(paykeep("serve", "--port", str(free_port()), cwd=initialised["dir"], env=env))
    assert "master key" in output.lower()


@pytest.mark.parametrize("command", [["serve", "--no-worker"], ["init", "--json"]])
def test_a_missing_key_file_on_an_initialised_database_is_refused(
    initialised: dict[str, Any], command: list[str]
) -> None:
    (initialised["dir"] / "paykeep.key").unlink()
    extra = ["--port", str(free_port())] if command[0] == "serve" else []
    output = refused(paykeep(*command, *extra, cwd=initialised["dir"], env=initialised["env"]))
    assert "paykeep.key" in output and "PAYKEEP_MASTER_KEY" in output
    assert not (initialised["dir"] / "paykeep.key").exists(), "no new key is made for a database that has one"


def test_the_master_key_from_the_environment_opens_the_database(initialised: dict[str, Any]) -> None:
    key_file = initialised["dir"] / "paykeep.key"
    env = {**initialised["env"], "PAYKEEP_MASTER_KEY": key_file.read_text().strip()}
    key_file.unlink()
    again = paykeep("init", "--json", cwd=initialised["dir"], env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["test"] == initialised["keys"]["test"]


# -- the command itself --------------------------------------------------------------------------------------
def test_python_m_paykeep_help_works(tmp_path: Path) -> None:
    result = paykeep("--help", cwd=tmp_path, env=clean_env())
    assert result.returncode == 0, result.stderr
    for command in ("init", "serve"):
        assert command in result.stdout
    serve_help = paykeep("serve", "--help", cwd=tmp_path, env=clean_env())
    assert serve_help.returncode == 0
    for option in ("--host", "--port", "--db", "--public-url", "--no-worker"):
        assert option in serve_help.stdout
    assert list(tmp_path.iterdir()) == [], "--help creates nothing"
