"""What the client commands say when something is wrong: no key, a key without the role, a bad query, no server.

Each says what is wrong on stderr as text (never the server's raw JSON), a 401 says how to give a key, and each
ends with the README's exit code: 2 for what the same request would get again, 1 for a server that cannot be
reached (`tail` after its --retry-seconds).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.support.live import LiveServer, free_port

pytestmark = pytest.mark.server

CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("LOGLENS_") and k != "CONFIG_PATH"}
KEY_HINT = ("--api-key", "LOGLENS_API_KEY")


def loglens(*args: str, timeout: float = 30, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a client command; `timeout` is its deadline (subprocess.TimeoutExpired fails the test)."""
    return subprocess.run(
        [sys.executable, "-m", "loglens.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=CLEAN_ENV,
        input=stdin,
    )


def says_how_to_give_a_key(stderr: str) -> bool:
    return all(hint in stderr for hint in KEY_HINT)


def no_raw_json(stderr: str) -> bool:
    return '{"' not in stderr and '"error"' not in stderr


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    config = {"auth": {"enabled": True}, "simulator": {"enabled": True}}
    with LiveServer(tmp_path_factory.mktemp("guarded"), config) as live:
        yield live


@pytest.fixture(scope="module")
def ingest_key(guarded: LiveServer) -> str:
    """An ingest key: it may send logs, not read them (a 403 on the read endpoints)."""
    done = loglens(
        "keys", "create", "--role", "ingest", "--data-dir", str(guarded.data_dir), "--config", str(guarded.config_path)
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_tail_without_a_key_says_how_to_give_one_and_exits_2(guarded: LiveServer) -> None:
    done = loglens("tail", "--url", guarded.url)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("loglens tail: this endpoint needs an API key")
    assert says_how_to_give_a_key(done.stderr) and no_raw_json(done.stderr), done.stderr


def test_tail_with_a_key_that_may_not_read_exits_2_with_the_servers_message(
    guarded: LiveServer, ingest_key: str
) -> None:
    done = loglens("tail", "--url", guarded.url, "--api-key", ingest_key)
    assert done.returncode == 2, done.stderr
    assert "a key with the ingest role may not call this endpoint: it needs the read role" in done.stderr
    assert no_raw_json(done.stderr), done.stderr


def test_tail_with_a_bad_query_exits_2_with_the_message_as_text(server: LiveServer) -> None:
    done = loglens("tail", "(oops", "--url", server.url)
    assert done.returncode == 2, done.stderr
    assert "expected ')'" in done.stderr and no_raw_json(done.stderr), done.stderr


def test_tail_against_an_unreachable_server_says_so_and_exits_1_after_its_retry_seconds() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = loglens("tail", "--url", url, "--retry-seconds", "1", timeout=20)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"loglens tail: cannot reach {url}: ") and "reconnecting for up to 1 s" in lines[0]
    assert lines[-1].startswith(f"loglens tail: cannot reach {url}: ") and lines[-1].endswith("gave up after 1 s")
    assert len(lines) == 2, done.stderr


def test_query_without_a_key_prints_no_table_and_says_how_to_give_one(guarded: LiveServer) -> None:
    done = loglens("query", "level:ERROR", "--url", guarded.url)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("loglens query: this endpoint needs an API key")
    assert says_how_to_give_a_key(done.stderr) and no_raw_json(done.stderr), done.stderr


def test_query_with_a_bad_query_prints_no_table_header(server: LiveServer) -> None:
    done = loglens("query", "(oops", "--url", server.url)
    assert done.returncode == 2 and done.stdout == "", (done.stdout, done.stderr)
    assert "expected ')'" in done.stderr and no_raw_json(done.stderr), done.stderr


def test_query_against_an_unreachable_server_prints_no_table_and_exits_1() -> None:
    done = loglens("query", "--url", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1 and done.stdout == "", (done.stdout, done.stderr)
    assert done.stderr.startswith("loglens query: cannot reach ")


def test_query_with_no_matches_still_prints_the_table_header(server: LiveServer) -> None:
    done = loglens("query", "service:no-such-service-anywhere", "--url", server.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["TIMESTAMP", "LEVEL", "SERVICE", "USER", "MESSAGE"]


def test_ship_without_a_key_stops_at_the_first_refusal_and_says_how_to_give_one(
    guarded: LiveServer, tmp_path: Path
) -> None:
    entry = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "cli-errors", "message": "m"}
    path = tmp_path / "three.ndjson"
    path.write_bytes(b"".join(orjson.dumps(entry) + b"\n" for _ in range(3)))
    done = loglens("ship", str(path), "--url", guarded.url, "--batch", "1")
    assert done.returncode == 1, done.stderr
    refused = [line for line in done.stderr.splitlines() if "not sent" in line]
    assert len(refused) == 1, done.stderr  # one refusal, not one per batch
    assert "HTTP 401: this endpoint needs an API key" in refused[0] and says_how_to_give_a_key(refused[0])
    assert no_raw_json(done.stderr), done.stderr


def test_simulate_without_a_key_says_how_to_give_one(guarded: LiveServer) -> None:
    done = loglens("simulate", "--url", guarded.url, "--count", "1")
    assert done.returncode == 1, done.stderr
    assert "answered 401: this endpoint needs an API key" in done.stderr
    assert says_how_to_give_a_key(done.stderr) and no_raw_json(done.stderr), done.stderr
