"""Whether the SQLite store takes writes (/health), and the probe that finds out again while it is failing."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from ..base import StoreError, StoreFull, StoreHealth
from .connections import Connections
from .writer import Writer
from .writes import add_counter

PROBE_INTERVAL = 1.0  # seconds between two health probes of a failing store
PROBE_MIN_FREE_BYTES = 1 << 20  # free space a full disk needs again before a probe tries to write


class Health:
    def __init__(self, connections: Connections, writer: Writer) -> None:
        self._connections = connections
        self._writer = writer
        self._probe_lock = threading.Lock()
        self._last_probe = 0.0

    def health(self, *, probe: bool = True) -> StoreHealth:
        writer = self._writer
        if writer.failure is not None and probe:
            self._probe()
        failure, since = writer.failure, writer.failing_since
        return StoreHealth(
            error=str(failure) if failure is not None else None,
            failing_since_ms=int(since * 1000) if failure is not None and since is not None else None,
            pending_entries=writer.pending_entries,
            size_bytes=self._connections.size_bytes(),
        )

    def _probe(self) -> None:
        """While the store is failing, try a small write (at most once per PROBE_INTERVAL), so that the store
        is seen healthy again as soon as it can take writes, even when no client writes."""
        with self._probe_lock:
            now = time.monotonic()
            if now - self._last_probe < PROBE_INTERVAL:
                return
            self._last_probe = now
        if isinstance(self._writer.failure, StoreFull) and not self._connections.memory:
            try:  # a full disk may still take one small write into the WAL's slack: wait for real space
                if shutil.disk_usage(Path(self._connections.path).parent).free < PROBE_MIN_FREE_BYTES:
                    return
            except OSError:
                return
        try:
            self._writer.submit(lambda conn: add_counter(conn, "store.probes", 1))
        except StoreError:
            pass  # still failing: the writer remembered why
