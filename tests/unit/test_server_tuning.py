"""Process-wide tuning of a serving worker, which depends on the store backend it serves."""

from __future__ import annotations

from loglens.config import load
from loglens.server import switch_interval


def test_sqlite_workers_hand_over_the_gil_every_fifth_of_a_millisecond() -> None:
    # SQLite's writer gives the GIL up for every statement and must win it back quickly
    assert switch_interval(load(None, env={})) == 0.0002


def test_clickhouse_workers_keep_cpythons_default_switch_interval() -> None:
    config = load(None, env={"LOGLENS_STORAGE_BACKEND": "clickhouse"})
    assert switch_interval(config) == 0.005
