"""The startup integrity check of an SQLite store (storage.integrity_check).

`quick` runs PRAGMA quick_check before the store is used and refuses a damaged file; `full` runs the slower
PRAGMA integrity_check; `off` trusts the file. `auto` (the default) runs quick_check at startup when the file is
at most SYNC_CHECK_MAX_BYTES, and in the background after startup when it is bigger (quick_check reads every
page: about 40 s at 5M entries here, see the README); a damaged file found in the background stops all writes
(503) and fails /health. Damage is reported on one line.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

from ..base import StoreCorrupt

log = logging.getLogger(__name__)

MODES = ("auto", "quick", "full", "off")
SYNC_CHECK_MAX_BYTES = 64 << 20  # about 2 s of quick_check here
PRAGMAS = {"quick": "quick_check", "full": "integrity_check"}


def resolve(mode: str, size_bytes: int, sync_max_bytes: int = SYNC_CHECK_MAX_BYTES) -> tuple[str | None, bool]:
    """(pragma to run or None, whether to run it in the background) for a file of `size_bytes`."""
    if mode == "off" or size_bytes == 0:
        return None, False
    if mode == "auto":
        return "quick_check", size_bytes > sync_max_bytes
    return PRAGMAS[mode], False


def check(conn: sqlite3.Connection, pragma: str, path: str) -> None:
    """Raise StoreCorrupt (one line) unless PRAGMA `pragma` finds the file intact."""
    try:
        problems = [" ".join(str(row[0]).split()) for row in conn.execute(f"PRAGMA {pragma}(5)").fetchall()]
    except sqlite3.DatabaseError as exc:  # so damaged that the check itself stops
        if isinstance(exc, sqlite3.OperationalError) and "interrupted" in str(exc):
            raise
        problems = [str(exc)]
    if problems != ["ok"]:
        raise StoreCorrupt(
            f"{path} is damaged (PRAGMA {pragma}: {'; '.join(problems)}); restore it from a backup or move it aside"
        )


class BackgroundCheck:
    """Runs the check on a connection of its own while the store serves; `on_damage` is told what it found."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        pragma: str,
        path: str,
        on_damage: Callable[[StoreCorrupt], None],
    ) -> None:
        self._connect = connect
        self._pragma = pragma
        self._path = path
        self._on_damage = on_damage
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._stopped = False
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loglens-integrity-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._lock:
                if self._stopped:
                    return
                self._conn = self._connect()
            log.debug("checking %s (PRAGMA %s) in the background", self._path, self._pragma)
            check(self._conn, self._pragma, self._path)
            log.debug("%s passed PRAGMA %s", self._path, self._pragma)
        except StoreCorrupt as exc:
            log.error("%s", exc)
            self._on_damage(exc)
        except Exception as exc:  # interrupted by stop() (the store closed: nothing to report), or the file went away
            with self._lock:
                stopped = self._stopped
            level = logging.DEBUG if stopped else logging.WARNING
            log.log(level, "background integrity check of %s did not finish: %s", self._path, exc)
        finally:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
            self.done.set()

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            self._stopped = True
            if self._conn is not None:
                self._conn.interrupt()
        self._thread.join(timeout)
