"""Evaluates the query alert rules (config.yaml's and the API's) on their own schedules and stores their alerts.

`tick()` (run every second by jobs.py, on the elected node only) evaluates each rule whose `every` has come: one
aggregation (search/stats.py's `answer`, grouped by the rule's `by`, at most `max_groups_per_rule` groups) over
the last `window`, under the store's query deadline. The values go through the rule's state machine
(rule_state.py); fire and resolve become alert rows (store.fire_alert / resolve_alert, keyed by rule and group),
notifications go to the dispatcher with the rule's `notify` names. A rule slower than its `every` is not run again
meanwhile: the ticks it missed are skipped and counted (`loglens_alert_rule_skipped_total` on /metrics).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from jinja2.exceptions import SecurityError, TemplateError
from prometheus_client import CollectorRegistry, Counter, Histogram

from ..config import AlertingSettings, ConfigError
from ..search.stats import OTHER, Aggregator, StatsError, answer
from ..store.base import Alert, AlertRuleStore, AlertStore, Leadership, NewAlert, QueryTimeout, StoreError
from .rule_spec import BUILT_IN_NAMES, QueryRule, rule_from_body
from .rule_state import Event, RuleMachine

log = logging.getLogger(__name__)
RELOAD_SECONDS = 5.0  # how often the API's stored rules are read again (another process may have changed them)
EVAL_SECONDS_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RuleEngineStore(Aggregator, AlertStore, AlertRuleStore, Leadership, Protocol):
    """What the rule engine uses: aggregations, alert rows, the stored rules, leadership."""


class Notifier(Protocol):
    def submit(self, alert: dict[str, Any]) -> bool: ...


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


def group_name(by: Sequence[str], values: Sequence[Any]) -> str:
    return ",".join(f"{f}={'' if v is None else v}" for f, v in zip(by, values, strict=True))


def explore_url(rule: QueryRule, group_values: dict[str, Any]) -> str:
    """A path opening Explore on the rule's filter (narrowed to the group) over the rule's window."""
    parts = [rule.filter_text] if rule.filter_text else []
    for name, value in group_values.items():
        if value is not None:
            text = str(value).replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{name}:"{text}"')
    return "/explore?" + urlencode({"q": " ".join(parts), "from": rule.spec.window.strip()})


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


class QueryRuleEngine:
    def __init__(
        self,
        store: RuleEngineStore,
        config_rules: Sequence[QueryRule],
        settings: AlertingSettings,
        *,
        clock: Callable[[], float],
        max_buckets: int,
        notifier: Notifier | None = None,
        registry: CollectorRegistry | None = None,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.max_buckets = max_buckets
        self.notifier = notifier
        self.timer = timer
        self.metrics = RuleMetrics(registry if registry is not None else CollectorRegistry())
        self.config_rules = {r.name: r for r in config_rules}
        self.stored_rules: dict[str, QueryRule] = {}
        self.machines: dict[str, RuleMachine] = {}
        self.status: dict[str, RuleStatus] = {}
        self._bodies: dict[str, Any] = {}
        self._due: dict[str, int] = {}
        self._loaded_at: float | None = None
        self._lock = threading.Lock()  # one round at a time

    # -- the rule set ----------------------------------------------------------------------------------------------

    def rules(self) -> list[QueryRule]:
        return [*self.config_rules.values(), *(r for n, r in self.stored_rules.items() if n not in self.config_rules)]

    def rule(self, name: str) -> QueryRule | None:
        return self.config_rules.get(name) or self.stored_rules.get(name)

    def reload(self) -> None:
        """Read the API's rules from the store again; a rule whose body changed starts a new state machine."""
        found: dict[str, QueryRule] = {}
        for stored in self.store.alert_rules():
            if stored.name in self.config_rules:
                continue
            try:
                found[stored.name] = rule_from_body(stored.body)
            except ConfigError as exc:  # checked when saved; a newer LogLens's rule this one cannot read
                log.warning("alert rule %s stored in the store cannot be used: %s", stored.name, exc)
                continue
            if self._bodies.get(stored.name) != stored.body:
                self.machines.pop(stored.name, None)
                self._due.pop(stored.name, None)
            self._bodies[stored.name] = stored.body
        for gone in set(self.stored_rules) - set(found):
            self.machines.pop(gone, None)
            self.status.pop(gone, None)
            self._bodies.pop(gone, None)
        self.stored_rules = found
        self._loaded_at = self.clock()

    def machine(self, rule: QueryRule) -> RuleMachine:
        machine = self.machines.get(rule.name)
        if machine is None:
            machine = self.machines[rule.name] = RuleMachine(
                for_ms=rule.for_ms,
                repeat_ms=rule.repeat_ms,
                no_data=rule.spec.no_data,  # type: ignore[arg-type]
                flap_transitions=self.settings.flapping_transitions,
                flap_window_ms=int(self.settings.flapping_window_seconds * 1000),
            )
        return machine

    # -- the schedule ----------------------------------------------------------------------------------------------

    def tick(self) -> list[Alert]:
        """Evaluate every rule whose time has come (the job runs this every second); nothing off the leader."""
        if not self.store.is_leader():
            return []
        with self._lock:
            reloaded = self._loaded_at is None or self.clock() - self._loaded_at >= RELOAD_SECONDS
            if reloaded:
                self.reload()
            now_ms = int(self.clock() * 1000)
            rules = self.rules()
            due = [r for r in rules if self._due.setdefault(r.name, now_ms) <= now_ms]
            if not due and not reloaded:
                return []
            firing = self.firing_alerts()
            changed = self._resolve_orphans(firing, {r.name for r in rules}, now_ms) if reloaded else []
            for rule in due:
                changed += self._evaluate_due(rule, firing)
            return changed

    def _evaluate_due(self, rule: QueryRule, firing: dict[tuple[str, str], Alert]) -> list[Alert]:
        due_ms = self._due[rule.name]
        now_ms = int(self.clock() * 1000)
        changed = self.evaluate(rule, now_ms, firing)
        finished_ms = int(self.clock() * 1000)
        missed = max(0, (finished_ms - due_ms) // rule.every_ms)
        if missed:  # it ran past its next time(s): those are skipped, never queued
            self.metrics.skipped.labels(rule.name).inc(missed)
            self.status.setdefault(rule.name, RuleStatus()).skipped += missed
            log.warning("alert rule %s: evaluation took past %d of its ticks; skipped them", rule.name, missed)
        self._due[rule.name] = due_ms + (missed + 1) * rule.every_ms
        return changed

    def firing_alerts(self) -> dict[tuple[str, str], Alert]:
        return {
            (a.rule, a.group): a for a in self.store.alerts("firing", limit=100_000) if a.rule not in BUILT_IN_NAMES
        }

    def _resolve_orphans(self, firing: dict[tuple[str, str], Alert], names: set[str], now_ms: int) -> list[Alert]:
        """Firing alerts of a rule that no longer exists (deleted, or gone from config.yaml) resolve, saying so."""
        out: list[Alert] = []
        for (rule, _), alert in list(firing.items()):
            if rule not in names:
                done = self.store.resolve_alert(alert.id, now_ms, "resolved: the rule no longer exists")
                del firing[(rule, alert.group)]
                if done is not None:
                    out.append(done)
                    self._notify(done, None, repeat=False, flapping=False)
        return out

    # -- one evaluation --------------------------------------------------------------------------------------------

    def values(self, rule: QueryRule, now_ms: int) -> tuple[dict[str, float | None], dict[str, dict[str, Any]], int]:
        """The rule's value per group over [now - window, now): one aggregation. Returns the values, each group's
        field values, and how many groups were left out past max_groups_per_rule."""
        width = len(rule.by)
        result = answer(
            self.store,
            rule.pipeline,
            now_ms - rule.window_ms,
            now_ms,
            max_buckets=self.max_buckets,
            max_groups=self.settings.max_groups_per_rule,
        )
        values: dict[str, float | None] = {}
        fields: dict[str, dict[str, Any]] = {}
        for row in result.rows:
            if width and row[0] == OTHER and result.folded and row is result.rows[-1]:
                continue  # the folded groups: reported, not alerted on
            name = group_name(rule.by, row[:width])
            value = row[width]
            values[name] = None if value is None else float(value)
            fields[name] = dict(zip(rule.by, row[:width], strict=True))
        if not width and not values:
            values[""] = 0.0 if rule.agg.func in ("count", "count_distinct") else None
            fields[""] = {}
        return values, fields, result.folded

    def evaluate(self, rule: QueryRule, now_ms: int, firing: dict[tuple[str, str], Alert] | None = None) -> list[Alert]:
        """Evaluate one rule now: store its transitions and notify; a failure is logged and shown in its status."""
        status = self.status.setdefault(rule.name, RuleStatus())
        machine = self.machine(rule)
        firing = self.firing_alerts() if firing is None else firing
        self._reconcile(rule, machine, firing, now_ms)
        started = self.timer()
        try:
            values, fields, folded = self.values(rule, now_ms)
        except (QueryTimeout, StoreError, StatsError) as exc:
            outcome = "timeout" if isinstance(exc, QueryTimeout) else "error"
            self.metrics.evaluations.labels(rule.name, outcome).inc()
            status.state, status.error, status.evaluated_ms = "error", str(exc), now_ms
            status.took_ms = round((self.timer() - started) * 1000, 2)
            log.warning("alert rule %s: evaluation failed (%s): %s", rule.name, outcome, exc)
            return []
        took = self.timer() - started
        self.metrics.evaluations.labels(rule.name, "ok").inc()
        self.metrics.seconds.observe(took)
        events = machine.step(now_ms, values, rule.condition.holds)
        changed = [a for a in (self._apply(rule, machine, e, fields, firing, now_ms) for e in events) if a is not None]
        status.error, status.evaluated_ms, status.took_ms, status.folded = None, now_ms, round(took * 1000, 2), folded
        status.value = values.get("") if not rule.by else None
        status.groups = {
            name: {"state": machine.state_of(name), "value": values.get(name)}
            for name in sorted(set(values) | set(machine.groups))
        }
        states = {g["state"] for g in status.groups.values()}
        status.state = "firing" if "firing" in states else "pending" if "pending" in states else "ok"
        if folded:
            log.warning("alert rule %s: %d groups past alerting.max_groups_per_rule left out", rule.name, folded)
        return changed

    def _reconcile(
        self, rule: QueryRule, machine: RuleMachine, firing: dict[tuple[str, str], Alert], now_ms: int
    ) -> None:
        """Take the stored firing alerts as the truth: after a restart, a new leader, or a resolve elsewhere."""
        mine = {group: a for (name, group), a in firing.items() if name == rule.name}
        for group, g in list(machine.groups.items()):
            if g.state == "firing" and group not in mine:
                machine.forget_firing(group, now_ms)
        for group, alert in mine.items():
            machine.adopt(group, alert.id, alert.fired_at_ms, alert.value)

    def _apply(
        self,
        rule: QueryRule,
        machine: RuleMachine,
        event: Event,
        fields: dict[str, dict[str, Any]],
        firing: dict[tuple[str, str], Alert],
        now_ms: int,
    ) -> Alert | None:
        g = machine.groups.get(event.group)
        group_fields = fields.get(event.group) or _fields_of(event.group, rule.by)
        if event.kind == "fire":
            service = str(group_fields.get("service") or "")
            message = self.summary(rule, event, group_fields)
            value = 0.0 if event.value is None else event.value
            new = NewAlert(
                rule.name,
                service,
                rule.severity,
                message,
                value,
                rule.condition.threshold,
                event.group,
                dict(rule.spec.labels),
            )
            alert = self.store.fire_alert(new, now_ms, 0)
            if alert is None:  # already firing (another process): take that one
                current = firing.get((rule.name, event.group))
                if g is not None and current is not None:
                    g.alert_id = current.id
                return None
            firing[(rule.name, event.group)] = alert
            if g is not None:
                g.alert_id = alert.id
            if event.notify:
                self._notify(alert, rule, repeat=False, flapping=event.flapping)
            return alert
        alert_id = g.alert_id if g is not None else None
        if alert_id is None:
            current = firing.get((rule.name, event.group))
            alert_id = current.id if current is not None else None
        if alert_id is None:
            return None
        if event.kind == "resolve":
            shown = "no data" if event.value is None else f"{event.value:g}"
            reason = f"resolved: {rule.agg.name} is {shown}, no longer {rule.condition}"
            done = self.store.resolve_alert(alert_id, now_ms, reason)
            firing.pop((rule.name, event.group), None)
            if g is not None:
                g.alert_id = None
            if done is not None and event.notify:
                self._notify(done, rule, repeat=False, flapping=event.flapping)
            return done
        current_alert = self.store.alert(alert_id)  # repeat, or settled after flapping: tell the stored alert again
        if current_alert is not None:
            self._notify(current_alert, rule, repeat=event.kind == "repeat", flapping=False)
        return None

    def summary(self, rule: QueryRule, event: Event, group_fields: dict[str, Any]) -> str:
        value: float | int | None = event.value
        if value is not None and rule.agg.func in ("count", "count_distinct"):
            value = int(value)
        variables = {
            "value": value,
            "threshold": rule.condition.threshold,
            "condition": str(rule.condition),
            "group": event.group,
            "groups": group_fields,
            "labels": dict(rule.spec.labels),
            "window": rule.spec.window,
            "rule": rule.name,
            "severity": rule.severity,
            "explore_url": explore_url(rule, group_fields),
        }
        try:
            return str(rule.template.render(**variables))[:4000]
        except SecurityError as exc:
            log.warning("alert rule %s: summary template refused by the sandbox: %s", rule.name, exc)
            return f"{rule.name}: the summary template was refused ({exc}); value {event.value}"
        except (TemplateError, TypeError, ValueError) as exc:
            return f"{rule.name}: the summary template failed ({exc}); value {event.value}"

    def _notify(self, alert: Alert, rule: QueryRule | None, *, repeat: bool, flapping: bool) -> None:
        if self.notifier is None or (alert.state == "firing" and alert.acknowledged):
            return
        body = alert.to_dict()
        body["notify"] = list(rule.spec.notify) if rule is not None else []  # none: every handler
        body["repeat"] = repeat
        body["flapping"] = flapping
        self.notifier.submit(body)


def _fields_of(group: str, by: Sequence[str]) -> dict[str, Any]:
    """A group's field values back from its name (`service=a,level=ERROR`), for a group with no data now."""
    if not by or not group:
        return {}
    out: dict[str, Any] = {}
    rest = group
    for i, name in enumerate(by):
        rest = rest.removeprefix(f"{name}=")
        if i + 1 < len(by):
            value, _, rest = rest.partition(f",{by[i + 1]}=")
            rest = f"{by[i + 1]}={rest}"
        else:
            value = rest
        out[name] = value
    return out
