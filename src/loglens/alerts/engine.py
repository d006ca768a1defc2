"""Turns rule findings into alert transitions (firing ─► resolved) stored as rows, and tells the notifiers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from ..health import HealthPolicy
from ..store import Alert, AlertStore, ServiceCounts, ServiceRetirement
from .rule_status import RuleStatus
from .rules import Measured, Rule

log = logging.getLogger(__name__)


class EngineStore(ServiceCounts, AlertStore, ServiceRetirement, Protocol):
    """The engine reads aggregates, keeps alert rows, and retires silent services (forget_service)."""


class AlertEngine:
    def __init__(
        self,
        store: EngineStore,
        rules: Sequence[Rule],
        *,
        cooldown_seconds: float,
        clock: Callable[[], float],
        notify: Sequence[str] = (),
        wake: Callable[[], None] = lambda: None,
        is_leader: Callable[[], bool] = lambda: True,
        policy: HealthPolicy | None = None,
    ) -> None:
        self.store = store
        self.rules = list(rules)
        self.cooldown_ms = int(cooldown_seconds * 1000)
        self.clock = clock
        self.notify = tuple(notify)  # every notifier: a rule naming none is delivered to all (outbox rows)
        self.wake = wake  # tells the delivery loop (alerts/delivery.py) that rows were queued
        self.is_leader = is_leader  # on a shared store, only the elected node evaluates (one notification each)
        self.policy = policy  # when given, check_all retires services silent for policy.forget_hours
        self.timer: Callable[[], float] = time.perf_counter
        # each rule's last evaluation, as GET /api/alert-rules shows it: one group per service (`service=<name>`)
        self.status: dict[str, RuleStatus] = {}
        self._lock = threading.Lock()  # one evaluation at a time per process; the store arbitrates between processes

    def on_ingest(self, services: Iterable[str]) -> list[Alert]:
        """Evaluate every rule for the services that just sent entries."""
        return self._evaluate(set(services))

    def check_all(self) -> list[Alert]:
        """Retire long-silent services, then evaluate every rule for every known service (the periodic job)."""
        return self._evaluate(None)

    def _retire(self, now_ms: int) -> list[Alert]:
        """Services silent for forget_hours leave the store's service list; their firing alerts resolve, saying why."""
        if self.policy is None:
            return []
        resolved: list[Alert] = []
        policy = self.policy
        for info in self.store.services():
            silent_ms = now_ms - info.last_seen_ms
            if not policy.forgotten(silent_ms) or not self.store.forget_service(info.service, info.last_seen_ms + 1):
                continue
            reason = f"service retired: silent for {silent_ms / 3_600_000:.1f} h (limit {policy.forget_hours:g} h)"
            for alert in self.store.alerts("firing", limit=100_000):
                if alert.service == info.service:
                    done = self.store.resolve_alert(alert.id, now_ms, reason, notify=self._notify(alert.rule))
                    if done is not None:
                        resolved.append(done)
            log.info("%s", f"{info.service}: {reason}")
        return resolved

    def _evaluate(self, services: set[str] | None) -> list[Alert]:
        changed: list[Alert] = []
        if not self.is_leader():
            return changed
        with self._lock:
            now_ms = int(self.clock() * 1000)
            if services is None:
                changed.extend(self._retire(now_ms))
            firing = {(a.rule, a.service): a for a in self.store.alerts("firing", limit=100_000)}
            for rule in self.rules:
                started = self.timer()
                measured = rule.measure(self.store, services, now_ms)
                for service, (_, finding) in measured.items():
                    current = firing.get((rule.name, service))
                    alert: Alert | None = None
                    if finding is not None and current is None:
                        alert = self.store.fire_alert(finding, now_ms, self.cooldown_ms, notify=self._notify(rule))
                    elif finding is None and current is not None:
                        reason = rule.cleared(self.store, service, now_ms)
                        alert = self.store.resolve_alert(current.id, now_ms, reason, notify=self._notify(rule))
                    if alert is not None:
                        changed.append(alert)
                self._record(rule.name, measured, services is None, now_ms, self.timer() - started)
        if changed:
            self.wake()
        return changed

    def _record(self, name: str, measured: Measured, every_service: bool, now_ms: int, took: float) -> None:
        """Keep the rule's status: its services' values and states (an evaluation for some services updates theirs,
        one for every service replaces them all); the rule fires while any of its services' conditions holds."""
        status = self.status.get(name) or RuleStatus()
        groups = {} if every_service else dict(status.groups)
        for service, (value, finding) in measured.items():
            groups[f"service={service}"] = {"state": "ok" if finding is None else "firing", "value": value}
        state = "firing" if any(g["state"] == "firing" for g in groups.values()) else "ok"
        self.status[name] = RuleStatus(
            state=state, groups=dict(sorted(groups.items())), evaluated_ms=now_ms, took_ms=round(took * 1000, 2)
        )

    def _notify(self, rule: Rule | str) -> tuple[str, ...]:
        """The notifiers a rule's transitions go to: those it names (`notify`), else every one."""
        if isinstance(rule, str):
            rule = next((r for r in self.rules if r.name == rule), rule)
        named = tuple(getattr(rule, "notify", ()) or ())
        return named or self.notify


class IngestChecks:
    """Runs the engine for the services that sent entries, on a thread of its own.

    Ingest never waits for rule evaluation, and under load evaluations coalesce: one runs at a time, at most one
    per `min_interval` seconds, covering every service that sent entries since the previous one.
    """

    def __init__(self, engine: AlertEngine, *, min_interval: float = 0.0) -> None:
        self.engine = engine
        self.min_interval = min_interval
        self.evaluations = 0
        self._cv = threading.Condition()
        self._pending: set[str] = set()
        self._busy = False
        self._closed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loglens-ingest-checks", daemon=True)
        self._thread.start()

    def notify(self, services: Iterable[str]) -> None:
        with self._cv:
            wake = not self._pending  # once something is pending, the thread is awake or due: waking it again
            self._pending.update(services)  # for every request cost a context switch and the GIL each time
            if wake:
                self._cv.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every service notified so far has been evaluated (tests, shutdown)."""
        with self._cv:
            return self._cv.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Evaluate what is pending, then stop."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._pending or self._closed)
                if not self._pending:
                    return
                batch, self._pending = self._pending, set()
                self._busy = True
            try:
                self.engine.on_ingest(batch)
            except Exception:  # the entries are stored; a failing rule must not stop later checks
                log.exception("alert evaluation for %d services failed", len(batch))
            finally:
                with self._cv:
                    self._busy = False
                    self.evaluations += 1
                    self._cv.notify_all()
            if self.min_interval > 0:
                self._stop.wait(self.min_interval)  # not on the condition, which every notify would wake
