"""Dashboard payload, time series, service health and top users, all computed from the store's rollups."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .config import Settings, StorageSettings
from .health import HealthPolicy
from .model import MINUTE_MS, iso_from_ms, minute_key
from .store import AlertingReader

STATUS_ORDER = {"down": 0, "degraded": 1, "healthy": 2}


@dataclass(frozen=True)
class Span:
    """A closed range of epoch minutes, first..last; `live` when it ends now (its last bucket is still filling)."""

    first: int
    last: int
    live: bool

    @property
    def minutes(self) -> int:
        return self.last - self.first + 1


def max_minutes(storage: StorageSettings) -> int:
    """The longest range a dashboard read may ask for: the retention, in minutes (GET /openapi.json says it too)."""
    return max(1, int(storage.retention_days * 1440))


class Analytics:
    def __init__(
        self,
        store: AlertingReader,
        config: Settings,
        clock: Callable[[], float],
        policy: HealthPolicy | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.policy = policy or HealthPolicy.from_settings(config.alerting)

    @property
    def max_minutes(self) -> int:
        return max_minutes(self.config.storage)

    def bucket_minutes(self, minutes: int) -> int:
        """Width of one bucket so that a range of `minutes` has at most analytics.max_buckets buckets."""
        return max(1, math.ceil(minutes / self.config.analytics.max_buckets))

    def now_minute(self) -> int:
        return int(self.clock() * 1000) // MINUTE_MS

    def last_minutes(self, minutes: int) -> Span:
        now = self.now_minute()
        return Span(now - minutes + 1, now, True)

    def between(self, first: int, last: int) -> Span:
        """An absolute range; a `last` in the future ends now. The caller checks first <= last and the length."""
        now = self.now_minute()
        return Span(first, min(last, now), last >= now)

    def time_series(self, minutes: int, service: str | None = None) -> list[dict[str, Any]]:
        """Per-bucket totals and errors for the last `minutes` minutes up to now, zero-filled, oldest first."""
        return self.series(self.last_minutes(minutes), service)

    def series(self, span: Span, service: str | None = None) -> list[dict[str, Any]]:
        """Buckets ending at span.last, zero-filled, oldest first, each keyed by its first minute; when the span is
        not a whole number of buckets, the first one starts at span.first and is narrower. The bucket holding the
        current minute is `partial` (still filling)."""
        width = self.bucket_minutes(span.minutes)
        count = math.ceil(span.minutes / width)
        first = span.last - count * width + 1
        totals = [0] * count
        errors = [0] * count
        for row in self.store.minute_counts(span.first, span.last, service):  # the first bucket may be narrower
            i = (row.minute - first) // width
            totals[i] += row.total
            errors[i] += row.errors
        now = self.now_minute()
        return [
            {
                "time": minute_key(max(first + i * width, span.first)),
                "total": totals[i],
                "errors": errors[i],
                "partial": first + i * width <= now <= first + (i + 1) * width - 1,
            }
            for i in range(count)
        ]

    def error_trends(self, series: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Error share per bucket, a number from 0 to 1 as the spec's clients expect (0.0 for an empty bucket: its
        `total` of 0 tells a chart to draw a gap, not 0%), and `uncertain` below the minimum entries."""
        least = self.config.analytics.error_rate_min_entries
        return [
            {
                "time": p["time"],
                "error_rate": round(p["errors"] / p["total"], 4) if p["total"] else 0.0,
                "total": p["total"],
                "uncertain": 0 < p["total"] < least,
            }
            for p in series
        ]

    def service_health(self, now_ms: int) -> dict[str, dict[str, Any]]:
        """healthy / degraded / down, by the one definition the alert rules use (health.py)."""
        policy = self.policy
        window = self.store.service_window(*policy.window(now_ms))
        health: dict[str, dict[str, Any]] = {}
        for info in self.store.services():
            total, errors = window.get(info.service, (0, 0))
            health[info.service] = {
                "status": policy.status(total, errors, now_ms - info.last_seen_ms),
                "last_seen": iso_from_ms(info.last_seen_ms),
                "log_count": info.log_count,
                "error_count": info.error_count,
                "error_rate": round(errors / total, 4) if total else 0.0,  # of recent_count: 0.0 when it is 0
                "recent_count": total,  # entries in the health window (settings.window_minutes)
                "_window_total": total,
            }
        return health

    def bounded_health(self, health: dict[str, dict[str, Any]], keep: str | None) -> dict[str, dict[str, Any]]:
        """At most analytics.max_health_services of `health`: down, then degraded, then healthy, the busiest of the
        last window first; `keep` (the filtered service) always stays. Keeps the dashboard payload bounded."""
        limit = self.config.analytics.max_health_services
        names = sorted(health, key=lambda n: (STATUS_ORDER.get(health[n]["status"], 3), -health[n]["_window_total"], n))
        chosen = set(names[:limit])
        if keep is not None and keep in health:
            chosen.add(keep)
        return {n: {k: v for k, v in health[n].items() if k != "_window_total"} for n in sorted(chosen)}

    def dashboard(self, minutes: int = 30, service: str | None = None, span: Span | None = None) -> dict[str, Any]:
        now_ms = int(self.clock() * 1000)
        span = span or self.last_minutes(minutes)
        top_n = self.config.analytics.top_n
        totals = self.store.totals()
        stored_span = self.store.minute_range()
        series = self.series(span, service)
        in_range = sum(p["total"] for p in series)
        errors_in_range = sum(p["errors"] for p in series)
        health = self.service_health(now_ms)
        shown = self.bounded_health(health, service)
        firing = [a.to_dict() for a in self.store.alerts("firing", limit=100)]
        resolved = [a.to_dict() for a in self.store.alerts("resolved", limit=10)]
        return {
            "summary": {
                "total_logs": totals.total_logs,
                "total_errors": totals.total_errors,
                "error_rate": round(totals.total_errors / totals.total_logs, 4) if totals.total_logs else 0.0,
                "active_services": len(health),
                "current_stored": totals.stored,
                "time_range": {
                    "first": minute_key(stored_span[0]) if stored_span else None,
                    "last": minute_key(stored_span[1]) if stored_span else None,
                },
                # what the cards show: the selected range (and service), by event time
                "range": {
                    "total": in_range,
                    "errors": errors_in_range,
                    "error_rate": round(errors_in_range / in_range, 4) if in_range else 0.0,
                    "service": service,
                },
            },
            "time_series": series,
            "error_trends": self.error_trends(series),
            "service_health": shown,
            "service_health_omitted": len(health) - len(shown),
            "most_active_services": [
                {"service": s, "count": n} for s, n in self.store.top_services(span.first, span.last, top_n)
            ],
            "user_activity": [
                {"user_id": u, "count": n} for u, n in self.store.top_users(span.first, span.last, top_n, service)
            ],
            "user_activity_approximate": True,  # each bucket keeps its biggest users only (README)
            "recent_logs": self.store.recent_logs(self.config.analytics.recent_logs, service),
            "active_alerts": firing,
            "resolved_alerts": resolved,
            "validation_stats": self.store.validation_stats(),
            "window": {
                "minutes": span.minutes,
                "from": minute_key(span.first),
                "to": minute_key(span.last),
                "live": span.live,
                "bucket_minutes": self.bucket_minutes(span.minutes),
                "service": service,
                "generated_at": iso_from_ms(now_ms),
            },
            "settings": {
                "error_rate_threshold": self.policy.error_rate_threshold,
                "error_rate_min_entries": self.config.analytics.error_rate_min_entries,
                "min_events": self.policy.min_events,
                "window_minutes": self.policy.window_minutes,
                "refresh_seconds": self.config.dashboard.refresh_seconds,
            },
        }
