"""HTTP API blueprints."""

from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    from . import alerts, dashboard, errors, health, ingest, simulate

    errors.init_app(app)
    for module in (health, ingest, dashboard, simulate, alerts):
        app.register_blueprint(module.bp)
