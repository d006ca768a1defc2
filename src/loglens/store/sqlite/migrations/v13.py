"""Migration 13: dashboard sessions ended by "Log out" (auth/session.py), kept until they would have expired,
so that a copied cookie is refused by every process sharing the store, also after a restart"""

from __future__ import annotations

SQL = """
    CREATE TABLE ended_sessions (id TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX ended_sessions_expiry ON ended_sessions (expires_ms);
    """
