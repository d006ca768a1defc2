"""Dashboard payload, time series, service health and top users, all computed from the store's rollups."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from .model import MINUTE_MS, iso_from_ms, minute_key
from .store import Store

STATUS_ORDER = {"down": 0, "degraded": 1, "healthy": 2}


class Analytics:
    def __init__(self, store: Store, config: Mapping[str, Mapping[str, Any]], clock: Callable[[], float]) -> None:
        self.store = store
        self.config = config
        self.clock = clock

    @property
    def max_minutes(self) -> int:
        return max(1, int(self.config["storage"]["retention_days"] * 1440))

    def bucket_minutes(self, minutes: int) -> int:
        """Width of one bucket so that a range of `minutes` has at most analytics.max_buckets buckets."""
        return max(1, math.ceil(minutes / int(self.config["analytics"]["max_buckets"])))

    def time_series(self, minutes: int, service: str | None = None) -> list[dict[str, Any]]:
        """Per-bucket totals and errors for the last `minutes` minutes up to now, zero-filled, oldest first."""
        now_minute = int(self.clock() * 1000) // MINUTE_MS
        width = self.bucket_minutes(minutes)
        count = math.ceil(minutes / width)
        first = now_minute - count * width + 1
        totals = [0] * count
        errors = [0] * count
        for row in self.store.minute_counts(first, now_minute, service):
            i = (row.minute - first) // width
            totals[i] += row.total
            errors[i] += row.errors
        return [{"time": minute_key(first + i * width), "total": totals[i], "errors": errors[i]} for i in range(count)]

    @staticmethod
    def error_trends(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"time": p["time"], "error_rate": round(p["errors"] / p["total"], 4) if p["total"] else 0.0} for p in series
        ]

    def service_health(self, now_ms: int) -> dict[str, dict[str, Any]]:
        """healthy / degraded (error rate over threshold in the alert window) / down (silent too long), for every
        tracked service (at most ingest.max_services)."""
        alerting = self.config["alerting"]
        now_minute = now_ms // MINUTE_MS
        window = self.store.service_window(now_minute - alerting["window_minutes"] + 1, now_minute)
        down_ms = alerting["service_down_minutes"] * MINUTE_MS
        health: dict[str, dict[str, Any]] = {}
        for info in self.store.services():
            total, errors = window.get(info.service, (0, 0))
            rate = errors / total if total else 0.0
            if now_ms - info.last_seen_ms > down_ms:
                status = "down"
            elif total and rate > alerting["error_rate_threshold"]:
                status = "degraded"
            else:
                status = "healthy"
            health[info.service] = {
                "status": status,
                "last_seen": iso_from_ms(info.last_seen_ms),
                "log_count": info.log_count,
                "error_count": info.error_count,
                "error_rate": round(rate, 4),
                "_window_total": total,
            }
        return health

    def bounded_health(self, health: dict[str, dict[str, Any]], keep: str | None) -> dict[str, dict[str, Any]]:
        """At most analytics.max_health_services of `health`: down, then degraded, then healthy, the busiest of the
        last window first; `keep` (the filtered service) always stays. Keeps the dashboard payload bounded."""
        limit = int(self.config["analytics"]["max_health_services"])
        names = sorted(health, key=lambda n: (STATUS_ORDER.get(health[n]["status"], 3), -health[n]["_window_total"], n))
        chosen = set(names[:limit])
        if keep is not None and keep in health:
            chosen.add(keep)
        return {n: {k: v for k, v in health[n].items() if k != "_window_total"} for n in sorted(chosen)}

    def dashboard(self, minutes: int = 30, service: str | None = None) -> dict[str, Any]:
        now_ms = int(self.clock() * 1000)
        now_minute = now_ms // MINUTE_MS
        first_minute = now_minute - minutes + 1
        top_n = self.config["analytics"]["top_n"]
        totals = self.store.totals()
        span = self.store.minute_range()
        series = self.time_series(minutes, service)
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
                    "first": minute_key(span[0]) if span else None,
                    "last": minute_key(span[1]) if span else None,
                },
            },
            "time_series": series,
            "error_trends": self.error_trends(series),
            "service_health": shown,
            "service_health_omitted": len(health) - len(shown),
            "most_active_services": [
                {"service": s, "count": n} for s, n in self.store.top_services(first_minute, now_minute, top_n)
            ],
            "user_activity": [
                {"user_id": u, "count": n} for u, n in self.store.top_users(first_minute, now_minute, top_n, service)
            ],
            "recent_logs": self.store.recent_logs(self.config["analytics"]["recent_logs"], service),
            "active_alerts": firing,
            "resolved_alerts": resolved,
            "validation_stats": self.store.validation_stats(),
            "window": {
                "minutes": minutes,
                "bucket_minutes": self.bucket_minutes(minutes),
                "service": service,
                "generated_at": iso_from_ms(now_ms),
            },
            "settings": {
                "error_rate_threshold": self.config["alerting"]["error_rate_threshold"],
                "refresh_seconds": self.config["dashboard"]["refresh_seconds"],
            },
        }
