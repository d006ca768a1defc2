"""HTTP API blueprints."""

from __future__ import annotations

from types import ModuleType

from flask import Flask, request


def register_api(app: Flask) -> None:
    from . import (
        alert_rules,
        alerts,
        bulk,
        dashboard,
        elastic,
        errors,
        health,
        ingest,
        loki,
        metrics,
        openapi,
        otlp,
        saved,
        search,
        silences,
        simulate,
        stats,
    )
    from .body import single_args

    errors.init_app(app)
    modules: tuple[ModuleType, ...] = (
        *(health, ingest, bulk, otlp, loki, elastic, dashboard, simulate, alerts, metrics, openapi, search, stats),
    )
    modules += (alert_rules, silences)  # query alert rules and silences (issue 24)
    for module in modules:
        app.register_blueprint(module.bp)
    api = {module.bp.name for module in modules}
    app.register_blueprint(saved.bp)  # saved searches (issue 23)
    api.add(saved.bp.name)

    @app.before_request  # after the gate's (registered first): a caller learns nothing before it is let in
    def _one_value_each() -> None:
        if request.blueprint in api:
            single_args()
