"""The app factory: `create_app(config)` builds the store, validator, alerting, jobs and HTTP blueprints."""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from . import config as config_mod
from .alerts.dispatch import Dispatcher
from .alerts.engine import AlertEngine, IngestChecks
from .alerts.handlers import AlertHandler, build_handlers
from .alerts.rules import ErrorRateRule, HighVolumeRule, Rule, ServiceDownRule
from .analytics import Analytics
from .auth.gate import Gate, build_gate
from .health import HealthPolicy
from .limits import Limits, ServiceGate
from .metrics import Metrics, RequestTimer
from .pipeline import Pipeline
from .search.tail import TailHub
from .simulator import Simulator
from .store import Store, open_store
from .validation import Validator

log = logging.getLogger(__name__)
# app.extensions: the api.fast.FastIngest whose event-loop path the RSGI bridge may use (absent behind proxies:
# that path sees the connection's address, not the one ProxyFix finds in X-Forwarded-For)
FAST_INGEST = "loglens.fast_ingest"


@dataclass
class LogLens:
    """Everything one app instance owns; kept in app.extensions['loglens']."""

    config: dict[str, dict[str, Any]]
    clock: Callable[[], float]
    store: Store
    validator: Validator
    pipeline: Pipeline
    analytics: Analytics
    engine: AlertEngine
    checks: IngestChecks
    dispatcher: Dispatcher
    simulator: Simulator
    gate: Gate
    metrics: Metrics
    tail: TailHub
    scheduler: Any = None
    syslog: Any = None  # the syslog listener (ingest/syslog), None when ingest.syslog is off
    _closed: bool = field(default=False, repr=False)
    _close_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def close(self) -> None:
        """Stop jobs, deliver queued notifications, and close the store (waits for pending writes)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        if self.syslog is not None:  # first: stop reading, let what was read commit
            self.syslog.close()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        self.tail.close()
        self.checks.close()
        self.dispatcher.close()
        self.store.close()
        log.info("stopped: pending writes committed, queued alerts delivered")


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    clock: Callable[[], float] = time.time,
    handlers: list[AlertHandler] | None = None,
    start_jobs: bool = True,
) -> Flask:
    """Build a LogLens app.

    `config` None reads config.yaml / $CONFIG_PATH and LOGLENS_* variables; a mapping is merged over the
    built-in defaults only (tests pass just what they change). `handlers` adds notifiers to the configured ones.
    """
    cfg = config_mod.load() if config is None else config_mod.load(env={}, overrides=config, path=None)
    metrics = Metrics()
    store = open_store(cfg, on_commit=metrics.observe_commit)
    try:
        state = _build(cfg, store, clock, handlers, start_jobs, metrics)
    except BaseException:
        store.close()
        raise
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = cfg["server"]["max_body_bytes"]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["loglens"] = state

    from .api import errors, register_api
    from .auth import gate, views
    from .web import register_web
    from .web.api_docs import register_docs

    errors.route_exactly(app)  # first: the gate must see `//api/logs` as the unknown path it is
    gate.init_app(app, state.gate)
    register_api(app)
    register_web(app)
    register_docs(app)
    views.init_app(app)
    from .api.fast import FastIngest

    fast = FastIngest(app.wsgi_app, state, cfg["server"]["max_body_bytes"])
    app.wsgi_app = fast  # type: ignore[method-assign]
    proxies = cfg["server"]["trusted_proxies"]
    if not proxies:  # the RSGI bridge (serving/rsgi.py) answers ordinary POST /api/logs on its event loop
        app.extensions[FAST_INGEST] = fast
    else:  # outermost, so that the gate (fast path included) sees the client's address and scheme
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.wsgi_app = RequestTimer(app.wsgi_app, metrics, *_route_labels(app))  # type: ignore[method-assign]
    metrics.watch(state)
    atexit.register(state.close)
    from .ingest import syslog

    try:
        state.syslog = syslog.start(state)
    except BaseException:
        state.close()
        raise
    return app


def _build(
    cfg: dict[str, dict[str, Any]],
    store: Store,
    clock: Callable[[], float],
    extra_handlers: list[AlertHandler] | None,
    start_jobs: bool,
    metrics: Metrics,
) -> LogLens:
    alerting = cfg["alerting"]
    try:
        configured = build_handlers(alerting["handlers"])
    except ValueError as exc:
        raise config_mod.ConfigError(str(exc)) from None
    dispatcher = Dispatcher([*configured, *(extra_handlers or [])], maxsize=alerting["queue_size"])
    policy = HealthPolicy.from_config(cfg)
    rules: list[Rule] = [
        ErrorRateRule(policy),
        HighVolumeRule(alerting["high_volume_threshold"]),
        ServiceDownRule(policy.down_minutes),
    ]
    engine = AlertEngine(
        store,
        rules,
        cooldown_seconds=alerting["cooldown_seconds"],
        clock=clock,
        dispatcher=dispatcher,
        is_leader=store.is_leader,
        policy=policy,
    )
    checks = IngestChecks(engine, min_interval=alerting["ingest_check_seconds"])
    service_gate = ServiceGate(lambda: (info.service for info in store.services()), cfg["ingest"]["max_services"])
    validator = Validator(limits=Limits.from_config(cfg), services=service_gate)
    state = LogLens(
        config=cfg,
        clock=clock,
        store=store,
        validator=validator,
        pipeline=Pipeline(validator, store, clock, checks, metrics),
        analytics=Analytics(store, cfg, clock, policy),
        engine=engine,
        checks=checks,
        dispatcher=dispatcher,
        simulator=Simulator(),
        gate=build_gate(cfg, store.keys, clock),
        metrics=metrics,
        tail=TailHub(
            store.last_id, max_streams=cfg["search"]["max_streams"], poll_seconds=cfg["search"]["poll_seconds"]
        ),
    )
    if start_jobs:
        from .jobs import start_scheduler

        state.scheduler = start_scheduler(engine, store, cfg, clock)
    return state


def _route_labels(app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    """The registered routes as metrics labels: exact paths, and path prefixes of routes with variables."""
    exact: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    for rule in app.url_map.iter_rules():
        if rule.arguments:
            prefixes[rule.rule.split("<", 1)[0]] = rule.rule
        else:
            exact[rule.rule] = rule.rule
    return exact, prefixes


def current_loglens() -> LogLens:
    """The LogLens state of the app handling the current request."""
    state: LogLens = current_app.extensions["loglens"]
    return state
