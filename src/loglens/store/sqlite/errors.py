"""sqlite3 errors turned into store errors, so that a raw sqlite3 exception never reaches a client.

The primary SQLite result code says whose fault it is: a full disk, a damaged file or an I/O error fails every
write (StoreFailing: /health reports it), a lock held too long by another process is a busy store, and anything
else (a constraint, a bad statement) belongs to the one job that ran it. A shared-memory file that cannot grow
(SQLITE_IOERR_SHMSIZE: a reader or writer opening a store on a full disk) counts as a full disk.
"""

from __future__ import annotations

import os
import shutil
import sqlite3

from ..base import StoreBusy, StoreCorrupt, StoreError, StoreFailing, StoreFull

SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_NOMEM = 7
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_PROTOCOL = 15
SQLITE_NOTADB = 26
SQLITE_IOERR_SHMSIZE = SQLITE_IOERR | (19 << 8)  # the shared-memory file could not grow: no space for it

FAILING = {SQLITE_NOMEM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_PROTOCOL}
# Free space below which an I/O error met while opening a store counts as a full disk (no_space)
LOW_SPACE_BYTES = 1 << 20


def primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def store_error(exc: sqlite3.Error, doing: str = "write") -> StoreError:
    """The store error for a sqlite3 exception raised while doing `doing` ("write", "read")."""
    code = primary_code(exc)
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    detail = f"{exc} ({name})"
    if code == SQLITE_FULL or getattr(exc, "sqlite_errorcode", None) == SQLITE_IOERR_SHMSIZE:
        outcome = "nothing was stored" if doing == "write" else f"cannot {doing}"
        return StoreFull(f"the disk holding the store is full: {outcome}; retry later ({detail})")
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return StoreCorrupt(f"the store file is damaged; restore it from a backup or move it aside ({detail})")
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return StoreBusy(f"the store is locked by another writer; retry shortly ({detail})")
    if code in FAILING:
        return StoreFailing(f"the store cannot {doing} ({detail})")
    return StoreError(f"the store could not {doing} ({detail})")


def no_space(exc: sqlite3.Error, path: str) -> bool:
    """Whether `exc`, met while opening the store at `path`, comes from a full disk: SQLITE_FULL, or an I/O error
    while the disk holding `path` has (almost) no free space (SQLite reports a shared-memory or write-ahead log file
    it cannot grow as SQLITE_IOERR, without the ENOSPC behind it)."""
    code = primary_code(exc)
    if isinstance(store_error(exc, "open"), StoreFull):
        return True
    if code != SQLITE_IOERR:  # not SQLITE_CANTOPEN: a file that cannot be opened at all must stop startup
        return False
    try:
        return shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free < LOW_SPACE_BYTES
    except OSError:
        return False
