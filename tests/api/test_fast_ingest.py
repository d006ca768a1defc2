"""POST /api/logs: the WSGI fast path (api/fast.py) and the Flask view answer every request the same way."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from loglens.store import StoreBusy
from tests.support.json_entry import log


@pytest.fixture
def flask_calls(app: Flask) -> list[str]:
    """Paths of the requests that reached Flask (the fast path's never do)."""
    calls: list[str] = []

    @app.before_request
    def _count() -> None:
        from flask import request

        calls.append(request.path)

    return calls


def post(client: FlaskClient, body: Any, *, gzipped: bool = False, content_type: str = "application/json") -> Any:
    data = orjson.dumps(body)
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    return client.post(
        "/api/logs", data=gzip.compress(data) if gzipped else data, content_type=content_type, headers=headers
    )


def test_plain_json_entry_skips_flask_and_is_stored(client: FlaskClient, flask_calls: list[str]) -> None:
    response = post(client, log(message="fast one"), content_type="application/json; charset=utf-8")
    assert response.status_code == 201 and response.json == {"status": "accepted"}
    assert flask_calls == []
    assert client.get("/api/advanced-dashboard-data").json["recent_logs"][0]["message"] == "fast one"


@pytest.mark.parametrize("body", [log(), {"level": "INFO", "service": "x"}, [1, 2], "text"])
def test_fast_path_answers_like_the_flask_view(client: FlaskClient, flask_calls: list[str], body: Any) -> None:
    fast = post(client, body)
    assert flask_calls == []
    slow = post(client, body, gzipped=True)  # gzip goes through Flask
    assert flask_calls == ["/api/logs"]
    assert (fast.status_code, fast.json) == (slow.status_code, slow.json)
    for header in ("Content-Type", "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert fast.headers[header] == slow.headers[header]


def test_malformed_json_is_answered_by_flask_with_its_400(client: FlaskClient, flask_calls: list[str]) -> None:
    response = client.post("/api/logs", data=b'{"level": "INFO",', content_type="application/json")
    assert response.status_code == 400 and response.json["status"] == "invalid"
    assert "malformed JSON" in response.json["errors"][0]
    assert flask_calls == ["/api/logs"]
    assert client.get("/api/validation-stats").json["total"] == 0


def test_busy_store_gets_one_503_and_no_retry(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = app.extensions["loglens"].pipeline
    attempts: list[int] = []

    def busy(items: Any, **kwargs: Any) -> Any:
        attempts.append(len(items))
        raise StoreBusy("the writer has 99 entries waiting; retry shortly", retry_after=2)

    monkeypatch.setattr(pipeline, "ingest", busy)
    response = post(client, log())
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert "retry shortly" in response.json["error"]
    assert attempts == [1]


def test_oversized_declared_body_is_413_before_reading(make_app: Any) -> None:
    client = make_app({"server": {"max_body_bytes": 64}}).test_client()
    response = post(client, log(message="x" * 100))
    assert response.status_code == 413 and "max_body_bytes" in response.json["error"]


def test_other_methods_and_paths_go_to_flask(client: FlaskClient, flask_calls: list[str]) -> None:
    assert client.get("/api/logs").status_code == 200  # GET is the search; Flask answers it
    assert client.post("/api/logs/", data=b"{}", content_type="application/json").status_code in (308, 404)
    assert flask_calls == ["/api/logs", "/api/logs/"]


@pytest.mark.parametrize("length", ["²", "1_0", "-5", " 12", "99999999999999999999999", ""])
def test_odd_content_length_headers_never_cause_a_500(app: Flask, length: str) -> None:
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    environ = EnvironBuilder(path="/api/logs", method="POST", data=orjson.dumps(log()), content_type="application/json")
    env = environ.get_environ()
    env["CONTENT_LENGTH"] = length
    _, status, _ = run_wsgi_app(app, env, buffered=True)
    assert not status.startswith("5"), status


def test_body_shorter_than_its_content_length_is_not_stored(app: Flask, client: FlaskClient) -> None:
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    body = orjson.dumps(log(message="cut short"))
    env = EnvironBuilder(path="/api/logs", method="POST", data=body, content_type="application/json").get_environ()
    env["CONTENT_LENGTH"] = str(len(body) + 10)
    _, status, _ = run_wsgi_app(app, env, buffered=True)
    assert status.startswith("4"), status
    assert client.get("/health").json["total_logs"] == 0
