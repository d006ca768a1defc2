"""The app factory: `create_app(config)` builds the store, validator, alerting, jobs and HTTP blueprints."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response

from . import answer
from . import config as config_mod
from .alerts.delivery import Delivery, Policy
from .alerts.engine import AlertEngine, IngestChecks
from .alerts.notifiers.base import Notifier
from .alerts.notifiers.build import AlertHandler, build_channels
from .alerts.rules import ErrorRateRule, HighVolumeRule, Rule, ServiceDownRule
from .alerts.silence_gate import silenced_check
from .analytics import Analytics
from .api import errors, register_api
from .api.fast import FastIngest, LoopIngest
from .auth import gate, views
from .auth.gate import build_gate
from .config import Settings
from .health import HealthPolicy
from .health_probe import StoreProbe
from .metrics import Metrics, RequestTimer
from .pipeline import Pipeline
from .search.tail import TailHub
from .simulator import Simulator
from .state import LogLens, attach
from .store import Store, open_store
from .validation import Limits, ServiceGate, Validator
from .web import register_web
from .web.api_docs import register_docs

# app.extensions: the api.fast.LoopIngest whose `respond_async` the RSGI bridge may call (absent behind proxies:
# that path sees the connection's address, not the one ProxyFix finds in X-Forwarded-For)
FAST_INGEST = "loglens.fast_ingest"


def create_app(
    config: Mapping[str, Any] | Settings | None = None,
    *,
    clock: Callable[[], float] = time.time,
    handlers: list[AlertHandler | Notifier] | None = None,
    start_jobs: bool = True,
) -> Flask:
    """Build a LogLens app.

    `config` None reads config.yaml / $CONFIG_PATH and LOGLENS_* variables; a mapping is merged over the
    built-in defaults only (tests pass just what they change); `Settings` are taken as they are. `handlers` adds
    notifiers to the configured ones. The caller closes the app's state when done with it:
    `loglens_of(app).close()` (state.py).
    """
    if isinstance(config, Settings):
        cfg = config
    else:
        cfg = config_mod.load() if config is None else config_mod.load(env={}, overrides=config, path=None)
    metrics = Metrics()
    store = open_store(cfg, on_commit=metrics.observe_commit)
    try:
        state = _build(cfg, store, clock, handlers, start_jobs, metrics)
    except BaseException:
        store.close()
        raise
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = cfg.server.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    attach(app, state)
    errors.route_exactly(app)  # first: the gate must see `//api/logs` as the unknown path it is
    gate.init_app(app, state.gate)
    register_api(app)
    register_web(app)
    register_docs(app)
    views.init_app(app)
    app.after_request(_secure)
    app.wsgi_app = FastIngest(app.wsgi_app, state)  # type: ignore[method-assign]
    proxies = cfg.server.trusted_proxies
    if proxies:  # outermost, so that the gate (fast path included) sees the client's address and scheme
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    timer = RequestTimer(app.wsgi_app, metrics, *_route_labels(app))
    app.wsgi_app = timer  # type: ignore[method-assign]
    if not proxies:  # the RSGI bridge (serving/rsgi.py) answers ordinary POST /api/logs on its event loop
        app.extensions[FAST_INGEST] = LoopIngest(state, timer)
    metrics.watch(state.store)
    from .ingest import syslog

    try:
        state.syslog = syslog.start(state)
    except BaseException:
        state.close()
        raise
    return app


def _secure(response: Response) -> Response:
    answer.secure(response.headers)
    return response


def _build(
    cfg: Settings,
    store: Store,
    clock: Callable[[], float],
    extra_handlers: list[AlertHandler | Notifier] | None,
    start_jobs: bool,
    metrics: Metrics,
) -> LogLens:
    alerting = cfg.alerting
    delivery = _delivery(cfg, store, clock, extra_handlers)
    policy = HealthPolicy.from_settings(alerting)
    rules: list[Rule] = [
        ErrorRateRule(policy),
        HighVolumeRule(alerting.high_volume_threshold),
        ServiceDownRule(policy.down_minutes),
    ]
    engine = AlertEngine(
        store,
        rules,
        cooldown_seconds=alerting.cooldown_seconds,
        clock=clock,
        notify=delivery.names,
        wake=delivery.wake,
        is_leader=store.is_leader,
        policy=policy,
    )
    checks = IngestChecks(engine, min_interval=alerting.ingest_check_seconds)
    service_gate = ServiceGate(lambda: (info.service for info in store.services()), cfg.ingest.max_services)
    validator = Validator(limits=Limits.from_settings(cfg.ingest), services=service_gate)
    state = LogLens(
        config=cfg,
        clock=clock,
        store=store,
        validator=validator,
        pipeline=Pipeline(validator, store, clock, checks, metrics),
        analytics=Analytics(store, cfg, clock, policy),
        engine=engine,
        checks=checks,
        delivery=delivery,
        simulator=Simulator(),
        gate=build_gate(cfg.auth, cfg.server, store.keys, clock),
        metrics=metrics,
        tail=TailHub(store.last_id, max_streams=cfg.search.max_streams, poll_seconds=cfg.search.poll_seconds),
        health_probe=StoreProbe(store),
    )
    # query alert rules (issue 24): config.yaml's and the API's, evaluated by the elected node on their schedules
    from .alerts.builtin import BuiltinRules
    from .alerts.query_engine import QueryRuleEngine
    from .alerts.rule_lease import FileLease
    from .alerts.rule_spec import check_specs

    sqlite_file = cfg.storage.backend == "sqlite" and cfg.storage.sqlite_path != ":memory:"
    state.rules_lease = FileLease(cfg.storage.sqlite_path + "-rules.lock") if sqlite_file else None
    state.rules = QueryRuleEngine(
        store,
        check_specs(alerting.rules, notifiers=delivery.names),
        alerting,
        clock=clock,
        max_buckets=cfg.analytics.max_buckets,
        notify=delivery.names,
        wake=delivery.wake,
        registry=metrics.registry,
        repeats=state.rules_lease.held if state.rules_lease is not None else lambda: True,
        builtin=BuiltinRules(engine, alerting, clock),  # the spec's rules: listed, and evaluated on the tick
    )
    if start_jobs:
        from .jobs import start_scheduler

        state.scheduler = start_scheduler(engine, store, cfg.alerting, cfg.storage, clock, rules=state.rules)
    return state


def _delivery(
    cfg: Settings, store: Store, clock: Callable[[], float], extra: list[AlertHandler | Notifier] | None
) -> Delivery:
    """The notifiers (alerting.handlers, then `extra`) and the loop that delivers the outbox to them."""
    alerting = cfg.alerting
    host = cfg.server.host if cfg.server.host not in ("0.0.0.0", "::", "") else "127.0.0.1"  # noqa: S104
    channels = build_channels(alerting.handlers, extra or (), dashboard_url=f"http://{host}:{cfg.server.port}")
    policy = Policy.of(alerting)
    # a silenced alert's rows wait (held) and are delivered if it still fires when the silence ends
    silenced = silenced_check(store.silence_book, clock)
    return Delivery(store, channels, policy=policy, clock=clock, is_leader=store.is_leader, silenced=silenced)


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
