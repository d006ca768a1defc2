"""The dashboard and the Explore page: static pages, our own JS and CSS, Chart.js from npm (vendor/)."""

from __future__ import annotations

from collections.abc import Callable
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


def page(template: str) -> Callable[[], ResponseReturnValue]:
    """The view of a page that is its template alone (with page_context), for a `read` key or a session."""

    @requires("read", page=True)
    def view() -> ResponseReturnValue:
        return render_template(template, **page_context())

    return view


# Explore: search, page, follow (live) and export stored entries; the view lives in the query string
bp.add_url_rule("/explore", "explore", page("explore.html"))
# Alerts: firing, silenced and resolved alerts with filters, the rules, and the silences (create, expire)
bp.add_url_rule("/alerts", "alerts", page("alerts.html"))


def register_web(app: Flask) -> None:
    app.register_blueprint(bp)
    declare(app, "web.static", "public")  # our JS and CSS are public code (the login page needs the CSS)
