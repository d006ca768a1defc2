"""The writer thread's group commit: jobs that queue up while a transaction runs share the next one."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from loglens.store.writer import Writer


class Target:
    """Batch jobs of one bound method, as the store submits them."""

    def __init__(self) -> None:
        self.calls: list[list[Any]] = []
        self.in_transaction: list[bool] = []

    def apply(self, conn: sqlite3.Connection, payloads: list[Any]) -> None:
        self.in_transaction.append(conn.in_transaction)
        self.calls.append(payloads)
        conn.execute("INSERT INTO t (v) SELECT value FROM json_each(?)", (str(payloads),))


def test_queued_batch_jobs_of_one_bound_method_are_applied_in_one_call(tmp_path: Path) -> None:
    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(tmp_path / "w.db", isolation_level=None, check_same_thread=False)
        conn.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER)")
        return conn

    writer = Writer(connect, max_pending_entries=1000, max_pending_bytes=1 << 20)
    target = Target()
    running, release = threading.Event(), threading.Event()

    def block(conn: sqlite3.Connection) -> None:
        running.set()
        release.wait(10)

    blocker = threading.Thread(target=writer.submit, args=(block,))
    blocker.start()
    assert running.wait(10)  # the writer is inside the blocking job: what comes next must queue
    threads = [
        threading.Thread(target=writer.submit_batch, args=(target.apply, n), kwargs={"entries": 1, "nbytes": 1})
        for n in range(5)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while writer._queue.qsize() < 5 and time.monotonic() < deadline:  # all five wait behind the blocking job
        time.sleep(0.001)
    assert writer._queue.qsize() == 5
    release.set()
    for thread in [blocker, *threads]:
        thread.join(10)
    writer.close()
    assert [sorted(call) for call in target.calls] == [[0, 1, 2, 3, 4]]
    assert target.in_transaction == [False]  # alone in its group, the batch function commits on its own
    conn = sqlite3.connect(tmp_path / "w.db")
    assert sorted(v for (v,) in conn.execute("SELECT v FROM t")) == [0, 1, 2, 3, 4]
    conn.close()
