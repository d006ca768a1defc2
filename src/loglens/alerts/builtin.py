"""The spec's three rules (rules.py) as rules of the rule engine: their definitions as GET /api/alert-rules shows
them (derived from config.yaml's `alerting` keys, read-only) and their periodic evaluation on the engine's tick.

The AlertEngine (engine.py) keeps evaluating them: on ingest for the services that sent entries (IngestChecks),
and every `alerting.check_interval_seconds` for every known service when the query rule engine's tick
(query_engine.py) finds it due. It records each rule's status (rule_status.RuleStatus, one group per service).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from ..config import AlertingSettings
from ..store.base import Alert
from .engine import AlertEngine
from .rules import CRITICAL, WARNING

SOURCE = "built-in"
INTERVAL_KEY = "alerting.check_interval_seconds"
COOLDOWN_KEY = "alerting.cooldown_seconds"


def _duration(seconds: float) -> str:
    """Seconds as the rule durations are written (30s, 5m, 1.5h)."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


@dataclass(frozen=True)
class BuiltinRule:
    """A built-in rule's definition: what it measures, its condition and the config keys that set them."""

    name: str
    query: str | None  # the entries it counts, in the query language; None when no query says it
    description: str
    summary: str  # the alert's message, as the rules write it
    unit: str  # what its value is: share, entries, minutes
    condition: str
    window: str | None
    every: str
    severity: str
    cooldown_seconds: float
    config_keys: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The definition as the API shows it: the query rules' keys (read-only), plus what only a built-in has."""
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "config_keys"}
        return {**shown, **fixed_keys(), "config_keys": dict(self.config_keys)}


def fixed_keys() -> dict[str, Any]:
    """The query rules' keys that are the same for every built-in rule (a fresh copy: callers may change it)."""
    return {
        "for": "0s",
        "labels": {},
        "no_data": "ok",
        "repeat_interval": "0s",
        "notify": [],
        "by": ["service"],
        "on_ingest": True,
    }


def builtin_rules(alerting: AlertingSettings) -> list[BuiltinRule]:
    """The three rules as `alerting` configures them."""
    every = _duration(alerting.check_interval_seconds)
    cooldown = alerting.cooldown_seconds
    common = {"every": INTERVAL_KEY, "cooldown_seconds": COOLDOWN_KEY}
    return [
        BuiltinRule(
            "error_rate",
            "level>=ERROR",
            f"The share of a service's entries at level>=ERROR over the last {alerting.window_minutes} min (event "
            f"time, whole minutes), once it has at least {alerting.min_events} entries in that window: the "
            "dashboard's 'degraded'",
            f"Error rate for <service> is <share> (<errors>/<entries> in the last {alerting.window_minutes} min), "
            f"above {alerting.error_rate_threshold:.1%}",
            "share",
            f"> {alerting.error_rate_threshold:g}",
            f"{alerting.window_minutes}m",
            every,
            CRITICAL,
            cooldown,
            {
                "condition": "alerting.error_rate_threshold",
                "window": "alerting.window_minutes",
                "min_events": "alerting.min_events",
                **common,
            },
        ),
        BuiltinRule(
            "high_volume",
            "| stats count() by service",
            "The entries a service sent in the current minute (event time)",
            f"High volume from <service>: <entries> logs this minute, above {alerting.high_volume_threshold}",
            "entries",
            f"> {alerting.high_volume_threshold}",
            "1m",
            every,
            WARNING,
            cooldown,
            {"condition": "alerting.high_volume_threshold", **common},
        ),
        BuiltinRule(
            "service_down",
            None,
            "The minutes since a known service's last entry arrived (also one with no entry in any window)",
            f"<service> has sent no logs for <minutes> min (limit {alerting.service_down_minutes:g} min)",
            "minutes",
            f"> {alerting.service_down_minutes:g}",
            None,
            every,
            CRITICAL,
            cooldown,
            {"condition": "alerting.service_down_minutes", **common},
        ),
    ]


class BuiltinRules:
    """The built-in rules for the rule engine: their definitions, and their periodic evaluation when due."""

    def __init__(self, engine: AlertEngine, alerting: AlertingSettings, clock: Callable[[], float]) -> None:
        self.engine = engine
        self.definitions = {r.name: r for r in builtin_rules(alerting)}
        self.every_ms = int(alerting.check_interval_seconds * 1000)
        self.clock = clock
        # the first periodic evaluation one interval after start, as the scheduler job that ran it before did
        self._due_ms = int(clock() * 1000) + self.every_ms

    def definition(self, name: str) -> BuiltinRule | None:
        return self.definitions.get(name)

    def tick(self, now_ms: int) -> list[Alert]:
        """Evaluate every built-in rule for every service (retiring long-silent ones first) if its time has come.
        A run that ended past its next time(s) skips them, as a query rule does."""
        if now_ms < self._due_ms:
            return []
        changed = self.engine.check_all()
        finished_ms = int(self.clock() * 1000)
        self._due_ms += self.every_ms * (1 + max(0, (finished_ms - self._due_ms) // self.every_ms))
        return changed
