"""Evaluates the query alert rules (config.yaml's and the API's) on their own schedules and stores their alerts.

`tick()` (run every second by jobs.py, on the elected node only) evaluates each rule whose `every` has come: one
aggregation (search/stats.py's `answer`, grouped by the rule's `by`, at most `max_groups_per_rule` groups) over
the last `window`, under the store's query deadline. The values go through the rule's state machine
(rule_state.py); fire and resolve become alert rows (store.fire_alert / resolve_alert, keyed by rule and group)
with their outbox rows (the rule's `notify` names, else every notifier); repeats queue the alert again
(store.renotify). A rule slower than its `every` is not run again meanwhile: the ticks it missed are skipped and
counted (`loglens_alert_rule_skipped_total` on /metrics). A rule on a saved search reads the saved search's current
query at each evaluation (rule_spec.resolve); a missing one is the rule's error, every evaluation, until it exists.
The tick also runs the built-in rules' periodic evaluation every `alerting.check_interval_seconds` (builtin.py);
they evaluate on ingest too (engine.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from prometheus_client import CollectorRegistry

from ..config import AlertingSettings, AlertRuleSpec, ConfigError
from ..search.saved import SavedSearchHolder
from ..search.stats import OTHER, Aggregator, StatsError, answer
from ..store.base import Alert, AlertRuleStore, AlertStore, Leadership, NewAlert, QueryTimeout, StoreError
from .builtin import BuiltinRules
from .rule_message import fields_of, group_name, summary
from .rule_spec import BUILT_IN_NAMES, QueryRule, RuleError, resolve, rule_from_body, spec_body
from .rule_state import Event, RuleMachine
from .rule_status import RuleMetrics, RuleStatus

log = logging.getLogger(__name__)
RELOAD_SECONDS = 5.0  # how often the API's stored rules are read again (another process may have changed them)


class RuleEngineStore(Aggregator, AlertStore, AlertRuleStore, Leadership, SavedSearchHolder, Protocol):
    """What the rule engine uses: aggregations, alert rows, the stored rules, leadership, the saved searches (rules
    may name one), and the outbox's repeat."""

    def renotify(self, alert: Alert, notifiers: Sequence[str], now_ms: int, event: str = "repeat") -> int: ...


class QueryRuleEngine:
    def __init__(
        self,
        store: RuleEngineStore,
        config_rules: Sequence[QueryRule],
        settings: AlertingSettings,
        *,
        clock: Callable[[], float],
        max_buckets: int,
        notify: Sequence[str] = (),
        wake: Callable[[], None] = lambda: None,
        registry: CollectorRegistry | None = None,
        timer: Callable[[], float] = time.perf_counter,
        repeats: Callable[[], bool] = lambda: True,
        builtin: BuiltinRules | None = None,
    ) -> None:
        """`repeats`: whether this process sends repeat notifications (rule_lease.py: one worker of a store);
        `builtin`: the built-in rules, evaluated on the tick when due."""
        self.store = store
        self.settings = settings
        self.clock = clock
        self.max_buckets = max_buckets
        self.notify = tuple(notify)  # every notifier: where a rule naming none is told (outbox rows)
        self.wake = wake  # the delivery loop, once rows are queued
        self.timer = timer
        self.repeats = repeats
        self.builtin = builtin
        self.metrics = RuleMetrics(registry if registry is not None else CollectorRegistry())
        self.config_rules = {r.name: r for r in config_rules}
        self.stored_rules: dict[str, QueryRule] = {}
        self.machines: dict[str, RuleMachine] = {}
        self.status: dict[str, RuleStatus] = {}
        self._specs: dict[str, AlertRuleSpec] = {}  # the definition each state machine was made for
        self._due: dict[str, int] = {}
        self._loaded_at: float | None = None
        self._lock = threading.Lock()  # one round at a time

    # -- the rule set ----------------------------------------------------------------------------------------------

    def rules(self) -> list[QueryRule]:
        return [*self.config_rules.values(), *(r for n, r in self.stored_rules.items() if n not in self.config_rules)]

    def rule(self, name: str) -> QueryRule | None:
        return self.config_rules.get(name) or self.stored_rules.get(name)

    def reload(self) -> None:
        """Read the API's rules from the store again. Safe beside a running tick: it only swaps the map; the tick
        starts a new state machine for a rule whose definition changed and drops those of rules gone."""
        previous = self.stored_rules
        found: dict[str, QueryRule] = {}
        for stored in self.store.alert_rules():
            if stored.name in self.config_rules:
                continue
            old = previous.get(stored.name)
            if old is not None and spec_body(old.spec) == stored.body:
                found[stored.name] = old
                continue
            try:
                found[stored.name] = rule_from_body(stored.body)
            except ConfigError as exc:  # checked when saved; a newer LogLens's rule this one cannot read
                log.warning("alert rule %s stored in the store cannot be used: %s", stored.name, exc)
        self.stored_rules = found
        self._loaded_at = self.clock()

    def machine(self, rule: QueryRule) -> RuleMachine:
        """The rule's state machine; a new one when the rule's definition changed (its firing alerts are adopted
        from the store again, its pending groups start over)."""
        machine = self.machines.get(rule.name)
        if machine is None or self._specs.get(rule.name) != rule.spec:
            machine = self.machines[rule.name] = RuleMachine(
                for_ms=rule.for_ms,
                repeat_ms=rule.repeat_ms,
                no_data=rule.spec.no_data,  # type: ignore[arg-type]
                flap_transitions=self.settings.flapping_transitions,
                flap_window_ms=int(self.settings.flapping_window_seconds * 1000),
            )
            self._specs[rule.name] = rule.spec
        return machine

    def _forget_gone(self, names: set[str]) -> None:
        for table in (self.machines, self.status, self._specs, self._due):
            for name in set(table) - names:
                del table[name]

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
            changed = self._tick_builtin(now_ms)
            rules = self.rules()
            self._forget_gone({r.name for r in rules})
            for rule in rules:
                if self._specs.get(rule.name, rule.spec) != rule.spec:
                    self._due.pop(rule.name, None)  # changed: evaluated now, then on its (new) every
            due = [r for r in rules if self._due.setdefault(r.name, now_ms) <= now_ms]
            if not due and not reloaded:
                return changed
            firing = self.firing_alerts()
            if reloaded:
                changed += self._resolve_orphans(firing, {r.name for r in rules}, now_ms)
            for rule in due:
                changed += self._evaluate_due(rule, firing)
            return changed

    def _tick_builtin(self, now_ms: int) -> list[Alert]:
        if self.builtin is None:
            return []
        try:
            return self.builtin.tick(now_ms)
        except Exception:  # as the scheduler job did: logged, and the query rules still run
            log.exception("the built-in rules' evaluation failed")
            return []

    def _evaluate_due(self, rule: QueryRule, firing: dict[tuple[str, str], Alert]) -> list[Alert]:
        due_ms = self._due[rule.name]
        now_ms = int(self.clock() * 1000)
        try:
            changed = self.evaluate(rule, now_ms, firing)
        except StoreError as exc:  # storing a transition failed: the next evaluation finds the store as it is
            log.warning("alert rule %s: storing its alerts failed: %s", rule.name, exc)
            self.status.setdefault(rule.name, RuleStatus()).error = f"storing its alerts failed: {exc}"
            changed = []
        finished_ms = int(self.clock() * 1000)
        missed = max(0, (finished_ms - due_ms) // rule.every_ms)
        if missed:  # it ran past its next time(s): those are skipped, never queued
            self.metrics.skipped.labels(rule.name).inc(missed)
            self.status.setdefault(rule.name, RuleStatus()).skipped += missed
            log.warning(
                "alert rule %s: %d of its evaluations were due before this one ended (late by %.1f s); skipped them",
                rule.name,
                missed,
                (finished_ms - due_ms) / 1000,
            )
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
                done = self.store.resolve_alert(
                    alert.id, now_ms, "resolved: the rule no longer exists", notify=self.notify
                )
                del firing[(rule, alert.group)]
                if done is not None:
                    out.append(done)
                    self.wake()
        return out

    # -- one evaluation --------------------------------------------------------------------------------------------

    def resolved(self, rule: QueryRule) -> QueryRule:
        """The rule with the query it evaluates now: its own, or its saved search's current one (RuleError when
        the saved search does not exist or its query is not a rule's)."""
        where = f"alerting.rules[{rule.name}]" if rule.source == "config" else f"rule[{rule.name}]"
        return resolve(rule, self.store.saved_searches, where)

    def values(self, rule: QueryRule, now_ms: int) -> tuple[dict[str, float | None], dict[str, dict[str, Any]], int]:
        """The rule's value per group over [now - window, now): one aggregation. Returns the values, each group's
        field values, and how many groups were left out past max_groups_per_rule."""
        if not rule.resolved:
            raise RuleError(f"alert rule {rule.name}: its saved search {rule.saved_search!r} was not read")
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
            rule = self.resolved(rule)  # a saved search's current query (the state machine stays the rule's)
            values, fields, folded = self.values(rule, now_ms)
        except Exception as exc:  # a failing rule is reported and waits for its next time; the others go on
            outcome = "timeout" if isinstance(exc, QueryTimeout) else "error"
            self.metrics.evaluations.labels(rule.name, outcome).inc()
            status.state, status.error, status.evaluated_ms = "error", str(exc), now_ms
            status.took_ms = round((self.timer() - started) * 1000, 2)
            if isinstance(exc, StoreError | StatsError | RuleError):
                log.warning("alert rule %s: evaluation failed (%s): %s", rule.name, outcome, exc)
            else:
                log.exception("alert rule %s: evaluation failed", rule.name)
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
        group_fields = fields.get(event.group) or fields_of(event.group, rule.by)
        if event.kind == "fire":
            service = str(group_fields.get("service") or "")
            message = summary(rule, event.group, event.value, group_fields)
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
                tuple(rule.spec.notify),
            )
            alert = self.store.fire_alert(new, now_ms, 0, notify=self._names(rule) if event.notify else ())
            if alert is None:  # already firing (another process): take that one
                current = firing.get((rule.name, event.group))
                if g is not None and current is not None:
                    g.alert_id = current.id
                return None
            firing[(rule.name, event.group)] = alert
            if g is not None:
                g.alert_id = alert.id
            if event.notify:
                self.wake()
            return alert
        alert_id = g.alert_id if g is not None else event.alert_id
        if alert_id is None:
            current = firing.get((rule.name, event.group))
            alert_id = current.id if current is not None else None
        if alert_id is None:
            return None
        if event.kind == "resolve":
            shown = "no data" if event.value is None else f"{event.value:g}"
            reason = f"resolved: {rule.agg.name} is {shown}, no longer {rule.condition}"
            done = self.store.resolve_alert(alert_id, now_ms, reason, notify=self._names(rule) if event.notify else ())
            firing.pop((rule.name, event.group), None)  # the group keeps the id: a later "settled" tells this one
            if done is not None and event.notify:
                self.wake()
            return done
        if not self.repeats():  # another worker of this store tells it
            return None
        current_alert = self.store.alert(alert_id)  # repeat, or settled after flapping: tell the stored alert again
        if current_alert is not None and not (current_alert.state == "firing" and current_alert.acknowledged):
            told = "repeat" if event.kind == "repeat" or current_alert.state == "firing" else "resolved"
            if self.store.renotify(current_alert, self._names(rule), now_ms, told):
                self.wake()
        return None

    def _names(self, rule: QueryRule) -> tuple[str, ...]:
        """The notifiers a rule's transitions go to: those it names (`notify`), else every one."""
        return tuple(rule.spec.notify) or self.notify
