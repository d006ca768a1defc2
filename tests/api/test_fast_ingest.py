"""POST /api/logs: the WSGI fast path and the event-loop path (api/fast.py) and the Flask view answer every request
byte for byte the same way, through the one ingest door (api/ingest.py `answer`)."""

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


def test_malformed_json_gets_the_views_400_without_flask(client: FlaskClient, flask_calls: list[str]) -> None:
    response = client.post("/api/logs", data=b'{"level": "INFO",', content_type="application/json")
    assert response.status_code == 400 and response.json["status"] == "invalid"
    assert "malformed JSON" in response.json["errors"][0]
    assert flask_calls == []
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


def _environ(body: bytes, headers: dict[str, str] | None = None) -> dict[str, Any]:
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(
        path="/api/logs", method="POST", data=body, content_type="application/json", headers=headers or {}
    )
    return builder.get_environ()


def _three_ways(app: Flask, body: bytes) -> dict[str, tuple[int, list[tuple[str, str]], bytes]]:
    """The answer to `body` from the WSGI fast path, the Flask view (the same entry gzipped) and the event loop."""
    import asyncio

    from werkzeug.test import run_wsgi_app

    from loglens.app import FAST_INGEST

    def wsgi(environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        chunks, status, headers = run_wsgi_app(app, environ, buffered=True)
        return int(status[:3]), sorted(headers.to_wsgi_list()), b"".join(chunks)

    answers = {"wsgi": wsgi(_environ(body)), "flask": wsgi(_environ(gzip.compress(body), {"Content-Encoding": "gzip"}))}
    loop = asyncio.run(app.extensions[FAST_INGEST].respond_async(_environ(body), body))
    # None: the bridge hands the request to the WSGI app on a thread (a body over the limits goes to Flask)
    answers["loop"] = wsgi(_environ(body)) if loop is None else (loop.status, sorted(loop.headers), loop.body)
    return answers


@pytest.mark.parametrize(
    "body",
    [
        orjson.dumps(log(message="three ways")),
        orjson.dumps({"level": "INFO", "service": "x"}),
        orjson.dumps(log(level="ÉRROR")),  # a message quoting non-ASCII text
        b"[1, 2]",
        b'{"level": ',
        b"   ",
        orjson.dumps(log(message="x" * 70_000)),  # over ingest.max_entry_bytes: Flask's 413 on all three
    ],
)
def test_every_way_in_gives_the_same_bytes(app: Flask, body: bytes) -> None:
    answers = _three_ways(app, body)
    assert answers["wsgi"] == answers["flask"] == answers["loop"], answers
    status, headers, payload = answers["wsgi"]
    assert status in (201, 400, 413) and payload.endswith(b"\n") and payload.isascii()
    assert {"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} <= {k for k, _ in headers}


@pytest.mark.parametrize("busy", [True, False])
def test_a_store_error_is_the_same_503_every_way(app: Flask, monkeypatch: pytest.MonkeyPatch, busy: bool) -> None:
    from loglens.store import StoreBusy, StoreFailing

    error = StoreBusy("the writer is full", retry_after=2) if busy else StoreFailing("the disk is gone")
    message = "the writer is full" if busy else "the store is unavailable: the disk is gone"
    pipeline = app.extensions["loglens"].pipeline

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    async def fail_async(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(pipeline, "ingest", fail)
    monkeypatch.setattr(pipeline, "ingest_async", fail_async)
    answers = _three_ways(app, orjson.dumps(log()))
    assert answers["wsgi"] == answers["flask"] == answers["loop"], answers
    status, headers, payload = answers["wsgi"]
    assert status == 503 and dict(headers).get("Retry-After") == (
        None if error.retry_after is None else str(error.retry_after)
    )
    assert orjson.loads(payload) == {"status": "error", "error": message}


def test_nothing_is_left_in_the_request_environ(app: Flask) -> None:
    from werkzeug.test import run_wsgi_app

    for environ in (
        _environ(orjson.dumps(log())),
        _environ(b'{"level": '),
        _environ(gzip.compress(orjson.dumps(log())), {"Content-Encoding": "gzip"}),
    ):
        before = set(environ)
        run_wsgi_app(app, environ, buffered=True)
        assert not [key for key in set(environ) - before if key.startswith("loglens")]


def test_the_event_loop_path_is_timed_like_every_request(app: Flask) -> None:
    import asyncio

    from loglens.app import FAST_INGEST

    def count(status: str) -> float:
        value = app.extensions["loglens"].metrics.registry.get_sample_value(
            "loglens_request_duration_seconds_count", {"route": "/api/logs", "method": "POST", "status": status}
        )
        return value or 0.0

    body = orjson.dumps(log())
    assert asyncio.run(app.extensions[FAST_INGEST].respond_async(_environ(body), body)) is not None
    run = app.test_client().post("/api/logs", data=body, content_type="application/json")
    assert run.status_code == 201 and count("201") == 2
    gzipped = _environ(gzip.compress(body), {"Content-Encoding": "gzip"})
    assert asyncio.run(app.extensions[FAST_INGEST].respond_async(gzipped, b"")) is None  # left to the WSGI app
    assert count("201") == 2
