"""Scale-out commands on one database: `serve --workers N`, readiness, graceful shutdown of API processes
and of `paykeep worker` (in-flight work finishes, claims are handed back)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from paykeep import bootstrap
from paykeep.adapters.db.tables.events import webhook_deliveries
from paykeep.adapters.vault.keyring import generate_master_key, write_key_file
from paykeep.config import Settings
from support.cluster import Cluster
from support.receiver import HANG, Receiver, wait_until


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def customers_created(metrics_text: str) -> float:
    key = (("method", "POST"), ("route", "/v1/customers"), ("status", "200"))
    return samples(metrics_text, "paykeep_http_requests_total").get(key, 0.0)


def open_runtime(cluster: Cluster) -> bootstrap.Runtime:
    """This test process as one more paykeep process on the cluster's database."""
    return bootstrap.build_runtime(Settings.from_env(database_url=cluster.db_url, key_file=cluster.key_file))


def test_serve_workers_runs_n_api_processes_whose_metrics_add_up(tmp_path):
    cluster = Cluster(tmp_path / "c")
    try:
        cluster.init()
        api = cluster.start_api(workers=2)
        assert len(api.children()) == 2
        with cluster.client(api) as client:
            for n in range(20):
                assert client.post("/v1/customers", data={"email": f"w{n}@example.com"}).status_code == 200
            assert client.get("/readyz").json() == {"status": "ok", "database": "up"}
            assert client.get("/healthz").status_code == 200
            # whichever process answers the scrape, it reports the requests of both
            scrapes = [client.get("/metrics").text for _ in range(4)]
        assert [customers_created(text) for text in scrapes] == [20.0] * 4
    finally:
        cluster.close()


def test_sigterm_lets_an_in_flight_request_finish(tmp_path):
    cluster = Cluster(tmp_path / "c")
    runtime = None
    try:
        cluster.init()
        api = cluster.start_api(in_process_worker=True)
        with cluster.client(api) as client:
            cus = client.post("/v1/customers", data={"name": "before"}).json()
            runtime = open_runtime(cluster)
            result: dict[str, Any] = {}
            scope = (str(cluster.keys["account"]), False)
            with runtime.deps.begin(write=True) as uow:
                uow.customers.get(scope, cus["id"], for_update=True)  # the server's update must wait for us

                def update() -> None:
                    result["resp"] = client.post(f"/v1/customers/{cus['id']}", data={"name": "after"})

                worker = threading.Thread(target=update)
                worker.start()
                wait_until(lambda: samples(client.get("/metrics").text, "paykeep_http_requests_in_flight")
                           .get((), 0) >= 2)  # the update and this scrape
                api.signal(signal.SIGTERM)
                wait_until(lambda: _refuses_connections(api.base_url), timeout=15)
            # our transaction ended: the in-flight update completes although the server is stopping
            worker.join(30)
        assert result["resp"].status_code == 200, result["resp"].text
        assert result["resp"].json()["name"] == "after"
        api.wait(30)
    finally:
        if runtime is not None:
            runtime.close()
        cluster.close()


def _refuses_connections(base_url: str) -> bool:
    try:
        httpx.get(base_url + "/healthz", timeout=1)
    except httpx.ConnectError:
        return True
    except httpx.HTTPError:
        return False
    return False


def test_worker_sigterm_finishes_the_delivery_in_flight(tmp_path):
    release = threading.Event()

    def slow(_n: int, _req: Any) -> tuple[int, dict[str, str], bytes]:
        release.wait(20)
        return 200, {}, b"ok"

    receiver = Receiver(respond=slow)
    cluster = Cluster(tmp_path / "c")
    try:
        cluster.init()
        api = cluster.start_api()
        worker = cluster.start_worker()
        with cluster.client(api) as client:
            client.post("/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "*"})
            cus = client.post("/v1/customers", data={"name": "in flight"}).json()
            receiver.wait_count(1, timeout=30)
            worker.signal(signal.SIGTERM)  # while the receiver still holds the send open
            wait_until(lambda: "stopping: finishing in-flight deliveries" in worker.logs(), timeout=15)
            release.set()
            assert worker.wait(30) == 0, worker.logs()
            event = client.get("/v1/events", params={"type": "customer.created"}).json()["data"][0]
        assert event["data"]["object"]["id"] == cus["id"]
        assert event["pending_webhooks"] == 0, "the delivery in flight was recorded as delivered"
        assert len(receiver.snapshot()) == 1
    finally:
        release.set()
        cluster.close()
        receiver.close()


def test_worker_sigterm_hands_back_claims_it_could_not_finish(tmp_path):
    receiver = Receiver(respond=lambda _n, _req: HANG, hang_limit=60)
    cluster = Cluster(tmp_path / "c", env_extra={"PAYKEEP_WEBHOOK_TIMEOUT": "30"})
    runtime = None
    try:
        cluster.init()
        api = cluster.start_api()
        worker = cluster.start_worker()
        with cluster.client(api) as client:
            client.post("/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "*"})
            client.post("/v1/customers", data={"name": "stuck"})
        receiver.wait_count(1, timeout=30)
        runtime = open_runtime(cluster)

        def claims() -> list[Any]:
            with runtime.db.begin(write=False) as conn:  # type: ignore[union-attr]
                return list(conn.execute(select(webhook_deliveries.c.status, webhook_deliveries.c.claimed_by,
                                                webhook_deliveries.c.claimed_until)).all())

        assert claims()[0].claimed_by is not None
        worker.signal(signal.SIGTERM)
        assert worker.wait(30) == 0, worker.logs()  # after its grace period for the hanging send
        (row,) = claims()
        assert row.status == "pending" and row.claimed_by is None and row.claimed_until is None
    finally:
        if runtime is not None:
            runtime.close()
        cluster.close()
        receiver.close()


def test_processes_initialising_one_empty_database_at_once_agree_on_one_account(tmp_path):
    cluster = Cluster(tmp_path / "c")
    try:
        write_key_file(cluster.key_file, generate_master_key())  # every process is given the same master key
        inits = [subprocess.Popen([sys.executable, "-m", "paykeep", "init", "--json"], env=cluster.env,
                                  cwd=cluster.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(3)]
        outputs = [p.communicate(timeout=120) for p in inits]
        assert [p.returncode for p in inits] == [0, 0, 0], [err.decode()[-2000:] for _out, err in outputs]
        answers = [json.loads(out) for out, _err in outputs]
        assert len({a["account"] for a in answers}) == 1
        assert len({a["test"]["secret_key"] for a in answers}) == 1
    finally:
        cluster.close()
