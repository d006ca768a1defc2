"""What the rule engine tells about its rules: each rule's last evaluation (GET /api/alert-rules) and the
/metrics counters of evaluations, skipped ticks and evaluation time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

EVAL_SECONDS_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class RuleStatus:
    """What GET /api/alert-rules shows of a rule's last evaluation."""

    state: str = "ok"  # ok, pending, firing (the worst of its groups), or error
    value: float | None = None  # the ungrouped rule's value
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # group -> {state, value}
    evaluated_ms: int | None = None
    took_ms: float | None = None
    error: str | None = None
    folded: int = 0  # groups past max_groups_per_rule, not evaluated
    skipped: int = 0  # ticks skipped because an evaluation ran past the next one


class RuleMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.evaluations = Counter(
            "loglens_alert_rule_evaluations",
            "Query rule evaluations, by rule and outcome (ok, timeout, error)",
            ["rule", "outcome"],
            registry=registry,
        )
        self.skipped = Counter(
            "loglens_alert_rule_skipped",
            "Evaluations of a query rule skipped because the one before ran past their time",
            ["rule"],
            registry=registry,
        )
        self.seconds = Histogram(
            "loglens_alert_rule_evaluation_seconds",
            "Time one query rule evaluation took",
            buckets=EVAL_SECONDS_BUCKETS,
            registry=registry,
        )
