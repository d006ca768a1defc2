"""The dashboard and the Explore page: static pages, our own JS and CSS, Chart.js from npm (vendor/)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template
from flask.typing import ResponseReturnValue

from ..auth.access import declare, requires
from ..auth.gate import current_principal
from ..state import current_loglens

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")


@bp.get("/")
@requires("read", page=True)
def dashboard() -> ResponseReturnValue:
    config = current_loglens().config
    return render_template(
        "dashboard.html",
        refresh_seconds=config.dashboard.refresh_seconds,
        error_rate_threshold=config.alerting.error_rate_threshold,
        **page_context(),
    )


def page_context() -> dict[str, Any]:
    """What every page shows about access: the open-server banner, and the session's CSRF token and sign-out."""
    state = current_loglens()
    auth = state.config.auth
    session = current_principal().session
    return {
        "open_warning": auth.allow_open and not auth.enabled,
        "csrf_token": state.gate.signer.csrf_token(session) if session is not None else None,
    }


@bp.get("/explore")
@requires("read", page=True)
def explore() -> ResponseReturnValue:
    """Search, page, follow (live) and export stored entries; the view lives in the query string."""
    return render_template("explore.html", **page_context())


@bp.get("/alerts")
@requires("read", page=True)
def alerts() -> ResponseReturnValue:
    """Firing, silenced and resolved alerts with filters, and the silences (create, expire)."""
    return render_template("alerts.html", **page_context())


def register_web(app: Flask) -> None:
    app.register_blueprint(bp)
    declare(app, "web.static", "public")  # our JS and CSS are public code (the login page needs the CSS)
