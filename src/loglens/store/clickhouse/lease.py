"""Leader election through a lease kept in ClickHouse, for the jobs that must run on one node at a time.

ClickHouse has no conditional update, so the lease is a rule over heartbeat rows rather than a row to lock:
every node inserts `(node, started_ms, renewed_ms)` every `lease/4` seconds, and the leader is the live node
(renewed within `lease`) that started first (ties by node id). Every node reads the same rows, so all agree.
A node that stops cleanly inserts a resignation (renewed_ms = -1) and the next one takes over at its next
heartbeat; a node that crashes is passed over once its last heartbeat is older than `lease`.

A node acts as leader only while its own last successful heartbeat is younger than `lease/2`, so a leader cut off
from ClickHouse steps down before the others take over, as long as the nodes' clocks agree to better than
`lease/2`. What can still happen during a takeover: a leader that stalls mid-evaluation (a long pause, not a
crash) may store a transition its successor also stores, so a notification can come twice; a leader that
crashes after storing a transition but before its notifier delivered it loses that notification (the queue of
notifications is in memory), though the alert row itself is stored and shown.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

from ..base import StoreError
from .connection import Connection

log = logging.getLogger(__name__)

RESIGNED = -1


class Lease:
    def __init__(
        self,
        connect: Callable[[], Connection],
        table: str,
        *,
        lease_seconds: float,
        name: str = "leader",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table = table
        self.name = name
        self.lease_ms = int(lease_seconds * 1000)
        self.node = uuid.uuid4().hex[:16]
        self.clock = clock
        self.started_ms = int(clock() * 1000)
        self.holder: str | None = None  # the node this one last saw holding the lease
        self.beats = 0  # heartbeats written (tests wait on it)
        self._connect = connect
        self._leader = False
        self._renewed_ms = 0
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._conn: Connection | None = None
        try:  # the first heartbeat before returning: a lone node leads from its first request on
            self._conn = connect()
            self._beat(self._conn)
        except StoreError as exc:
            log.warning("lease heartbeat failed: %s", exc)
        self._thread = threading.Thread(target=self._run, name="loglens-lease", daemon=True)
        self._thread.start()

    def is_leader(self) -> bool:
        return self._leader and int(self.clock() * 1000) - self._renewed_ms < self.lease_ms // 2

    def wait_beats(self, n: int, timeout: float) -> bool:
        """Wait until `n` more heartbeats have been written (tests)."""
        target = self.beats + n
        with self._changed:
            return self._changed.wait_for(lambda: self.beats >= target, timeout)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        conn = self._conn
        interval = max(self.lease_ms / 4000, 0.05)
        while not self._stop.wait(interval):
            try:
                conn = conn or self._connect()
                self._beat(conn)
            except StoreError as exc:
                self._leader = False
                log.warning("lease heartbeat failed: %s", exc)
        self._leader = False
        try:
            conn = conn or self._connect()
            now = int(self.clock() * 1000)
            conn.insert(
                self.table, ("name", "node", "started_ms", "renewed_ms"), [(self.name, self.node, now, RESIGNED)]
            )
        except StoreError as exc:
            log.warning("could not resign the lease (the others take over after it expires): %s", exc)
        if conn is not None:
            conn.close()

    def _beat(self, conn: Connection) -> None:
        now = int(self.clock() * 1000)
        conn.insert(
            self.table, ("name", "node", "started_ms", "renewed_ms"), [(self.name, self.node, self.started_ms, now)]
        )
        self._renewed_ms = now
        rows = conn.query(
            f"SELECT node, min(started_ms) AS started FROM {self.table}"
            " WHERE name = %(name)s AND (renewed_ms > %(cutoff)s OR renewed_ms = %(resigned)s)"
            " GROUP BY node HAVING max(renewed_ms) > %(cutoff)s AND min(renewed_ms) != %(resigned)s"
            " ORDER BY started, node LIMIT 1",
            {"name": self.name, "cutoff": now - self.lease_ms, "resigned": RESIGNED},
        )
        holder = str(rows[0][0]) if rows else None
        if holder != self.holder:
            log.info("lease %s: %s holds it (this node is %s)", self.name, holder, self.node)
        self.holder = holder
        self._leader = holder == self.node
        with self._changed:
            self.beats += 1
            self._changed.notify_all()
