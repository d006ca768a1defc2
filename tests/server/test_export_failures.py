"""An export that fails midway ends so that the client can tell, on both servers: NDJSON with a last error line,
CSV cut off without the chunked body's last chunk (an incomplete read); the server logs it at ERROR.

The failure is a real one: a query past search.query_timeout_seconds on a later page. The store's newest entries
match at once, so the first pages go out; then the query must look through every older entry, and SQLite stops
it at the deadline (tests/support/slowquery.py).
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator

import pytest

from loglens.store.sqlite import SQLiteStore
from tests.support import slowquery
from tests.support.live import LiveServer

pytestmark = pytest.mark.server

ENTRIES = 10_000
MATCHING = 3_000  # the newest entries: three export pages


@pytest.fixture(scope="module", params=["granian", "gunicorn"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp(request.param)
    path = str(data_dir / "loglens.db")
    store = SQLiteStore(path)
    try:
        slowquery.build(store, ENTRIES, MATCHING)
        store.refresh()
    finally:
        store.close()
    config = {
        "server": {"http_server": request.param},
        "storage": {"path": path},
        "search": {"query_timeout_seconds": 1.0},
    }
    with LiveServer(data_dir, config) as live:
        yield live


def export(server: LiveServer, fmt: str) -> tuple[int, bytes, bool]:
    """(status, the body received, whether the body ended properly) of the slow query's export."""
    query = urllib.parse.urlencode({"q": slowquery.slow_query(), "format": fmt})
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", f"/api/logs/export?{query}")
        response = conn.getresponse()
        try:
            return response.status, response.read(), True
        except http.client.IncompleteRead as exc:
            return response.status, exc.partial, False
    finally:
        conn.close()


def error_logged(server: LiveServer, before: int) -> list[str]:
    """The ERROR lines the server wrote since `before` (the log's length then) that say an export stopped."""
    lines = server.output()[before:].splitlines()
    return [line for line in lines if "ERROR" in line and "export stopped after" in line]


def test_an_ndjson_export_failing_midway_ends_with_an_error_line_and_is_logged(server: LiveServer) -> None:
    before = len(server.output())
    status, body, complete = export(server, "ndjson")
    assert status == 200 and complete
    lines = [json.loads(line) for line in body.splitlines()]
    *entries, last = lines
    assert len(entries) >= 1000 and all("error" not in e and e["service"] == "slow" for e in entries)
    assert last["exported"] == len(entries)
    assert last["error"].startswith(f"the export stopped after {len(entries)} entries: the query ran past 1 s")
    assert "narrow the time range or the query" in last["error"]
    logged = error_logged(server, before)
    assert len(logged) == 1, server.output()[before:]
    assert "QueryTimeout" in server.output()[before:]  # with the exception


def test_a_csv_export_failing_midway_is_cut_off_and_is_logged(server: LiveServer) -> None:
    before = len(server.output())
    status, body, complete = export(server, "csv")
    assert status == 200
    assert not complete  # the chunked body never got its last chunk
    rows = body.decode().splitlines()
    assert rows[0].startswith("id,timestamp,level,service,message") and len(rows) > 1000
    assert error_logged(server, before), server.output()[before:]
    assert "QueryTimeout" in server.output()[before:]
    # the server goes on serving
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/health")
        assert conn.getresponse().status == 200
    finally:
        conn.close()
