"""HTTP API blueprints."""

from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    from . import alerts, bulk, dashboard, errors, health, ingest, metrics, openapi, otlp, search, simulate

    errors.init_app(app)
    for module in (health, ingest, bulk, otlp, dashboard, simulate, alerts, metrics, openapi, search):
        app.register_blueprint(module.bp)
