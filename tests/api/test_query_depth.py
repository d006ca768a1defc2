"""Query nesting has a documented limit (search/query.py MAX_QUERY_DEPTH, 16 levels): deeper is a 400 naming it on
every endpoint that takes `q`, never a 503 "parser stack overflow" (SQLite) nor a 500 (Python's recursion limit);
a query nested to the limit runs on every backend."""

from __future__ import annotations

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from loglens.search.query import parse
from tests.support.search_entries import entry, ingest

PAST_THE_LIMIT = {
    "17 dashes": "-" * 17 + "a",
    "50 dashes": "-" * 50 + "a",
    "500 dashes": "-" * 500 + "a",
    "NOT x 499": "NOT " * 499 + "a",
    "(a OR x 50": "(a OR " * 50 + "b" + ")" * 50,
    "(a OR x 250": "(a OR " * 250 + "b" + ")" * 250,
    "-(a b x 200": "-(a b " * 200 + "c" + ")" * 200,
}


@pytest.mark.parametrize("path", ["/api/logs", "/api/logs/export", "/api/logs/stream"])
@pytest.mark.parametrize("query", PAST_THE_LIMIT.values(), ids=PAST_THE_LIMIT.keys())
def test_a_query_nested_past_the_limit_is_a_400_naming_the_limit(client: FlaskClient, path: str, query: str) -> None:
    response = client.get(path, query_string={"q": query})
    try:
        assert response.status_code == 400  # (the body of a wrongly opened stream never ends: not read before)
        assert response.json["parameter"] == "q" and "at most 16 levels" in response.json["error"]
    finally:
        response.close()  # a stream that was opened lets its slot go


# Each nests NOT, AND and OR 16 levels deep around a metadata prefix term (whose SQL nests deepest), and matches.
TERM = "metadata.region:eu*"
AT_THE_LIMIT = {
    "16 dashes": "-" * 16 + TERM,
    "(x OR x 16": "(nothing OR " * 16 + TERM + ")" * 16,
    "(x OR (y x 8": "(nothing OR (level:INFO " * 8 + TERM + "))" * 8,
    "-(-(x OR x 5": "-(-(nothing OR " * 5 + f"(nothing OR {TERM})" + "))" * 5,
}


@pytest.mark.parametrize("query", AT_THE_LIMIT.values(), ids=AT_THE_LIMIT.keys())
def test_a_query_nested_to_the_limit_runs_on_search_export_and_tail(
    app: Flask, client: FlaskClient, query: str
) -> None:
    assert client.get("/api/logs", query_string={"q": "-" + query}).status_code == 400  # one level more
    ingest(client, [entry(1, message="found", metadata={"region": "eu-west"}), entry(2, message="other")])
    assert [row["message"] for row in client.get("/api/logs", query_string={"q": query}).json["logs"]] == ["found"]
    export = client.get("/api/logs/export", query_string={"q": query, "format": "ndjson"})
    assert export.status_code == 200
    assert [orjson.loads(line)["message"] for line in export.data.splitlines()] == ["found"]
    store = app.extensions["loglens"].store
    assert [row["message"] for row in store.tail(parse(query), 0, store.last_id(), 10)] == ["found"]
