"""A message or metadata string holding NUL is stored whole (SQLite's JSON functions would end it at the NUL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loglens.store import Store
from loglens.store.batch import prepare
from loglens.store.sqlite import SQLiteStore
from loglens.validation import StatsDelta
from tests.support.entries import entry

MESSAGES = ["before\x00after", "\x00leading", "trailing\x00", "a\x00\x00b", "\x00", "plain"]


def test_messages_with_nul_come_back_as_written(store: Store) -> None:
    entries = [entry(message=m, metadata={"k": m, f"key{m}": 1}) for m in MESSAGES]
    store.write(entries, StatsDelta(valid=len(entries)))
    rows = list(reversed(store.recent_logs(10)))
    assert [r["message"] for r in rows] == MESSAGES
    assert [r["metadata"] for r in rows] == [{"k": m, f"key{m}": 1} for m in MESSAGES]
    assert store.totals().stored == len(MESSAGES)


def test_batches_with_and_without_nul_grouped_into_one_commit(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "s.db"))
    try:
        first = prepare([entry(message="one"), entry(message="two\x00")], StatsDelta(valid=2))
        second = prepare([entry(message="\x00three")], StatsDelta(valid=1))
        store._writer.submit(lambda conn: store._apply(conn, [first, second]))  # as the writer groups them
        assert [r["message"] for r in reversed(store.recent_logs(5))] == ["one", "two\x00", "\x00three"]
    finally:
        store.close()


@pytest.mark.parametrize("message", ["x" * 10 + "\x00" + "y" * 10, "\x00" * 5])
def test_nul_survives_a_reopen(tmp_path: Path, message: str) -> None:
    path = str(tmp_path / "s.db")
    store = SQLiteStore(path)
    store.write([entry(message=message)], StatsDelta(valid=1))
    store.close()
    store = SQLiteStore(path)
    try:
        assert store.recent_logs(1)[0]["message"] == message
    finally:
        store.close()
