"""Migration 17: silences (alerts/silences.py), kept after they end as history; matchers are JSON text"""

from __future__ import annotations

SQL = """
    CREATE TABLE silences (
        id TEXT PRIMARY KEY,
        matchers TEXT NOT NULL,
        starts_at_ms INTEGER NOT NULL,
        ends_at_ms INTEGER NOT NULL,
        comment TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        expired_by TEXT
    ) WITHOUT ROWID;
    CREATE INDEX silences_created ON silences (created_at_ms, id);
    CREATE INDEX silences_ends ON silences (ends_at_ms);
    """
