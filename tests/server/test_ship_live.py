"""`loglens ship` against a real `loglens serve`: files, .gz, stdin, rejected lines and an unreachable server."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import requests

from tests.support.live import LiveServer, free_port

pytestmark = pytest.mark.server


def line(service: str, i: int) -> bytes:
    entry = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": service, "message": f"m{i}"}
    return orjson.dumps(entry)


def ship(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loglens.cli", "ship", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=60,
    )


def log_count(server: LiveServer, service: str) -> int:
    health = requests.get(f"{server.url}/api/advanced-dashboard-data", timeout=5).json()["service_health"]
    return int(health.get(service, {}).get("log_count", 0))


def test_ships_plain_and_gzip_files_in_batches(server: LiveServer, tmp_path: Path) -> None:
    plain = tmp_path / "a.ndjson"
    plain.write_bytes(b"\n".join(line("ship-ok", i) for i in range(10)) + b"\n\n")
    packed = tmp_path / "b.ndjson.gz"
    packed.write_bytes(gzip.compress(b"\n".join(line("ship-ok", i) for i in range(10, 17))))

    done = ship(str(plain), str(packed), "--url", server.url, "--batch", "4")

    assert done.returncode == 0, done.stderr
    assert "done: 17 accepted, 0 rejected, 0 unsent" in done.stderr
    assert "entries/s" in done.stderr
    assert log_count(server, "ship-ok") == 17


def test_rejected_lines_are_reported_by_file_line_and_fail_the_run(server: LiveServer, tmp_path: Path) -> None:
    path = tmp_path / "mixed.ndjson"
    path.write_bytes(b"\n".join([line("ship-mixed", 1), b"", b"{broken", line("ship-mixed", 2), b'{"level": "INFO"}']))

    done = ship(str(path), "--url", server.url, "--batch", "2")

    assert done.returncode == 1
    assert f"{path}:3: not valid JSON" in done.stderr
    assert f"{path}:5: " in done.stderr and "required" in done.stderr
    assert "done: 2 accepted, 2 rejected, 0 unsent" in done.stderr
    assert log_count(server, "ship-mixed") == 2


def test_reads_stdin(server: LiveServer) -> None:
    done = ship("-", "--url", server.url, stdin=b"\n".join(line("ship-stdin", i) for i in range(3)))
    assert done.returncode == 0, done.stderr
    assert log_count(server, "ship-stdin") == 3


def test_unreachable_server_leaves_entries_unsent_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "one.ndjson"
    path.write_bytes(line("nobody", 1))
    done = ship(str(path), "--url", f"http://127.0.0.1:{free_port()}", "--retry-seconds", "0.5")
    assert done.returncode == 1
    assert "1 entries not sent: cannot reach the server" in done.stderr
    assert "0 accepted, 0 rejected, 1 unsent" in done.stderr


def test_missing_file_is_reported(tmp_path: Path) -> None:
    done = ship(str(tmp_path / "absent.ndjson"), "--url", "http://127.0.0.1:9")
    assert done.returncode == 1 and "cannot read" in done.stderr


def test_the_final_progress_line_is_printed_once(server: LiveServer, tmp_path: Path) -> None:
    path = tmp_path / "once.ndjson"
    path.write_bytes(b"\n".join(line("ship-once", i) for i in range(5)) + b"\n")

    done = ship(str(path), "--url", server.url)  # stderr is a pipe: progress lines are whole lines

    assert done.returncode == 0, done.stderr
    progress = [text for text in done.stderr.splitlines() if text.startswith("shipped ")]
    assert len(progress) == 1 and progress[0].startswith("shipped 5 entries ("), done.stderr
    assert done.stderr.splitlines()[-1].startswith("done: 5 accepted, 0 rejected, 0 unsent")
