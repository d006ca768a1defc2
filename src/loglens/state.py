"""The state of one app instance (store, validator, alerting, gate, metrics...) and how a request reaches it.

`create_app` (app.py) builds a `LogLens` and attaches it to its Flask app; views read it with `current_loglens()`,
code holding the app with `loglens_of(app)`. Whoever built the app closes it: the serving worker when it stops
(server.py), `loglens serve --dev` when its server returns, tests in their fixtures.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from .alerts.delivery import Delivery
from .alerts.engine import AlertEngine, IngestChecks
from .analytics import Analytics
from .auth.gate import Gate
from .config import Settings
from .health_probe import StoreProbe
from .metrics import Metrics
from .pipeline import Pipeline
from .search.tail import TailHub
from .simulator import Simulator
from .store import Store
from .validation import Validator

log = logging.getLogger(__name__)
EXTENSION = "loglens"  # app.extensions[EXTENSION]: the app's LogLens


@dataclass
class LogLens:
    """Everything one app instance owns."""

    config: Settings
    clock: Callable[[], float]
    store: Store
    validator: Validator
    pipeline: Pipeline
    analytics: Analytics
    engine: AlertEngine
    checks: IngestChecks
    delivery: Delivery  # the notification outbox's delivery loop
    simulator: Simulator
    gate: Gate
    metrics: Metrics
    tail: TailHub
    health_probe: StoreProbe
    scheduler: Any = None
    syslog: Any = None  # the syslog listener (ingest/syslog), None when ingest.syslog is off
    rules: Any = None  # the query alert rules' engine (alerts/query_engine.py)
    rules_lease: Any = None  # which worker of a SQLite store sends repeat notifications (alerts/rule_lease.py)
    _closed: bool = field(default=False, repr=False)
    _close_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def close(self) -> None:
        """Stop jobs and deliveries (undelivered notifications wait in the store), and close the store (waits for
        pending writes)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        if self.syslog is not None:  # first: stop reading, let what was read commit
            self.syslog.close()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        self.tail.close()
        self.health_probe.close()
        self.checks.close()
        if self.rules_lease is not None:
            self.rules_lease.close()
        self.delivery.close()
        self.store.close()
        log.info("stopped: pending writes committed, undelivered notifications kept in the outbox")


def attach(app: Flask, state: LogLens) -> None:
    app.extensions[EXTENSION] = state


def loglens_of(app: Flask) -> LogLens:
    """The LogLens state of `app`."""
    state: LogLens = app.extensions[EXTENSION]
    return state


def current_loglens() -> LogLens:
    """The LogLens state of the app handling the current request."""
    return loglens_of(current_app)
