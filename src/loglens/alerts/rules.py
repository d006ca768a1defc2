"""The three built-in alert rules. Each looks at the store and says, per service, its value now and whether its
condition holds (`measure`).

The rule engine (query_engine.py) runs them on its tick through the AlertEngine (engine.py) and lists them
(builtin.py), but they are not query rules of that engine because none of them is a windowed aggregation of
matching entries: `error_rate` is the dashboard's health definition (a share with a
minimum number of entries, from the rollups), `high_volume` counts the current calendar minute, `service_down`
reads each known service's arrival time (a service with no entries at all still counts); and they fire on ingest
with a cooldown. Their alerts are rows of the same table (group "")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ..health import HealthPolicy
from ..model import MINUTE_MS
from ..store import NewAlert, ServiceCounts

CRITICAL, WARNING = "CRITICAL", "WARNING"
Measured = dict[str, tuple[float | None, NewAlert | None]]  # service -> (the rule's value, the finding or None)


class Rule(Protocol):
    @property
    def name(self) -> str: ...

    def measure(self, store: ServiceCounts, services: Iterable[str] | None, now_ms: int) -> Measured:
        """For each service in scope (all known services when None): the rule's value (None when it has none) and a
        finding if the condition holds, else None."""
        ...

    def cleared(self, store: ServiceCounts, service: str, now_ms: int) -> str:
        """Why the condition no longer holds for `service`, in words (the resolved alert says this)."""
        ...


@dataclass(frozen=True)
class ErrorRateRule:
    """Fires while a service is "degraded" in the one definition the dashboard uses too (health.py)."""

    policy: HealthPolicy
    name: str = "error_rate"

    def measure(self, store: ServiceCounts, services: Iterable[str] | None, now_ms: int) -> Measured:
        """The error share per service (None without entries in the window)."""
        policy = self.policy
        counts = store.service_window(*policy.window(now_ms))
        scope = set(counts) if services is None else set(services)
        if services is None:
            scope |= {s.service for s in store.services()}
        out: Measured = {}
        for service in scope:
            total, errors = counts.get(service, (0, 0))
            share = round(errors / total, 4) if total else None
            if policy.degraded(total, errors):
                rate = errors / total
                out[service] = (
                    share,
                    NewAlert(
                        self.name,
                        service,
                        CRITICAL,
                        f"Error rate for {service} is {rate:.1%} ({errors}/{total} in the last "
                        f"{policy.window_minutes} min), above {policy.error_rate_threshold:.1%}",
                        round(rate, 4),
                        policy.error_rate_threshold,
                    ),
                )
            else:
                out[service] = share, None
        return out

    def cleared(self, store: ServiceCounts, service: str, now_ms: int) -> str:
        policy = self.policy
        total, errors = store.service_window(*policy.window(now_ms)).get(service, (0, 0))
        limit = f"{policy.error_rate_threshold:.1%}"
        if total == 0:
            return f"resolved: no entries from {service} in the last {policy.window_minutes} min"
        rate = errors / total
        if total < policy.min_events and rate > policy.error_rate_threshold:
            return (
                f"resolved: only {total} entries from {service} in the last {policy.window_minutes} min "
                f"(fewer than {policy.min_events} to judge the error rate)"
            )
        return (
            f"resolved: error rate for {service} back to {rate:.1%} ({errors}/{total} in the last "
            f"{policy.window_minutes} min), under {limit}"
        )


@dataclass(frozen=True)
class HighVolumeRule:
    threshold: int
    name: str = "high_volume"

    def measure(self, store: ServiceCounts, services: Iterable[str] | None, now_ms: int) -> Measured:
        """The entries per service in the current minute."""
        now_minute = now_ms // MINUTE_MS
        counts = store.service_window(now_minute, now_minute)
        scope = set(counts) if services is None else set(services)
        if services is None:
            scope |= {s.service for s in store.services()}
        out: Measured = {}
        for service in scope:
            total = counts.get(service, (0, 0))[0]
            finding = None
            if total > self.threshold:
                message = f"High volume from {service}: {total} logs this minute, above {self.threshold}"
                finding = NewAlert(self.name, service, WARNING, message, float(total), float(self.threshold))
            out[service] = float(total), finding
        return out

    def cleared(self, store: ServiceCounts, service: str, now_ms: int) -> str:
        now_minute = now_ms // MINUTE_MS
        total = store.service_window(now_minute, now_minute).get(service, (0, 0))[0]
        return f"resolved: volume from {service} back to {total} logs this minute, at or under {self.threshold}"


@dataclass(frozen=True)
class ServiceDownRule:
    minutes: float
    name: str = "service_down"

    def measure(self, store: ServiceCounts, services: Iterable[str] | None, now_ms: int) -> Measured:
        """The minutes since each known service's last entry arrived."""
        wanted = None if services is None else set(services)
        out: Measured = {}
        for info in store.services():
            if wanted is not None and info.service not in wanted:
                continue
            silent_ms = now_ms - info.last_seen_ms
            minutes = round(silent_ms / MINUTE_MS, 2)
            finding = None
            if silent_ms > self.minutes * MINUTE_MS:
                message = (
                    f"{info.service} has sent no logs for {silent_ms / MINUTE_MS:.1f} min (limit {self.minutes:g} min)"
                )
                finding = NewAlert(self.name, info.service, CRITICAL, message, minutes, self.minutes)
            out[info.service] = max(0.0, minutes), finding
        return out

    def cleared(self, store: ServiceCounts, service: str, now_ms: int) -> str:
        for info in store.services():
            if info.service == service:
                ago = max(0, now_ms - info.last_seen_ms) / MINUTE_MS
                return f"resolved: {service} is sending logs again (last entry {ago:.1f} min ago)"
        return f"resolved: {service} is sending logs again"
