"""Prometheus metrics (text exposition format) for `GET /metrics`.

Per process: requests by method, route template and status, latency histograms, requests in flight,
transaction retries and database-pool use. With several uvicorn workers (`serve --workers N`) these are
aggregated across the worker processes through prometheus-client's multiprocess mode: `serve --workers N`
points `PROMETHEUS_MULTIPROC_DIR` at a fresh directory before the workers start (an operator may set it
instead; it is emptied at start). Separate `serve` processes each report their own numbers; Prometheus sums
them across targets.

Read from the database at scrape time (the same in every process): the outbox backlog, the age of the oldest
pending delivery, the lag of the most overdue one, deliveries by status and webhook attempts by outcome.
"""

from __future__ import annotations

import atexit
import hmac
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import Scope

from paykeep.logs import HTTP_METHODS
from paykeep.services import metrics as stats
from paykeep.services.ports import Deps

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
disable_created_metrics()  # no `*_created` series: they double the output and no dashboard uses them

REQUESTS = Counter(
    "paykeep_http_requests_total", "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "paykeep_http_request_duration_seconds", "Time from request to the end of the response, by route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
IN_FLIGHT = Gauge("paykeep_http_requests_in_flight", "Requests being handled now.",
                  multiprocess_mode="livesum")
TRANSACTION_RETRIES = Counter(
    "paykeep_transaction_retries_total",
    "Use cases run again after the database reported a conflict (deadlock, serialization failure, busy).",
    ["reason"],
)
DB_POOL_CHECKED_OUT = Gauge(
    "paykeep_db_pool_checked_out", "Database connections in use by the API processes.",
    multiprocess_mode="livesum",
)
DB_POOL_LIMIT = Gauge(
    "paykeep_db_pool_limit", "The most connections the API processes' pools may open.",
    multiprocess_mode="livesum",
)

UNMATCHED = "unmatched"  # requests no route matched: one label value, not one per raw path


def route_template(scope: Scope) -> str:
    """The path template of the route that handled the request (`/v1/customers/{id}`), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else UNMATCHED


class RequestMetrics:
    """Counts every HTTP request by route template and status and observes its latency (called by the front
    door, web/front_door.py, around every request)."""

    def __init__(self) -> None:
        # (method, route, status) -> its counter and histogram children: `labels()` costs more than the
        # increment. Bounded: route templates and status codes are few, and any other method is one key.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def started(self) -> None:
        IN_FLIGHT.inc()

    def finished(self, scope: Scope, status: int, seconds: float) -> None:
        IN_FLIGHT.dec()
        counter, histogram = self._series(scope, status)
        counter.inc()
        histogram.observe(seconds)

    def _series(self, scope: Scope, status: int) -> tuple[Any, Any]:
        method = scope["method"] if scope["method"] in HTTP_METHODS else "other"
        key = (method, route_template(scope), status)
        series = self._children.get(key)
        if series is None:
            series = (REQUESTS.labels(method, key[1], str(status)), LATENCY.labels(method, key[1]))
            if len(self._children) < 10_000:
                self._children[key] = series
        return series


class DatabaseCollector(Collector):
    """Outbox and webhook-attempt numbers, queried when scraped."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily("paykeep_database_up", "1 when the scrape could read the database.")
        try:
            outbox = stats.read_outbox_stats(self.deps)
        except Exception:  # a scrape must still answer when the database is down
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("paykeep_outbox_pending_deliveries",
                                "Webhook deliveries not yet succeeded or given up (the outbox backlog).",
                                value=outbox.pending)
        yield GaugeMetricFamily("paykeep_outbox_oldest_pending_age_seconds",
                                "Age of the oldest pending webhook delivery (0 when none is pending).",
                                value=outbox.oldest_pending_age_s)
        yield GaugeMetricFamily("paykeep_outbox_oldest_due_lag_seconds",
                                "How long the most overdue pending delivery has been due (workers falling "
                                "behind; 0 when nothing is overdue).",
                                value=outbox.oldest_due_lag_s)
        by_status = GaugeMetricFamily("paykeep_webhook_deliveries", "Webhook deliveries by status.",
                                      labels=["status"])
        for name in sorted(set(outbox.deliveries_by_status) | {"pending", "succeeded", "failed"}):
            by_status.add_metric([name], outbox.deliveries_by_status.get(name, 0))
        yield by_status
        attempts = CounterMetricFamily("paykeep_webhook_attempts", "Webhook delivery attempts by outcome.",
                                       labels=["outcome"])
        for name in sorted(set(outbox.attempts_by_outcome) | {"succeeded", "failed"}):
            attempts.add_metric([name], outbox.attempts_by_outcome.get(name, 0))
        yield attempts


def exposition(deps: Deps) -> tuple[bytes, str]:
    """The scrape body and its content type: this process's (or all workers') metrics, then the database's."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(deps))
    return body + generate_latest(database), CONTENT_TYPE_LATEST


def token_accepted(expected: str | None, authorization: str) -> bool:
    """No token configured: open. Otherwise `Authorization: Bearer <token>`, compared in constant time."""
    if not expected:
        return True
    scheme, _, value = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), expected.encode())


def instrument(app: Any, pool: Any) -> None:
    """Count requests on `app` and track `pool` (a Database: watch_pool, pool_limit) use."""
    app.state.request_metrics = RequestMetrics()
    pool.watch_pool(DB_POOL_CHECKED_OUT.inc, DB_POOL_CHECKED_OUT.dec)
    DB_POOL_LIMIT.set(pool.pool_limit)
    if os.environ.get(MULTIPROC_ENV):
        atexit.register(multiprocess.mark_process_dead, os.getpid())


def prepare_multiprocess_dir() -> None:
    """Before uvicorn starts N workers: a fresh directory for their shared metric files (ours is removed at
    exit; one an operator configured is emptied, as prometheus-client requires)."""
    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return
    created = tempfile.mkdtemp(prefix="paykeep-metrics-")
    os.environ[MULTIPROC_ENV] = created
    atexit.register(shutil.rmtree, created, True)
