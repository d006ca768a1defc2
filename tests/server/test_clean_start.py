"""What a user sees when LogLens starts and stops cleanly: the address first, then nothing they do not need.

Each server here is stopped with SIGTERM and waited for before its output is read, so the whole of it (start-up,
the worker's start, its shutdown) is there to assert on.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from loglens.store.sqlite import SQLiteStore, integrity
from tests.support.live import LiveServer

pytestmark = pytest.mark.server

# Lines that used to appear on every start (and stop) and that a user has no use for.
NOISE = (
    "integrity check",  # "background integrity check of ... did not finish: interrupted"
    "PRAGMA quick_check",  # "checking ... in the background", "... passed PRAGMA quick_check"
    "search index",  # "building it for the stored entries" on an empty store
    "apscheduler",  # "Adding job tentatively", "Added job", "Scheduler started", "Scheduler has been shut down"
)
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("LOGLENS_") and k != "CONFIG_PATH"}


def started_and_stopped(data_dir: Path) -> str:
    server = LiveServer(data_dir).start()
    try:
        assert server.stop(timeout=40) == 0
    finally:
        server.kill()
    return server.output()


def noise_in(output: str) -> list[str]:
    return [line for line in output.splitlines() if any(noise in line for noise in NOISE)]


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose store is over the size that moves the integrity check into the background."""
    data_dir = tmp_path_factory.mktemp("big")
    path = data_dir / "loglens.db"
    SQLiteStore(str(path)).close()
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE ballast (b BLOB)")
        conn.execute("INSERT INTO ballast VALUES (zeroblob(?))", (integrity.SYNC_CHECK_MAX_BYTES + (4 << 20),))
        conn.commit()
    finally:
        conn.close()
    assert path.stat().st_size > integrity.SYNC_CHECK_MAX_BYTES
    return data_dir


def test_a_clean_start_on_an_empty_data_dir_prints_the_address_first_and_no_noise(tmp_path: Path) -> None:
    output = started_and_stopped(tmp_path / "data")
    assert output.splitlines()[0].startswith("LogLens listening on 127.0.0.1:"), output
    assert noise_in(output) == [], output


def test_a_big_store_starts_and_stops_without_integrity_noise(big_store: Path) -> None:
    output = started_and_stopped(big_store)
    assert output.splitlines()[0].startswith("LogLens listening on 127.0.0.1:"), output
    assert noise_in(output) == [], output


def keys(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = data_dir / "keys-config.yaml"
    config.write_text("{}\n", encoding="utf-8")
    command = [sys.executable, "-m", "loglens.cli", "keys", *args, "--data-dir", str(data_dir), "--config", str(config)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=CLEAN_ENV)


def test_keys_create_and_list_print_no_integrity_noise_on_a_big_store(big_store: Path) -> None:
    created = keys(big_store, "create", "--role", "read", "--name", "ci")
    assert created.returncode == 0, created.stderr
    assert created.stderr.splitlines() == [line for line in created.stderr.splitlines() if line.startswith("created")]
    assert len(created.stderr.splitlines()) == 1, created.stderr
    listed = keys(big_store, "list")
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    assert "ci" in listed.stdout
