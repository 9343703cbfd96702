"""GET /metrics: Prometheus text format; requests by route template and status, latency histograms, the
outbox backlog and webhook attempts from the database, pool use; an optional bearer token."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.receiver import wait_until
from support.server import PaykeepServer, free_port


def scrape(server: PaykeepServer, **kwargs: object) -> httpx.Response:
    return httpx.get(server.base_url + "/metrics", timeout=30, **kwargs)  # type: ignore[arg-type]


def values(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_metrics_is_prometheus_text_without_an_api_key(server):
    resp = scrape(server)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    families = {f.name for f in text_string_to_metric_families(resp.text)}
    for name in ("paykeep_http_requests", "paykeep_http_request_duration_seconds",
                 "paykeep_db_pool_checked_out", "paykeep_db_pool_limit", "paykeep_outbox_pending_deliveries",
                 "paykeep_outbox_oldest_pending_age_seconds", "paykeep_webhook_attempts",
                 "paykeep_database_up"):
        assert name in families, name


def test_requests_are_counted_by_route_template_and_status(server, api):
    cus = api.post("/v1/customers", data={"email": "metrics@example.com"}).json()
    api.get(f"/v1/customers/{cus['id']}")
    api.get("/v1/customers/cus_0000000000000000000")
    api.get("/v1/no_such_thing/abc123")
    text = scrape(server).text
    requests = values(text, "paykeep_http_requests_total")
    route = "/v1/customers/{customer_id}"
    assert requests[(("method", "GET"), ("route", route), ("status", "200"))] >= 1
    assert requests[(("method", "GET"), ("route", route), ("status", "404"))] >= 1
    assert requests[(("method", "GET"), ("route", "unmatched"), ("status", "404"))] >= 1
    assert not [labels for labels in requests if cus["id"] in str(labels) or "abc123" in str(labels)]
    count = values(text, "paykeep_http_request_duration_seconds_count")
    assert count[(("method", "GET"), ("route", route))] >= 2
    buckets = values(text, "paykeep_http_request_duration_seconds_bucket")
    get = (("method", "GET"), ("route", route))
    assert buckets[(("le", "+Inf"), *get)] == count[get]
    assert values(text, "paykeep_db_pool_limit")[()] > 0
    assert values(text, "paykeep_database_up")[()] == 1


def test_outbox_backlog_and_failed_attempts_come_from_the_database(server, api):
    dead = f"http://127.0.0.1:{free_port()}/nobody-listens"
    endpoint = api.post("/v1/webhook_endpoints",
                        data={"url": dead, "enabled_events[]": "customer.created"}).json()
    try:
        api.post("/v1/customers", data={"email": "backlog@example.com"})
        def failed_attempt_counted() -> str | None:
            t = scrape(server).text
            failed = values(t, "paykeep_webhook_attempts_total").get((("outcome", "failed"),), 0)
            return t if failed >= 1 else None

        text = wait_until(failed_attempt_counted)
        assert values(text, "paykeep_outbox_pending_deliveries")[()] >= 1  # retries still to come
        assert values(text, "paykeep_outbox_oldest_pending_age_seconds")[()] >= 0
        assert values(text, "paykeep_webhook_deliveries")[(("status", "pending"),)] >= 1
    finally:
        api.delete(f"/v1/webhook_endpoints/{endpoint['id']}")
    text = scrape(server).text
    assert values(text, "paykeep_outbox_pending_deliveries")[()] == 0  # deleting the endpoint canceled them


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaykeepServer]:
    srv = PaykeepServer(tmp_path_factory.mktemp("guarded"), env={"PAYKEEP_METRICS_TOKEN": "scrape-me-7"})
    srv.start()
    yield srv
    srv.close()


def test_metrics_token_when_configured(guarded):
    assert scrape(guarded).status_code == 401
    assert scrape(guarded, headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = scrape(guarded, headers={"Authorization": "Bearer scrape-me-7"})
    assert ok.status_code == 200 and "paykeep_http_requests_total" in ok.text


def test_readyz_checks_the_database(server):
    resp = httpx.get(server.base_url + "/readyz", timeout=10)
    assert resp.status_code == 200 and resp.json() == {"status": "ok", "database": "up"}
