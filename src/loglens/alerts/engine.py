"""Turns rule findings into alert transitions (firing ─► resolved) stored as rows, and tells the notifiers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence

from ..store import Alert, Store
from .dispatch import Dispatcher
from .rules import Rule


class AlertEngine:
    def __init__(
        self,
        store: Store,
        rules: Sequence[Rule],
        *,
        cooldown_seconds: float,
        clock: Callable[[], float],
        dispatcher: Dispatcher | None = None,
        ingest_check_seconds: float = 0.0,
    ) -> None:
        self.store = store
        self.rules = list(rules)
        self.cooldown_ms = int(cooldown_seconds * 1000)
        self.clock = clock
        self.dispatcher = dispatcher
        self.ingest_check_seconds = ingest_check_seconds
        self._last_checked: dict[str, float] = {}
        self._throttle_lock = threading.Lock()
        self._lock = threading.Lock()  # one evaluation at a time per process; the store arbitrates between processes

    def on_ingest(self, services: Iterable[str]) -> list[Alert]:
        """Evaluate every rule for the services that just sent entries, each at most once per
        `ingest_check_seconds` (the periodic `check_all` covers a service whose traffic stops in between)."""
        due = set(services)
        if self.ingest_check_seconds > 0:
            now = self.clock()
            with self._throttle_lock:
                due = {s for s in due if now - self._last_checked.get(s, float("-inf")) >= self.ingest_check_seconds}
                self._last_checked.update(dict.fromkeys(due, now))
        return self._evaluate(due) if due else []

    def check_all(self) -> list[Alert]:
        """Evaluate every rule for every known service (the periodic job), resolving what has cleared."""
        return self._evaluate(None)

    def _evaluate(self, services: set[str] | None) -> list[Alert]:
        changed: list[Alert] = []
        with self._lock:
            now_ms = int(self.clock() * 1000)
            firing = {(a.rule, a.service): a for a in self.store.alerts("firing", limit=100_000)}
            for rule in self.rules:
                for service, finding in rule.evaluate(self.store, services, now_ms).items():
                    current = firing.get((rule.name, service))
                    alert: Alert | None = None
                    if finding is not None and current is None:
                        alert = self.store.fire_alert(finding, now_ms, self.cooldown_ms)
                    elif finding is None and current is not None:
                        alert = self.store.resolve_alert(current.id, now_ms)
                    if alert is not None:
                        changed.append(alert)
        if self.dispatcher is not None:
            for alert in changed:
                self.dispatcher.submit(alert.to_dict())
        return changed
