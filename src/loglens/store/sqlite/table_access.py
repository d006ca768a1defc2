"""What a small table's class in the SQLite store is given (API keys, saved searches, silences): a read on this
thread's reader, and the writer thread's `submit`, which runs a function of the writer's connection in its next
transaction and returns its result."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

Read = Callable[[], AbstractContextManager[sqlite3.Connection]]
Submit = Callable[[Callable[[sqlite3.Connection], Any]], Any]


class TableAccess:
    def __init__(self, read: Read, submit: Submit) -> None:
        self._read = read
        self._submit = submit
