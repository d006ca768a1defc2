"""Which process of one SQLite store sends a query rule's repeat notifications: the holder of a file lock beside
the store.

Every serving worker evaluates the rules (each shows their state), and the store keeps one alert per rule and
group, so a fire or a resolve is stored, and notified, by one worker only. A repeat is no transition: without
this lock each worker would send it. The lock (flock, released by the kernel when its holder exits) goes to the
first worker that asks; when that worker ends, the next one to ask takes it.
"""

from __future__ import annotations

import fcntl
import os
import threading


class FileLease:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._lock = threading.Lock()

    def held(self) -> bool:
        """Whether this process holds the lock (taking it if it is free)."""
        with self._lock:
            if self._fd is not None:
                return True
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                return True  # no lock file possible (a read-only directory): every worker repeats, none is silent
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
            self._fd = fd
            return True

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)  # closing the descriptor releases the lock
                self._fd = None
