"""Migration 16: saved searches (search/saved.py), a name unique in the store, the columns as a JSON array."""

from __future__ import annotations

SQL = """
    CREATE TABLE saved_searches (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        query TEXT NOT NULL,
        range_from TEXT NOT NULL,
        range_to TEXT NOT NULL,
        columns TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    """
