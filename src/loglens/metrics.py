"""Self-metrics for GET /metrics (Prometheus text format), in a registry of the app's own: no global state.

Counted as things happen: entries accepted and rejected (by endpoint and error kind), request latency (by route,
method and status), and each group commit's size and duration. Read when scraped: the writer's queue, the
store's size and health, alerts by rule and state, and the notifier's deliveries, failures and drops.
Each worker process keeps its own counters (a scrape reaches one worker); the store-derived values are global.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

from .store import StoreBusy, StoreError, StoreFailing, StoreFull

if TYPE_CHECKING:
    from .pipeline import IngestResult
    from .store import Store

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
COMMIT_SECONDS_BUCKETS = (0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
COMMIT_ENTRIES_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000)
COMMIT_JOBS_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def store_error_kind(exc: StoreError) -> str:
    """The rejection kind counted for entries a store error kept out."""
    if isinstance(exc, StoreBusy):
        return "store_busy"
    if isinstance(exc, StoreFull):
        return "store_full"
    if isinstance(exc, StoreFailing):
        return "store_failing"
    return "store_error"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.accepted = Counter("loglens_entries_accepted", "Entries stored, by endpoint", ["endpoint"], registry=r)
        self.rejected = Counter(
            "loglens_entries_rejected",
            "Entries not stored, by endpoint and kind (the first failing JSON Schema keyword, or store_busy,"
            " store_full, store_failing, store_error)",
            ["endpoint", "kind"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "loglens_request_duration_seconds",
            "Time to answer a request (until the response starts), by route, method and status",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.commit_entries = Histogram(
            "loglens_commit_entries", "Entries per group commit", buckets=COMMIT_ENTRIES_BUCKETS, registry=r
        )
        self.commit_jobs = Histogram(
            "loglens_commit_jobs", "Writer jobs (requests) per group commit", buckets=COMMIT_JOBS_BUCKETS, registry=r
        )
        self.commit_seconds = Histogram(
            "loglens_commit_duration_seconds",
            "Time the writer spent on one group commit, fsync included",
            buckets=COMMIT_SECONDS_BUCKETS,
            registry=r,
        )
        # bound children of the per-request metrics: labels() costs twice as much as the increment itself
        self._latency: dict[tuple[str, str, str], Any] = {}
        self._accepted: dict[str, Any] = {}

    # -- events ------------------------------------------------------------------------------------------

    def observe_commit(self, jobs: int, entries: int, seconds: float) -> None:
        """Called by the writer thread after every group (jobs and entries that committed)."""
        if jobs:
            self.commit_jobs.observe(jobs)
            self.commit_entries.observe(entries)
            self.commit_seconds.observe(seconds)

    def observe_ingest(self, endpoint: str, result: IngestResult) -> None:
        if result.accepted:
            child = self._accepted.get(endpoint)
            if child is None:
                child = self._accepted[endpoint] = self.accepted.labels(endpoint)
            child.inc(result.accepted)
        for _, problems in result.rejected:
            self.rejected.labels(endpoint, problems[0].kind if problems else "invalid").inc()

    def observe_store_error(self, endpoint: str, entries: int, exc: StoreError) -> None:
        if entries:
            self.rejected.labels(endpoint, store_error_kind(exc)).inc(entries)

    def observe_request(self, route: str, method: str, status: str, seconds: float) -> None:
        key = (route, method, status)
        child = self._latency.get(key)
        if child is None:
            child = self._latency[key] = self.request_seconds.labels(*key)
        child.observe(seconds)

    # -- scrape-time values ------------------------------------------------------------------------------

    def watch(self, store: Store) -> None:
        """Report the app's store, alerts and notification outbox when scraped."""
        self.registry.register(_StateCollector(store))


class _StateCollector:
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        store = self.store
        health = store.health(probe=False)
        yield _gauge("loglens_store_up", "1 while the store takes writes, 0 while it is failing", int(health.ok))
        yield _gauge("loglens_writer_queue_entries", "Entries waiting for the writer", health.pending_entries)
        yield _gauge("loglens_store_size_bytes", "Bytes of the store's files on disk", health.size_bytes)
        try:
            totals = store.totals()
            counts = store.alert_counts()
            outbox = store.notification_counts()
        except StoreError as exc:
            log.warning("metrics: cannot read the store: %s", exc)
        else:
            yield _gauge("loglens_store_entries", "Entries stored now", totals.stored)
            alerts = GaugeMetricFamily("loglens_alerts", "Alerts stored, by rule and state", labels=["rule", "state"])
            for (rule, alert_state), n in sorted(counts.items()):
                alerts.add_metric([rule, alert_state], n)
            yield alerts
            notifications = GaugeMetricFamily(
                "loglens_notifications",
                "Notifications in the outbox, by notifier and status (pending, delivering, held, delivered, failed,"
                " dropped)",
                labels=["notifier", "status"],
            )
            for (notifier, status), n in sorted(outbox.items()):
                notifications.add_metric([notifier, status], n)
            yield notifications


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=value)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RequestTimer:
    """WSGI middleware timing every request by route template; `record` times the RSGI bridge's answers on its
    event loop (api/fast.py), so every request is counted the same way.

    Routes are known paths (their templates for the few with variables); anything else counts as "unmatched",
    so that scanners cannot grow the label set.
    """

    def __init__(self, app: WSGIApp, metrics: Metrics, routes: dict[str, str], prefixes: dict[str, str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes  # exact path -> route label
        self.prefixes = prefixes  # path prefix -> route label (routes with variables)

    def route(self, path: str) -> str:
        route = self.routes.get(path)
        if route is not None:
            return route
        for prefix, label in self.prefixes.items():
            if path.startswith(prefix):
                return label
        return "unmatched"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status = "500"

        def timed_start_response(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal status
            status = code[:3]
            return start_response(code, headers, exc_info)

        try:
            return self.app(environ, timed_start_response)
        finally:
            self.record(environ, status, started)

    def record(self, environ: dict[str, Any], status: str, started: float) -> None:
        """Count a request answered with `status` that started at `started` (time.perf_counter)."""
        method = environ.get("REQUEST_METHOD", "")
        self.metrics.observe_request(
            self.route(environ.get("PATH_INFO", "")),
            method if method in METHODS else "other",
            status,
            time.perf_counter() - started,
        )
