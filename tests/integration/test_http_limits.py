"""HTTP limits of `paykeep serve` (issue 17, findings 2 and 5; API.md §12), against real server processes on
127.0.0.1, seen from raw sockets as an attacker sees them: what comes back, and how soon the server hangs up.
The timeouts are shrunk through PAYKEEP_HTTP_* so that "closed within N s" needs no long waits."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.receiver import wait_until
from support.server import PaykeepServer

HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@pytest.fixture(scope="module")
def srv(tmp_path_factory) -> Iterator[PaykeepServer]:
    s = PaykeepServer(tmp_path_factory.mktemp("limits"), worker=False, env={
        "PAYKEEP_HTTP_HEAD_TIMEOUT": "1", "PAYKEEP_HTTP_BODY_TIMEOUT": "1",
        "PAYKEEP_HTTP_KEEP_ALIVE_TIMEOUT": "1",
    }).start()
    yield s
    s.close()


def connect(server: PaykeepServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def read_until_closed(sock: socket.socket, limit: float = 10.0) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started = time.monotonic()
    sock.settimeout(limit)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    return data, time.monotonic() - started


def test_a_head_over_32_kib_is_431_and_closed_and_one_under_it_is_served(srv):
    sock = connect(srv)
    sock.sendall(HEAD + b"X-Big: " + b"a" * 33_000 + b"\r\n\r\n")
    data, _ = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 431 ") and b"connection: close" in data.lower()
    assert b'"request_header_fields_too_large"' in data

    sock = connect(srv)
    sock.sendall(HEAD + b"X-Big: " + b"a" * 30_000 + b"\r\n\r\n")
    assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    sock.close()


def test_an_endless_header_is_refused_after_its_first_32_kib_not_buffered(srv):
    sock = connect(srv)
    sock.sendall(HEAD + b"X-Big: ")
    sent = 0
    try:
        while sent < 16 * 1024 * 1024:  # the 16 MB header of the finding; the server hangs up long before
            sock.sendall(b"a" * 65536)
            sent += 65536
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert sent < 16 * 1024 * 1024
    data, _ = read_until_closed(sock)
    assert data == b"" or data.startswith(b"HTTP/1.1 431 ")  # the answer may be lost to the reset


def test_a_head_must_arrive_within_the_head_timeout(srv):
    silent = connect(srv)  # sends nothing at all
    slow = connect(srv)  # a slowloris: one byte at a time, never finishing the head
    slow.sendall(HEAD)
    started = time.monotonic()
    closed = False
    while time.monotonic() - started < 5:
        try:
            slow.sendall(b"X")
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        slow.settimeout(0.2)
        try:
            if slow.recv(1) == b"":
                closed = True
                break
        except TimeoutError:
            pass
    assert closed and time.monotonic() - started < 2.5
    assert read_until_closed(silent)[1] < 2.5


def test_a_body_must_arrive_within_the_body_timeout_and_the_hang_up_is_no_5xx(srv):
    sock = connect(srv)
    sock.sendall(b"POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nname=slow")
    data, seconds = read_until_closed(sock)
    assert data == b"" and seconds < 2.5


def test_a_client_hanging_up_mid_body_is_logged_at_info_and_not_counted_as_5xx(srv):
    before = srv.logs()
    for _ in range(3):
        sock = connect(srv)
        sock.sendall(b"POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n\r\nname=gone")
        time.sleep(0.05)  # the app is reading the body
        sock.close()
    wait_until(lambda: srv.logs().count("client disconnected") >= before.count("client disconnected") + 3)
    new = srv.logs()[len(before):]
    assert "Traceback" not in new and " ERROR " not in new
    metrics = httpx.get(srv.base_url + "/metrics", timeout=10).text
    statuses = {s.labels.get("status") for f in text_string_to_metric_families(metrics) for s in f.samples
                if s.name == "paykeep_http_requests_total" and s.labels.get("route") == "/v1/customers"}
    assert "499" in statuses and not any(str(s).startswith("5") for s in statuses)


def test_an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout(srv):
    sock = connect(srv)
    sock.sendall(HEAD + b"\r\n")
    assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    started = time.monotonic()
    data, seconds = read_until_closed(sock)
    assert data == b"" and 0.5 < time.monotonic() - started < 2.5


def test_connections_beyond_the_cap_get_503_and_close(tmp_path):
    s = PaykeepServer(tmp_path / "cap", worker=False, env={"PAYKEEP_HTTP_MAX_CONNECTIONS": "4"}).start()
    try:
        held = [connect(s) for _ in range(4)]
        time.sleep(0.2)  # accepted by the server
        resp = httpx.get(s.base_url + "/healthz", timeout=5)
        assert resp.status_code == 503 and resp.headers["connection"] == "close"
        assert resp.headers["retry-after"] == "1" and resp.json()["error"]["code"] == "too_many_connections"
        for sock in held:
            sock.close()
        assert wait_until(lambda: httpx.get(s.base_url + "/healthz", timeout=5).status_code == 200, timeout=5)
    finally:
        s.close()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_slow_clients_do_not_hurt_a_normal_client(tmp_path):
    """50 slowloris connections and 10 oversized heads (16 MB each, sent as fast as the server takes them)
    against one server, while a normal client keeps p99 < 50 ms for its GETs and the server's RSS stays
    within 50 MB of its idle size. Head timeout 3 s: every slowloris connection is closed before the end."""
    s = PaykeepServer(tmp_path / "slow", worker=False, env={"PAYKEEP_HTTP_HEAD_TIMEOUT": "3"}).start()
    stop = threading.Event()
    try:
        with s.client() as api:
            for _ in range(20):  # warm up: the idle size is that of a server that has served requests
                api.get("/v1/customers", params={"limit": 3})
            idle = rss_kib(s.proc.pid)  # type: ignore[union-attr]
            peak = idle

            slowloris = [connect(s) for _ in range(50)]
            closed_at: dict[int, float] = {}
            started = time.monotonic()

            def trickle() -> None:
                for sock in slowloris:
                    sock.sendall(HEAD)
                while not stop.is_set() and len(closed_at) < len(slowloris):
                    for index, sock in enumerate(slowloris):
                        if index in closed_at:
                            continue
                        try:
                            sock.sendall(b"X")
                        except OSError:
                            closed_at[index] = time.monotonic() - started
                    stop.wait(0.2)

            refused: list[bytes] = []

            def oversized() -> None:
                sock = connect(s)
                try:
                    sock.sendall(HEAD + b"X-Big: ")
                    for _ in range(256):  # 16 MB
                        sock.sendall(b"a" * 65536)
                except OSError:
                    pass
                sock.settimeout(2)
                try:
                    refused.append(sock.recv(64))
                except OSError:
                    refused.append(b"")
                sock.close()

            threads = [threading.Thread(target=trickle)]
            threads += [threading.Thread(target=oversized) for _ in range(10)]
            for thread in threads:
                thread.start()
            latencies = []
            for _ in range(300):  # the normal client: bounded in count
                t0 = time.perf_counter()
                resp = api.get("/v1/customers", params={"limit": 3})
                latencies.append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200
                peak = max(peak, rss_kib(s.proc.pid))  # type: ignore[union-attr]
                time.sleep(0.01)
            # and the slowloris connections are closed by the head timeout, not held for as long as they like
            wait_until(lambda: len(closed_at) == len(slowloris), timeout=8)
            for thread in threads:
                thread.join(20)
            peak = max(peak, rss_kib(s.proc.pid))  # type: ignore[union-attr]
        p99 = statistics.quantiles(latencies, n=100)[98]
        print(f"\nslow clients: p99 {p99:.1f} ms, median {statistics.median(latencies):.1f} ms over "
              f"{len(latencies)} GETs; RSS idle {idle / 1024:.1f} MB, peak {peak / 1024:.1f} MB "
              f"(+{(peak - idle) / 1024:.1f} MB); slowloris closed after {max(closed_at.values()):.1f} s")
        assert p99 < 50, latencies
        assert peak - idle < 50 * 1024
        assert max(closed_at.values()) < 6
        assert all(r == b"" or r.startswith(b"HTTP/1.1 431") for r in refused) and len(refused) == 10
    finally:
        stop.set()
        s.close()
