"""The CLI as a user meets it (API.md §12, issue 17 findings 9 and 11), run as a subprocess: a bad --db URL,
an unreachable database, an unwritable directory or a port in use is one line on stderr and exit status 2;
"listening" is true when printed; two quick Ctrl-Cs exit quietly; the files are private (0600); a key file
others may read is a warning, or a refusal with PAYKEEP_STRICT_KEY_FILE=1."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from support.server import PaykeepServer, free_port

pytestmark = pytest.mark.sqlite_only  # about the command and SQLite files; once is enough


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PAYKEEP_DATABASE_URL", "PAYKEEP_KEY_FILE", "PAYKEEP_MASTER_KEY",
                        "PAYKEEP_STRICT_KEY_FILE")}
    return {**env, **extra}


def paykeep(*args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "paykeep", *args], cwd=cwd, env=env or _env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


BAD_URLS = {
    "sqlite-two-slashes": ("sqlite://relative.db", "sqlite:///relative.db"),
    "missing-directory": ("sqlite:///no/such/dir/paykeep.db", "does not exist"),
    "mysql": ("mysql://shop:hunter2@127.0.0.1/shop", "unsupported database"),
}


@pytest.mark.parametrize("command", ["init", "serve"])
@pytest.mark.parametrize("case", sorted(BAD_URLS))
def test_a_bad_db_url_is_one_line_and_status_2(tmp_path: Path, command: str, case: str) -> None:
    url, needle = BAD_URLS[case]
    args = [command, "--db", url, "--key-file", str(tmp_path / "k")]
    if command == "serve":
        args += ["--port", str(free_port())]
    line = assert_one_line_error(paykeep(*args, cwd=tmp_path), needle)
    assert "hunter2" not in line
    assert not (tmp_path / "k").exists() and list(tmp_path.iterdir()) == []


def test_an_unreachable_postgresql_is_one_line_and_status_2(tmp_path: Path) -> None:
    url = f"postgresql://shop:hunter2@127.0.0.1:{free_port()}/shop"  # nothing listens there
    line = assert_one_line_error(paykeep("init", "--db", url, cwd=tmp_path), "database is unavailable")
    assert "hunter2" not in line


def test_an_unwritable_data_directory_is_one_line_and_status_2(tmp_path: Path) -> None:
    # /sys takes no new files, even from root (chmod would not stop root, who runs CI)
    result = paykeep("init", "--db", "sqlite:////sys/paykeep.db", "--key-file", str(tmp_path / "k"),
                     cwd=tmp_path)
    assert_one_line_error(result, "/sys/paykeep.db")
    result = paykeep("init", "--db", str(tmp_path / "paykeep.db"), "--key-file", "/sys/paykeep.key",
                     cwd=tmp_path)
    assert_one_line_error(result, "/sys/paykeep.key")


def test_a_port_in_use_is_one_line_and_status_2_and_never_says_listening(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = paykeep("serve", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "listening" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: cannot listen on 127.0.0.1:{port}: Address already in use"], result.stderr
    assert "Traceback" not in result.stderr


def _start_serve(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "paykeep", "serve", "--port", str(port)], cwd=tmp_path,
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float) -> str:
    # A reader thread, not select() on the pipe: a readline() may pull several lines into Python's buffer,
    # after which select() waits on an empty pipe although the line we want has already arrived.
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in proc.stdout or ():
            lines.put(line)
        lines.put("")  # end of output

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if needle in line:
            return line
        if not line:
            break
        seen.append(line)
    raise AssertionError(f"no {needle!r} line within {timeout} s (exit {proc.poll()}); stdout: {seen!r}")


def test_listening_is_printed_once_the_socket_is_bound_and_two_ctrl_cs_exit_quietly(tmp_path: Path) -> None:
    port = free_port()
    proc = _start_serve(tmp_path, port)
    try:
        _wait_for_line(proc, "listening", 60)
        with socket.create_connection(("127.0.0.1", port), timeout=5):  # refused if printed before bind
            pass
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode in (0, 130), err
    assert "Traceback" not in err and " ERROR " not in err, err


def test_database_wal_and_key_files_are_private(tmp_path: Path) -> None:
    srv = PaykeepServer(tmp_path / "srv", db_url=f"sqlite:///{tmp_path / 'srv' / 'paykeep.db'}").start()
    try:
        with srv.client() as api:
            assert api.post("/v1/customers", json={"name": "x"}).status_code == 200
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "srv").iterdir()
                 if p.name.startswith("paykeep.")}
        assert {"paykeep.db", "paykeep.db-wal", "paykeep.db-shm", "paykeep.key"} <= set(files), files
        assert {name: mode for name, mode in files.items() if mode != 0o600} == {}, files
    finally:
        srv.close()


def test_a_key_file_others_can_read_is_a_warning_or_with_strict_a_refusal(tmp_path: Path) -> None:
    first = paykeep("init", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    key = tmp_path / "paykeep.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    key.chmod(0o644)
    again = paykeep("init", "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["test"] == json.loads(first.stdout)["test"], "the same keys, still served"
    assert "readable by others" in again.stderr and "chmod 600" in again.stderr, again.stderr
    strict = paykeep("init", "--json", cwd=tmp_path, env=_env(PAYKEEP_STRICT_KEY_FILE="1"))
    assert_one_line_error(strict, "readable by others")
    assert strict.stdout == ""
    key.chmod(0o600)
    fine = paykeep("init", "--json", cwd=tmp_path, env=_env(PAYKEEP_STRICT_KEY_FILE="1"))
    assert fine.returncode == 0 and "readable by others" not in fine.stderr
