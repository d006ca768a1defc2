"""SQLite store files for the fault tests: one filled with entries, and bytes written over part of a file."""

from __future__ import annotations

from pathlib import Path

from loglens.store.sqlite import SQLiteStore
from loglens.validation import StatsDelta
from tests.support.entries import entry


def make_store(path: Path, entries: int = 3000) -> None:
    store = SQLiteStore(str(path))
    for i in range(0, entries, 500):
        store.write([entry(i, message=f"entry {i + k} " + "m" * 200) for k in range(500)], StatsDelta(valid=500))
    store.close()


def overwrite(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(data)
