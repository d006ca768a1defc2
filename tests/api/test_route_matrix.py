"""Every registered route, called with no key, a wrong key and a key of each role: the exact answer of each.

EXPECTED is the access table of the API, written out by hand (not read from the code): a route missing from it,
or one whose view declares no access level, fails here by name. To add a route: decorate its view with
`@requires("read")` (or "ingest", "admin", "public"; `page=True` for HTML pages) and add its line below.
"""

from __future__ import annotations

import gzip
import itertools
import re
from typing import Any

import orjson
import pytest
from flask import Flask

from loglens.alerts.silences import Matcher, Silence
from loglens.auth.access import declared
from loglens.model import StatsDelta
from loglens.search.saved import SavedSpec
from loglens.store import NewAlert
from tests.support.auth import WRONG_KEY, bearer, make_keys
from tests.support.entries import entry

# (method, path with <> for each variable part) -> access level. HEAD and OPTIONS follow their route's level.
# Some lines name routes other branches add (metrics, OpenAPI, search, explore): they apply once those exist.
EXPECTED: dict[tuple[str, str], str] = {
    ("GET", "/health"): "public",
    ("GET", "/static/<>"): "public",
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("POST", "/logout"): "public",
    ("POST", "/api/logs"): "ingest",
    ("POST", "/api/logs/bulk"): "ingest",
    ("POST", "/v1/logs"): "ingest",
    ("GET", "/"): "read-page",
    ("GET", "/api/advanced-dashboard-data"): "read",
    ("GET", "/api/time-series"): "read",
    ("GET", "/api/validation-stats"): "read",
    ("GET", "/api/alerts"): "read",
    ("POST", "/api/simulate-logs"): "admin",
    ("POST", "/api/simulate-errors"): "admin",
    ("GET", "/metrics"): "read",
    ("GET", "/openapi.json"): "read",
    ("POST", "/api/alerts/<>/ack"): "admin",
    ("GET", "/api/alerts/<>"): "read",
    ("GET", "/api/alert-rules"): "read",
    ("POST", "/api/alert-rules"): "admin",
    ("GET", "/api/alert-rules/<>"): "read",
    ("PUT", "/api/alert-rules/<>"): "admin",
    ("DELETE", "/api/alert-rules/<>"): "admin",
    ("POST", "/api/alert-rules/preview"): "read",
    ("GET", "/api/logs"): "read",
    ("GET", "/api/logs/<>"): "read",
    ("GET", "/api/logs/export"): "read",
    ("GET", "/api/logs/stream"): "read",
    ("GET", "/api/services"): "read",
    ("GET", "/api/fields"): "read",
    ("GET", "/api/stats"): "read",
    ("GET", "/api/facets"): "read",
    ("GET", "/api/patterns"): "read",
    ("GET", "/api/saved-searches"): "read",
    ("POST", "/api/saved-searches"): "admin",
    ("GET", "/api/saved-searches/<>"): "read",
    ("PUT", "/api/saved-searches/<>"): "admin",
    ("DELETE", "/api/saved-searches/<>"): "admin",
    ("GET", "/explore"): "read-page",
    ("GET", "/docs"): "read-page",
    ("POST", "/loki/api/v1/push"): "ingest",
    ("POST", "/elasticsearch/_bulk"): "ingest",
    ("PUT", "/elasticsearch/_bulk"): "ingest",
    ("POST", "/elasticsearch/<>/_bulk"): "ingest",
    ("PUT", "/elasticsearch/<>/_bulk"): "ingest",
    ("GET", "/elasticsearch/"): "ingest",
    ("GET", "/elasticsearch/_license"): "ingest",
    ("GET", "/elasticsearch/_xpack"): "ingest",
    ("GET", "/elasticsearch/_cluster/health"): "ingest",
    ("GET", "/elasticsearch/_cat/health"): "ingest",
    ("GET", "/elasticsearch/_nodes"): "ingest",
    ("GET", "/elasticsearch/_nodes/<>"): "ingest",
    ("GET", "/elasticsearch/_index_template/<>"): "ingest",
    ("PUT", "/elasticsearch/_index_template/<>"): "ingest",
    ("GET", "/elasticsearch/_template/<>"): "ingest",
    ("PUT", "/elasticsearch/_template/<>"): "ingest",
    ("GET", "/elasticsearch/_ilm/policy/<>"): "ingest",
    ("PUT", "/elasticsearch/_ilm/policy/<>"): "ingest",
    ("GET", "/elasticsearch/_ingest/pipeline/<>"): "ingest",
    ("PUT", "/elasticsearch/_ingest/pipeline/<>"): "ingest",
    ("GET", "/api/silences"): "read",
    ("POST", "/api/silences"): "admin",
    ("DELETE", "/api/silences/<>"): "admin",
    ("GET", "/alerts"): "read-page",
}
# Which roles may call each level (admin may do everything; read and ingest only their own part).
ALLOWED_ROLES = {"ingest": {"ingest", "admin"}, "read": {"read", "admin"}, "read-page": {"read", "admin"}}
ALLOWED_ROLES["admin"] = {"admin"}
CREDENTIALS = ("none", "wrong", "ingest", "read", "admin")
ENTRY = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "matrix", "message": "hi"}


def routes(app: Flask) -> list[tuple[str, str, str, str]]:
    """(method, pattern, url, endpoint) of every registered route and method.

    Flask adds HEAD to GET routes and OPTIONS to every route; both need what the route's own method needs, so
    they are reported under it (a rule is one endpoint, and access is declared per endpoint). A request's OPTIONS
    is answered by the first rule of its path (POST /api/logs before GET /api/logs), so it is reported once.
    """
    found = []
    options_seen: set[str] = set()
    for rule in app.url_map.iter_rules():
        pattern = re.sub(r"<[^>]*>", "<>", rule.rule)
        url = "/static/dashboard.css" if rule.endpoint == "web.static" else re.sub(r"<[^>]*>", "1", rule.rule)
        own = sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"})
        for method in sorted(rule.methods or ()):
            if method == "OPTIONS":
                if rule.rule in options_seen:
                    continue
                options_seen.add(rule.rule)
            found.append(
                (method, pattern, url, rule.endpoint)
                if method in own
                else (f"{method}:{own[0]}", pattern, url, rule.endpoint)
            )
    return found


def level(method: str, pattern: str) -> str:
    return EXPECTED.get((method.rpartition(":")[2], pattern), "?")


def sample(method: str, url: str) -> dict[str, Any]:
    """A request (body or query) the route accepts, so that a let-through call shows a success."""
    if url == "/api/stats" and method != "OPTIONS":
        return {"query_string": {"q": "| stats count()"}}
    if method not in ("POST", "PUT"):
        return {}
    if url.endswith("/_bulk"):
        return {"data": b'{"index": {}}\n' + orjson.dumps(ENTRY) + b"\n", "content_type": "application/x-ndjson"}
    if url == "/loki/api/v1/push":
        return {"json": {"streams": [{"stream": {"app": "matrix"}, "values": [["1767225600000000000", "hi"]]}]}}
    if url == "/api/logs":
        return {"json": ENTRY}
    if url == "/api/logs/bulk":
        return {"data": orjson.dumps(ENTRY) + b"\n", "content_type": "application/x-ndjson"}
    if url == "/v1/logs":
        return {"json": {"resourceLogs": []}}
    if url.startswith("/api/simulate"):
        return {"json": {"count": 1}}
    if url.endswith("/ack"):
        return {"json": {}}
    if url.startswith("/api/alert-rules"):  # POST creates `matrix`, PUT replaces `1` (made by auth_app)
        return {
            "json": {"query": "level:ERROR", "condition": "> 1", **({"name": "matrix"} if method == "POST" else {})}
        }
    if url.startswith("/api/saved-searches"):  # a new name each time (POST), the fixture's own (PUT)
        name = "matrix" if method == "PUT" else f"matrix-{next(SAVED_NAMES)}"
        return {"json": {"name": name, "query": "level:ERROR | stats count() by service", "from": "1h"}}
    if url == "/api/silences":
        return {"json": {"matchers": [{"name": "service", "value": "svc"}], "duration": "1h", "comment": "matrix"}}
    return {}


SAVED_NAMES = itertools.count()


def save_matrix_search(app: Flask) -> None:
    """The saved search GET/PUT/DELETE /api/saved-searches/1 reach (again after a DELETE let through)."""
    app.extensions["loglens"].store.saved_searches.add_saved(SavedSpec("matrix", "level:ERROR"), 0)


@pytest.fixture
def auth_app(make_app: Any, clock: Any) -> Flask:
    # many wrong keys from one address here: the failure limit is tested on its own (test_auth_limits.py)
    config = {"auth": {"enabled": True, "max_failures": 10_000}, "simulator": {"enabled": True}}
    app: Flask = make_app(config, clock=clock)
    # alert 1, firing, so that acknowledging it (POST /api/alerts/1/ack) shows a success when let through
    alert = NewAlert("error_rate", "svc", "WARNING", "error rate 50% > 10%", 0.5, 0.1)
    store = app.extensions["loglens"].store
    fired = store.fire_alert(alert, int(clock() * 1000), 0)
    assert fired is not None
    # alert rule 1, so that GET, PUT and DELETE /api/alert-rules/1 show a success when let through
    store.save_alert_rule("1", {"name": "1", "query": "level:ERROR", "condition": "> 1"}, int(clock() * 1000))
    # and one entry, so that GET /api/logs/<id> finds it; a ClickHouse store's ids are not 1, 2, ...: use theirs
    store.write([entry(service="matrix")], StatsDelta())  # not counted: validation stats stay those of the tests
    # and a silence, so that expiring it (DELETE /api/silences/1) shows a success
    now = int(clock() * 1000)
    store.silence_book.add(Silence("matrix", (Matcher("service", "=", "svc"),), now, now + 3_600_000, "m", "t", now))
    app.config["MATRIX_IDS"] = {
        "/api/silences/1": "/api/silences/matrix",
        "/api/alerts/1/": f"/api/alerts/{fired.id}/",
        "/api/alerts/1": f"/api/alerts/{fired.id}",
        "/api/logs/1": f"/api/logs/{store.last_id()}",
        "/api/saved-searches/1": "/api/saved-searches/matrix",
    }
    save_matrix_search(app)
    return app


def real_ids(app: Flask, url: str) -> str:
    for sample_url, real in app.config["MATRIX_IDS"].items():
        if url.startswith(sample_url) and (sample_url.endswith("/") or url == sample_url):
            return real + url[len(sample_url) :]
    return url


def test_every_route_declares_its_access_and_is_in_the_table(auth_app: Flask) -> None:
    undeclared = sorted({endpoint for *_, endpoint in routes(auth_app) if declared(auth_app, endpoint)[0] is None})
    assert undeclared == [], f"these endpoints declare no access level (use @requires): {undeclared}"
    missing = sorted({(m, p) for m, p, _, _ in routes(auth_app) if level(m, p) == "?"})
    assert missing == [], f"add these routes to EXPECTED in this file: {missing}"
    for method, pattern, _, endpoint in routes(auth_app):
        access, page = declared(auth_app, endpoint)
        expected = level(method, pattern)
        assert (access, page) == (expected.removesuffix("-page"), expected.endswith("-page")), (method, pattern)


def test_every_route_answers_each_caller_exactly(auth_app: Flask) -> None:
    keys = make_keys(auth_app)
    client = auth_app.test_client()
    checked = 0
    for method, pattern, url, _ in routes(auth_app):
        access = level(method, pattern)
        for credential in CREDENTIALS:
            headers = {} if credential == "none" else bearer(WRONG_KEY if credential == "wrong" else keys[credential])
            verb = method.partition(":")[0]
            response = client.open(real_ids(auth_app, url), method=verb, headers=headers, **sample(verb, url))
            where = f"{method} {url} with {credential} key"
            if access == "public":
                assert response.status_code not in (401, 403, 429), where
            elif credential == "none" and access.endswith("-page"):
                assert response.status_code == 302, where
                assert response.headers["Location"].startswith("/login?next="), where
            elif credential in ("none", "wrong"):
                assert response.status_code == 401, where
                assert response.headers["WWW-Authenticate"].startswith("Bearer"), where
                if verb != "HEAD":
                    assert response.json is not None and response.json["status"] == "error", where
                    assert "key" in response.json["error"], where
            elif credential not in ALLOWED_ROLES[access.removesuffix("-page")]:
                assert response.status_code == 403, where
                if verb != "HEAD":
                    assert response.json is not None and "role" in response.json["error"], where
            else:
                assert response.status_code < 400, where
                if verb == "DELETE" and url.startswith("/api/saved-searches/"):
                    save_matrix_search(auth_app)
            response.close()
            checked += 1
    assert checked >= 5 * 15


def test_fast_path_and_flask_view_give_the_same_answers(auth_app: Flask) -> None:
    """POST /api/logs: an ordinary JSON body takes the fast WSGI path, a gzip'd one the Flask view."""
    keys = make_keys(auth_app)
    client = auth_app.test_client()
    body = orjson.dumps(ENTRY)
    for credential in CREDENTIALS:
        headers = (
            {} if credential == "none" else {"X-API-Key": WRONG_KEY if credential == "wrong" else keys[credential]}
        )
        fast = client.post("/api/logs", data=body, content_type="application/json", headers=headers)
        flask = client.post(
            "/api/logs",
            data=gzip.compress(body),
            content_type="application/json",
            headers={**headers, "Content-Encoding": "gzip"},
        )
        assert (fast.status_code, fast.json) == (flask.status_code, flask.json), credential
        expected = {"none": 401, "wrong": 401, "ingest": 201, "read": 403, "admin": 201}[credential]
        assert fast.status_code == expected, credential
    stored = client.get("/api/validation-stats", headers=bearer(keys["read"])).json
    assert stored["valid"] == 4  # ingest and admin, each by both paths


def test_a_route_without_a_declared_level_is_refused_to_everyone(make_app: Any) -> None:
    for auth in (False, True):
        app = make_app({"auth": {"enabled": auth}})
        app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
        keys = make_keys(app)
        client = app.test_client()
        for headers in ({}, bearer(keys["admin"])):
            response = client.get("/undeclared", headers=headers)
            assert response.status_code == 403 and "declares no access level" in response.json["error"]
        app.extensions["loglens"].close()


def test_with_auth_off_every_declared_route_lets_anyone_through(make_app: Any) -> None:
    app = make_app({"simulator": {"enabled": True}})
    client = app.test_client()
    for method, _, url, _ in routes(app):
        verb = method.partition(":")[0]
        response = client.open(url, method=verb, **sample(verb, url))
        assert response.status_code not in (401, 403, 429), (method, url)
        response.close()
