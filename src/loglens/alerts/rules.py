"""The three alert rules. Each looks at the store and says, per service, whether its condition holds now."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ..model import MINUTE_MS
from ..store import AggregateReader, NewAlert

CRITICAL, WARNING = "CRITICAL", "WARNING"


class Rule(Protocol):
    @property
    def name(self) -> str: ...

    def evaluate(
        self, store: AggregateReader, services: Iterable[str] | None, now_ms: int
    ) -> dict[str, NewAlert | None]:
        """For each service in scope (all known services when None): a finding if the condition holds, else None."""
        ...


@dataclass(frozen=True)
class ErrorRateRule:
    threshold: float
    window_minutes: int
    min_events: int
    name: str = "error_rate"

    def evaluate(
        self, store: AggregateReader, services: Iterable[str] | None, now_ms: int
    ) -> dict[str, NewAlert | None]:
        now_minute = now_ms // MINUTE_MS
        counts = store.service_window(now_minute - self.window_minutes + 1, now_minute)
        scope = set(counts) if services is None else set(services)
        if services is None:
            scope |= {s.service for s in store.services()}
        out: dict[str, NewAlert | None] = {}
        for service in scope:
            total, errors = counts.get(service, (0, 0))
            rate = errors / total if total else 0.0
            if total >= self.min_events and rate > self.threshold:
                out[service] = NewAlert(
                    self.name,
                    service,
                    CRITICAL,
                    f"Error rate for {service} is {rate:.1%} ({errors}/{total} in the last "
                    f"{self.window_minutes} min), above {self.threshold:.1%}",
                    round(rate, 4),
                    self.threshold,
                )
            else:
                out[service] = None
        return out


@dataclass(frozen=True)
class HighVolumeRule:
    threshold: int
    name: str = "high_volume"

    def evaluate(
        self, store: AggregateReader, services: Iterable[str] | None, now_ms: int
    ) -> dict[str, NewAlert | None]:
        now_minute = now_ms // MINUTE_MS
        counts = store.service_window(now_minute, now_minute)
        scope = set(counts) if services is None else set(services)
        if services is None:
            scope |= {s.service for s in store.services()}
        out: dict[str, NewAlert | None] = {}
        for service in scope:
            total = counts.get(service, (0, 0))[0]
            out[service] = (
                NewAlert(
                    self.name,
                    service,
                    WARNING,
                    f"High volume from {service}: {total} logs this minute, above {self.threshold}",
                    float(total),
                    float(self.threshold),
                )
                if total > self.threshold
                else None
            )
        return out


@dataclass(frozen=True)
class ServiceDownRule:
    minutes: float
    name: str = "service_down"

    def evaluate(
        self, store: AggregateReader, services: Iterable[str] | None, now_ms: int
    ) -> dict[str, NewAlert | None]:
        wanted = None if services is None else set(services)
        out: dict[str, NewAlert | None] = {}
        for info in store.services():
            if wanted is not None and info.service not in wanted:
                continue
            silent_ms = now_ms - info.last_seen_ms
            out[info.service] = (
                NewAlert(
                    self.name,
                    info.service,
                    CRITICAL,
                    f"{info.service} has sent no logs for {silent_ms / MINUTE_MS:.1f} min (limit {self.minutes:g} min)",
                    round(silent_ms / MINUTE_MS, 2),
                    self.minutes,
                )
                if silent_ms > self.minutes * MINUTE_MS
                else None
            )
        return out
