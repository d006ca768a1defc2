"""Every reader over HTTP returns each match exactly once, newest event time first (ties by id), when entries arrive
out of time order: search pages followed by cursor, NDJSON and CSV exports, and the dashboard's recent logs.

The traffic is what shippers send: in order over ten hours, 2% up to an hour late, runs of equal timestamps, and
bulk requests of 1,000; 9,000 entries cross the SQLite time path's 4,096-id blocks. The oracle sorts the entries in
Python; `metadata.seq` is each entry's place in arrival order, which ids follow on every backend.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient

from loglens.model import iso_from_ms

NOW_MS = 1_767_225_600_000  # the fake clock: 2026-01-01T00:00:00Z
COUNT = 9_000
Item = dict[str, Any]


@pytest.fixture
def arrivals(client: FlaskClient) -> list[Item]:
    rnd = random.Random(27)
    items: list[Item] = []
    for seq in range(COUNT):
        ts = NOW_MS - 36_000_000 + seq * 4_000 + rnd.randrange(1000)
        if rnd.random() < 0.02:
            ts -= rnd.randint(0, 3_600_000)
        elif items and rnd.random() < 0.1:
            ts = items[-1]["ts"]  # the same millisecond as the entry before
        items.append(
            {
                "ts": ts,
                "timestamp": iso_from_ms(ts),
                "level": rnd.choice(["INFO", "INFO", "WARNING", "ERROR"]),
                "service": f"svc-{rnd.randrange(50):02d}",
                "message": ("alpha " if seq % 3 == 0 else "") + f"request {seq} done",
                "metadata": {"seq": seq, "processing_time_ms": rnd.randrange(2000)},
            }
        )
    for k in range(0, COUNT, 1000):
        body = b"\n".join(
            orjson.dumps({key: v for key, v in item.items() if key != "ts"}) for item in items[k : k + 1000]
        )
        response = client.post("/api/logs/bulk", data=body, content_type="application/x-ndjson")
        assert response.status_code == 200 and response.json["accepted"] == 1000, response.json
    return items


def expected(items: list[Item], keep: Callable[[Item], bool]) -> list[int]:
    chosen = [item for item in items if keep(item)]
    chosen.sort(key=lambda item: (item["ts"], item["metadata"]["seq"]), reverse=True)
    return [item["metadata"]["seq"] for item in chosen]


def paged(client: FlaskClient, q: str, limit: int) -> list[int]:
    seqs: list[int] = []
    params: dict[str, Any] = {"q": q, "limit": limit}
    while True:
        response = client.get("/api/logs", query_string=params)
        assert response.status_code == 200, response.json
        seqs += [log["metadata"]["seq"] for log in response.json["logs"]]
        if response.json["next_cursor"] is None:
            return seqs
        params["cursor"] = response.json["next_cursor"]


QUERIES: list[tuple[str, Callable[[Item], bool]]] = [
    ("", lambda item: True),
    ("service:svc-01", lambda item: item["service"] == "svc-01"),
    ("alpha", lambda item: item["message"].startswith("alpha")),
    ("level:ERROR -alpha", lambda item: item["level"] == "ERROR" and not item["message"].startswith("alpha")),
    (
        "metadata.processing_time_ms>1900 service:svc-0*",
        lambda item: item["metadata"]["processing_time_ms"] > 1900 and item["service"].startswith("svc-0"),
    ),
]


@pytest.mark.parametrize(("q", "keep"), QUERIES, ids=[q or "everything" for q, _ in QUERIES])
def test_cursor_pages_hold_each_match_once_in_order(
    client: FlaskClient, arrivals: list[Item], q: str, keep: Callable[[Item], bool]
) -> None:
    want = expected(arrivals, keep)
    assert paged(client, q, 1000) == want
    assert paged(client, q, 97)[:3000] == want[:3000]


def test_exports_hold_each_match_once_in_order(client: FlaskClient, arrivals: list[Item]) -> None:
    response = client.get("/api/logs/export", query_string={"q": "alpha"})
    assert response.status_code == 200
    lines = [orjson.loads(line) for line in response.data.splitlines()]
    assert [line["metadata"]["seq"] for line in lines] == expected(
        arrivals, lambda item: item["message"].startswith("alpha")
    )

    response = client.get("/api/logs/export", query_string={"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert [orjson.loads(row["metadata"])["seq"] for row in rows] == expected(arrivals, lambda item: True)


def test_dashboard_recent_logs_are_the_newest_by_event_time(client: FlaskClient, arrivals: list[Item]) -> None:
    recent = client.get("/api/advanced-dashboard-data").json["recent_logs"]
    assert [log["metadata"]["seq"] for log in recent] == expected(arrivals, lambda item: True)[:20]
    recent = client.get("/api/advanced-dashboard-data", query_string={"service": "svc-07"}).json["recent_logs"]
    assert [log["metadata"]["seq"] for log in recent] == expected(arrivals, lambda i: i["service"] == "svc-07")[:20]
