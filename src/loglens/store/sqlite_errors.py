"""sqlite3 errors turned into store errors, so that a raw sqlite3 exception never reaches a client.

The primary SQLite result code says whose fault it is: a full disk, a damaged file or an I/O error fails every
write (StoreFailing: /health reports it), a lock held too long by another process is a busy store, and anything
else (a constraint, a bad statement) belongs to the one job that ran it.
"""

from __future__ import annotations

import sqlite3

from .base import StoreBusy, StoreCorrupt, StoreError, StoreFailing, StoreFull

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

FAILING = {SQLITE_NOMEM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_PROTOCOL}


def primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def store_error(exc: sqlite3.Error, doing: str = "write") -> StoreError:
    """The store error for a sqlite3 exception raised while doing `doing` ("write", "read")."""
    code = primary_code(exc)
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    detail = f"{exc} ({name})"
    if code == SQLITE_FULL:
        return StoreFull(f"the disk holding the store is full: nothing was stored; retry later ({detail})")
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return StoreCorrupt(f"the store file is damaged; restore it from a backup or move it aside ({detail})")
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return StoreBusy(f"the store is locked by another writer; retry shortly ({detail})")
    if code in FAILING:
        return StoreFailing(f"the store cannot {doing} ({detail})")
    return StoreError(f"the store could not {doing} ({detail})")
