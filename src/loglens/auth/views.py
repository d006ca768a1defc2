"""The dashboard's login page (an API key with the read or admin role in, a session cookie out) and logout."""

from __future__ import annotations

import urllib.parse

from flask import Blueprint, Flask, redirect, render_template, request
from flask.typing import ResponseReturnValue

from ..state import current_loglens
from ..web import page_context
from .access import requires
from .gate import DASHBOARD_ROLES, Denial, Gate
from .session import COOKIE, CSRF_FIELD

bp = Blueprint("auth", __name__)


def _gate() -> Gate:
    return current_loglens().gate


def _next() -> str:
    """Where to go after logging in: a path on this server only (never //host or an absolute URL)."""
    target = request.values.get("next", "/")
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _page(error: str | None, status: int, headers: tuple[tuple[str, str], ...] = ()) -> ResponseReturnValue:
    html = render_template("login.html", next=_next(), error=error, **page_context())
    # Under no-referrer a browser sends "Origin: null" with the form, which _same_origin must refuse (a hostile
    # page can send null too); same-origin keeps our Origin on the form's POST and still tells no one else.
    return html, status, [*headers, ("Referrer-Policy", "same-origin")]


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    return origin is None or urllib.parse.urlsplit(origin).netloc == request.host


@bp.get("/login")
@requires("public")
def login_page() -> ResponseReturnValue:
    gate = _gate()
    if not gate.enabled or gate.session(request.environ) is not None:
        return redirect(_next(), 302)
    return _page(None, 200)


@bp.post("/login")
@requires("public")
def login() -> ResponseReturnValue:
    gate = _gate()
    if not gate.enabled:
        return redirect(_next(), 303)
    if not _same_origin():
        return _page("This login form was sent from another site.", 403)
    text = request.form.get("key", "").strip()
    if not text:
        return _page("Enter an API key.", 400)
    found = gate.authenticate(request.remote_addr or "", text)
    if isinstance(found, Denial):
        message = "Too many wrong keys: wait a minute." if found.status == 429 else "Unknown or revoked API key."
        return _page(message, found.status, found.headers)
    if found.role not in DASHBOARD_ROLES:
        return _page(f"An {found.role} key cannot open the dashboard: use a read or admin key.", 403)
    response = redirect(_next(), 303)
    response.set_cookie(
        COOKIE,
        gate.signer.issue(found.id, gate.now_ms(), gate.session_ms),
        max_age=gate.session_ms // 1000,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
    )
    return response


@bp.post("/logout")
@requires("public")
def logout() -> ResponseReturnValue:
    gate = _gate()
    principal = gate.session(request.environ)
    if principal is not None and principal.session is not None:
        if not gate.signer.csrf_ok(principal.session, request.form.get(CSRF_FIELD)):
            return Denial(403, "logging out needs the page's CSRF token").response()
        gate.end_session(principal.session)  # on the server too: a copy of the cookie stops working
    response = redirect("/login", 303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Strict", secure=request.is_secure)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
