"""Access control through the Flask test client: keys, sessions, CSRF, Host checks, rate limits, the simulator."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from loglens.auth.gate import KEY_CACHE_SECONDS
from loglens.auth.session import COOKIE
from tests.conftest import TEST_BACKEND, FakeClock
from tests.support.auth import WRONG_KEY, bearer, make_keys

ENTRY = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "auth", "message": "hi"}
AUTH = {"auth": {"enabled": True}}


def on(make_app: Any, clock: FakeClock, **sections: dict[str, Any]) -> tuple[Flask, dict[str, str]]:
    config: dict[str, Any] = {"auth": {"enabled": True}}
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    app = make_app(config, clock=clock)
    return app, make_keys(app)


def csrf_of(page_html: str) -> str:
    start = page_html.index('name="loglens-csrf" content="') + len('name="loglens-csrf" content="')
    return page_html[start : page_html.index('"', start)]


def login(client: FlaskClient, key: str, **kwargs: Any) -> Any:
    return client.post("/login", data={"key": key, "next": "/?range=1h"}, **kwargs)


# -- keys ----------------------------------------------------------------------------------------------------------


def test_keys_are_stored_only_as_hashes(make_app: Any, clock: FakeClock, tmp_path: Any) -> None:
    app, keys = on(make_app, clock)
    if TEST_BACKEND == "clickhouse":  # every row of the key and secret tables, as ClickHouse returns them
        store = app.extensions["loglens"].store
        conn = store._conn()
        assert conn.query(f"SELECT count() FROM {store.tables['api_keys']}")[0][0] == len(keys)
        dump = repr([conn.query(f"SELECT * FROM {store.tables[t]}") for t in ("api_keys", "auth_secrets", "logs")])
        for key in keys.values():
            assert key.split("_", 2)[2] not in dump and key not in dump
        return
    app.extensions["loglens"].close()
    conn = sqlite3.connect(tmp_path / "loglens.db")
    assert conn.execute("SELECT count(*) FROM api_keys").fetchone()[0] == len(keys)
    conn.close()
    # every byte of the store's files (a dump cannot read the contentless word index)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("loglens.db*"))
    for key in keys.values():
        secret = key.split("_", 2)[2]
        assert secret.encode() not in raw and key.encode() not in raw


def test_a_key_works_in_either_header_and_a_revoked_one_stops_within_a_second(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock)
    client = app.test_client()
    assert client.get("/api/alerts", headers={"X-API-Key": keys["read"]}).status_code == 200
    assert client.get("/api/alerts", headers={"Authorization": f"bearer {keys['read']}"}).status_code == 200
    assert client.get("/api/alerts", headers={"Authorization": f"Basic {keys['read']}"}).status_code == 401
    key_id = keys["read"].split("_")[1]
    assert app.extensions["loglens"].store.keys.revoke_key(key_id, 1) is True
    clock.advance(KEY_CACHE_SECONDS)  # a key read from the store is trusted this long
    response = client.get("/api/alerts", headers=bearer(keys["read"]))
    assert response.status_code == 401 and response.json["error"] == "unknown or revoked API key"
    # a key whose secret is wrong but whose id exists is no better than an unknown one
    forged = keys["admin"][:-4] + "AAAA"
    assert client.get("/api/alerts", headers=bearer(forged)).status_code == 401


def test_with_an_x_api_key_the_authorization_header_is_not_read(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock)
    client = app.test_client()
    # a proxy's own Basic login, a malformed value, another key's bearer token: the X-API-Key decides
    for authorization in ("Basic dXNlcjpwYXNz", "\x0bnot a scheme", f"Bearer {keys['ingest']}", f"Bearer {WRONG_KEY}"):
        response = client.get("/api/alerts", headers={"X-API-Key": keys["read"], "Authorization": authorization})
        assert response.status_code == 200, (authorization, response.json)
        response = client.get("/api/alerts", headers={"X-API-Key": keys["ingest"], "Authorization": authorization})
        assert response.status_code == 403, (authorization, response.json)  # the ingest key's role, not a 401
    response = client.get("/api/alerts", headers={"X-API-Key": WRONG_KEY, "Authorization": f"Bearer {keys['read']}"})
    assert response.status_code == 401 and response.json["error"] == "unknown or revoked API key"


def test_health_stays_open_and_says_only_status_without_a_key(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock)
    client = app.test_client()
    for headers in ({}, bearer(WRONG_KEY), bearer(keys["ingest"])):
        response = client.get("/health", headers=headers)
        assert (response.status_code, response.json) == (200, {"status": "healthy"})
    counted = client.get("/health", headers=bearer(keys["read"]))
    assert counted.json == {"status": "healthy", "total_logs": 0, "current_stored": 0}


# -- rate limits ---------------------------------------------------------------------------------------------------


def test_repeated_wrong_keys_from_one_address_get_429(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock, auth={"max_failures": 3, "failure_window_seconds": 30})
    client = app.test_client()
    attacker = {"REMOTE_ADDR": "192.0.2.7"}
    for _ in range(3):
        assert client.get("/api/alerts", headers=bearer(WRONG_KEY), environ_base=attacker).status_code == 401
    blocked = client.get("/api/alerts", headers=bearer(keys["read"]), environ_base=attacker)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) == 10  # one failure's worth: 30 s / 3
    assert "too many wrong API keys" in blocked.json["error"]
    # the login form counts against the same limit; other addresses are not affected
    assert login(client, keys["read"], environ_base=attacker).status_code == 429
    assert client.get("/api/alerts", headers=bearer(keys["read"])).status_code == 200
    clock.advance(10)
    assert client.get("/api/alerts", headers=bearer(keys["read"]), environ_base=attacker).status_code == 200


def test_each_key_has_its_own_ingest_token_bucket(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock, auth={"ingest_rate": 0.5, "ingest_burst": 2})
    client = app.test_client()
    ndjson = {"data": orjson.dumps(ENTRY) + b"\n", "content_type": "application/x-ndjson"}
    assert client.post("/api/logs", json=ENTRY, headers=bearer(keys["ingest"])).status_code == 201  # fast path
    assert client.post("/api/logs/bulk", headers=bearer(keys["ingest"]), **ndjson).status_code == 200
    for path, kwargs in (("/api/logs", {"json": ENTRY}), ("/api/logs/bulk", ndjson)):
        limited = client.post(path, headers=bearer(keys["ingest"]), **kwargs)
        assert limited.status_code == 429, path
        assert limited.headers["Retry-After"] == "2" and "auth.ingest_rate" in limited.json["error"]
    assert client.post("/api/logs", json=ENTRY, headers=bearer(keys["admin"])).status_code == 201  # another key
    clock.advance(2)
    assert client.post("/api/logs", json=ENTRY, headers=bearer(keys["ingest"])).status_code == 201
    stats = client.get("/api/validation-stats", headers=bearer(keys["read"])).json
    assert stats["valid"] == 4  # nothing refused was stored


# -- dashboard sessions and CSRF -----------------------------------------------------------------------------------


def test_login_sets_a_strict_httponly_cookie_that_opens_the_dashboard(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock, auth={"session_hours": 1.0})
    client = app.test_client()
    first = client.get("/?range=1h")
    assert first.status_code == 302 and first.headers["Location"] == "/login?next=%2F%3Frange%3D1h"
    assert client.get("/login").status_code == 200
    response = login(client, keys["read"])
    assert response.status_code == 303 and response.headers["Location"] == "/?range=1h"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie and "Max-Age=3600" in cookie
    page = client.get("/")
    assert page.status_code == 200 and 'data-testid="logout-btn"' in page.text
    assert client.get("/api/advanced-dashboard-data").status_code == 200
    clock.advance(3601)  # the session has expired
    assert client.get("/api/advanced-dashboard-data").status_code == 401
    assert client.get("/").status_code == 302


def test_login_over_https_marks_the_cookie_secure(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock, server={"trusted_proxies": 1})
    client = app.test_client()
    behind_tls = login(client, keys["read"], headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in behind_tls.headers["Set-Cookie"]
    direct = login(app.test_client(), keys["read"], base_url="https://localhost")
    assert "Secure" in direct.headers["Set-Cookie"]


def test_login_refuses_ingest_keys_wrong_keys_and_outside_targets(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock)
    client = app.test_client()
    assert login(client, keys["ingest"]).status_code == 403
    wrong = login(client, WRONG_KEY)
    assert wrong.status_code == 401 and "Unknown or revoked" in wrong.text and COOKIE not in str(wrong.headers)
    assert client.post("/login", data={"key": ""}).status_code == 400
    away = client.post("/login", data={"key": keys["read"], "next": "//evil.example/"})
    assert away.status_code == 303 and away.headers["Location"] == "/"
    for origin in ("http://evil.example", "null"):  # a hostile page can make its browser send "null"
        cross = client.post("/login", data={"key": keys["read"]}, headers={"Origin": origin})
        assert cross.status_code == 403 and COOKIE not in str(cross.headers)
    assert app.test_client().get("/login").headers["Referrer-Policy"] == "same-origin"  # our form sends its Origin


def test_a_revoked_key_ends_its_sessions(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock)
    client = app.test_client()
    login(client, keys["admin"])
    assert client.get("/api/alerts").status_code == 200
    app.extensions["loglens"].store.keys.revoke_key(keys["admin"].split("_")[1], 1)
    clock.advance(KEY_CACHE_SECONDS)
    assert client.get("/api/alerts").status_code == 401


def test_cookie_authenticated_writes_need_the_csrf_token(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock, simulator={"enabled": True})
    client = app.test_client()
    login(client, keys["admin"])
    token = csrf_of(client.get("/").text)
    body = {"json": {"count": 1}}
    missing = client.post("/api/simulate-logs", **body)
    assert missing.status_code == 403 and "X-CSRF-Token" in missing.json["error"]
    assert client.post("/api/simulate-logs", headers={"X-CSRF-Token": token[:-2] + "xx"}, **body).status_code == 403
    cross = client.post("/api/simulate-logs", headers={"X-CSRF-Token": token, "Origin": "http://evil.example"}, **body)
    assert cross.status_code == 403
    good = client.post("/api/simulate-logs", headers={"X-CSRF-Token": token, "Origin": "http://localhost"}, **body)
    assert good.status_code == 200 and good.json["accepted"] == 1
    # a key in a header is not sent by browsers on their own: no token needed
    other = app.test_client()
    assert other.post("/api/simulate-logs", headers=bearer(keys["admin"]), **body).status_code == 200


def test_logout_needs_the_token_and_clears_the_cookie(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock)
    client = app.test_client()
    login(client, keys["read"])
    token = csrf_of(client.get("/").text)
    assert client.post("/logout").status_code == 403
    assert client.get("/api/alerts").status_code == 200
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["Location"] == "/login"
    assert f"{COOKIE}=;" in out.headers["Set-Cookie"]
    assert client.get("/api/alerts").status_code == 401


def test_logout_ends_the_session_on_the_server_so_a_copied_cookie_is_refused(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock, simulator={"enabled": True})
    client = app.test_client()
    login(client, keys["admin"])
    token = csrf_of(client.get("/").text)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    thief = app.test_client()  # another browser holding a copy of the cookie and the page's CSRF token
    thief.set_cookie(COOKIE, cookie.value)
    write = {"json": {"count": 1}, "headers": {"X-CSRF-Token": token}}
    assert thief.get("/api/alerts").status_code == 200
    assert thief.post("/api/simulate-logs", **write).status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    read = thief.get("/api/alerts")
    assert read.status_code == 401 and "needs an API key" in read.json["error"]
    assert thief.post("/api/simulate-logs", **write).status_code == 401
    page = thief.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=")
    assert thief.get("/login").status_code == 200  # the login form again, not a redirect into the dashboard
    # the ended session is kept in the store: a fresh app on the same store (a restart, another worker) refuses it
    again = make_app({"auth": {"enabled": True}}, clock=clock)
    other = again.test_client()
    other.set_cookie(COOKIE, cookie.value)
    assert other.get("/api/alerts").status_code == 401
    # logging in again makes a new session that works
    login(client, keys["read"])
    assert client.get("/api/alerts").status_code == 200


# -- Host header ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", [False, True])
def test_other_host_headers_get_400_on_every_path(make_app: Any, clock: FakeClock, auth: bool) -> None:
    app = make_app({"auth": {"enabled": auth}}, clock=clock)
    client = app.test_client()
    rebinding = {"Host": "attacker.example:5000"}
    for method, path, kwargs in (
        ("GET", "/health", {}),
        ("GET", "/api/advanced-dashboard-data", {}),
        ("POST", "/api/logs", {"json": ENTRY}),  # the fast path
        ("GET", "/no-such-route", {}),
    ):
        response = client.open(path, method=method, headers=rebinding, **kwargs)
        assert response.status_code == 400, path
        assert "server.allowed_hosts" in response.json["error"]
    for host in ("localhost:5000", "127.0.0.1", "[::1]:80", "app.localhost"):
        assert client.get("/health", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts_adds_names_and_the_bound_address_counts(make_app: Any, clock: FakeClock) -> None:
    app = make_app({"server": {"host": "192.0.2.10", "allowed_hosts": ["Logs.Example.com"]}}, clock=clock)
    client = app.test_client()
    assert client.get("/health", headers={"Host": "logs.example.com:443"}).status_code == 200
    assert client.get("/health", headers={"Host": "192.0.2.10:5000"}).status_code == 200
    assert client.get("/health", headers={"Host": "other.example.com"}).status_code == 400
    anything = make_app({"server": {"allowed_hosts": ["*"]}}, clock=clock).test_client()
    assert anything.get("/health", headers={"Host": "other.example.com"}).status_code == 200


# -- simulator switch and the open-server banner -------------------------------------------------------------------


def test_simulator_is_on_only_while_auth_is_off_unless_set(make_app: Any, clock: FakeClock) -> None:
    app, keys = on(make_app, clock)
    response = app.test_client().post("/api/simulate-logs", json={"count": 1}, headers=bearer(keys["admin"]))
    assert response.status_code == 404 and "simulator.enabled" in response.json["error"]
    off = make_app({"simulator": {"enabled": False}}, clock=clock).test_client()
    assert off.post("/api/simulate-errors", json={}).status_code == 404
    default = make_app({}, clock=clock).test_client()
    assert default.post("/api/simulate-logs", json={"count": 1}).status_code == 200


def test_an_open_server_says_so_on_the_dashboard(make_app: Any, clock: FakeClock) -> None:
    open_app = make_app({"auth": {"allow_open": True}}, clock=clock)
    assert 'data-testid="open-banner"' in open_app.test_client().get("/").text
    plain = make_app({}, clock=clock)
    assert 'data-testid="open-banner"' not in plain.test_client().get("/").text
