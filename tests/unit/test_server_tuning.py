"""Process-wide tuning of a serving worker: its GIL switch interval depends on the store backend it serves, and
its garbage collector leaves alone what the worker built at start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from loglens.config import load
from loglens.serving.server import GC_THRESHOLDS, switch_interval

# Run in a child: worker_app changes process-wide settings that the test process must keep.
WORKER = """
import gc, sys, orjson
from loglens.config import load
from loglens.serving.server import worker_app
before = gc.get_freeze_count()
app = worker_app(load(None, env={"LOGLENS_STORAGE_DATA_DIR": sys.argv[1]}))
print(orjson.dumps([before, gc.get_freeze_count(), gc.get_threshold(), sys.getswitchinterval()]).decode())
app.extensions["loglens"].close()
"""


def test_sqlite_workers_hand_over_the_gil_every_fifth_of_a_millisecond() -> None:
    # SQLite's writer gives the GIL up for every statement and must win it back quickly
    assert switch_interval(load(None, env={})) == 0.0002


def test_clickhouse_workers_keep_cpythons_default_switch_interval() -> None:
    assert switch_interval(load(None, env={"LOGLENS_STORAGE_BACKEND": "clickhouse"})) == 0.005


def test_a_worker_freezes_its_start_up_heap_and_collects_young_objects_rarely(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(tmp_path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    before, frozen, thresholds, interval = orjson.loads(done.stdout.strip().splitlines()[-1])
    assert before == 0
    assert frozen > 10_000  # the app, Flask and the store's modules: out of every collection's walk
    assert tuple(thresholds) == GC_THRESHOLDS
    assert interval == pytest.approx(0.0002)
