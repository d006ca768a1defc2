"""Runs the SQLite schema versions (one module each, v01 to v19): startup applies the missing ones, each in its
own transaction, and refuses a store newer than this code. The store's version is SQLite's `user_version`."""

from __future__ import annotations

import sqlite3

from ...base import StoreError
from . import v01, v02, v03, v04, v05, v06, v07, v08, v09, v10, v11, v12, v13, v14, v15, v16, v17, v18, v19

MIGRATIONS: list[str] = [
    m.SQL for m in (v01, v02, v03, v04, v05, v06, v07, v08, v09, v10, v11, v12, v13, v14, v15, v16, v17, v18, v19)
]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring the store at `conn` to SCHEMA_VERSION; returns the version it had."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema version {found}, newer than this LogLens supports ({SCHEMA_VERSION}); "
            "upgrade LogLens or point storage.path at another file"
        )
    # table renames leave trigger bodies alone: migration 5 swaps tables that the ingest triggers name
    conn.execute("PRAGMA legacy_alter_table = ON")
    for version in range(found + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    conn.execute("PRAGMA legacy_alter_table = OFF")
    return int(found)


def statements(script: str) -> list[str]:
    separator = ";;" if ";;" in script else ";"
    return [s.strip() for s in script.split(separator) if s.strip()]
