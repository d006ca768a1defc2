"""`loglens query` with a stats, timechart or top stage against a real server: the answer as a table (or NDJSON),
and a stage the server refuses as its message on stderr with exit code 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.support.keys_cli import loglens
from tests.support.live import LiveServer

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("stats-cli")) as live:
        now = datetime.now(UTC)
        entries = [
            {
                "timestamp": (now - timedelta(seconds=i)).isoformat(),
                "level": "ERROR" if i % 4 == 0 else "INFO",
                "service": "pay" if i % 2 else "auth",
                "message": "card declined" if i % 2 else "login",
                "metadata": {"ms": i},
            }
            for i in range(40)
        ]
        body = "\n".join(json.dumps(e) for e in entries)
        answer = requests.post(
            live.url + "/api/logs/bulk", data=body, headers={"Content-Type": "application/x-ndjson"}, timeout=30
        )
        assert answer.status_code == 200 and answer.json()["accepted"] == 40, answer.text
        yield live


def test_a_stats_query_prints_the_answer_as_a_table(server: LiveServer) -> None:
    done = loglens("query", "| stats count(), max(metadata.ms) by service", "--url", server.url, "--since", "1h")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["SERVICE", "COUNT", "MAX(METADATA.MS)"]
    assert [line.split() for line in lines[1:]] == [["auth", "20", "38"], ["pay", "20", "39"]]


def test_json_prints_one_object_per_row_and_a_timechart_one_row_per_bucket_and_group(server: LiveServer) -> None:
    done = loglens("query", "level:ERROR | top 5 service", "--url", server.url, "--json")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == [{"service": "auth", "count": 10}]
    done = loglens("query", "| timechart span=1h count() by level", "--url", server.url, "--since", "1h", "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert {row["group"] for row in rows} == {"ERROR", "INFO"} and sum(row["count"] for row in rows) == 40


def test_a_stage_the_server_refuses_exits_2_with_its_message_and_no_table(server: LiveServer) -> None:
    done = loglens("query", "| stats p95(service)", "--url", server.url)
    assert done.returncode == 2 and done.stdout == ""
    assert "needs a numeric field" in done.stderr and '{"' not in done.stderr
