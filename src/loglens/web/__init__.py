"""The dashboard and the Explore page: static pages, our own JS and CSS, Chart.js from npm (vendor/)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, render_template
from flask.typing import ResponseReturnValue

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    state = current_app.extensions["loglens"]
    return render_template(
        "dashboard.html",
        refresh_seconds=state.config["dashboard"]["refresh_seconds"],
        error_rate_threshold=state.config["alerting"]["error_rate_threshold"],
    )


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name, value)
    return response


@bp.get("/explore")
def explore() -> ResponseReturnValue:
    """Search, page, follow (live) and export stored entries; the view lives in the query string."""
    return render_template("explore.html")


def register_web(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(_security_headers)
