"""Migration 3: API keys (only a SHA-256 of each secret is kept) and the secret that signs dashboard sessions"""

from __future__ import annotations

SQL = """
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('ingest', 'read', 'admin')),
        secret_sha256 TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE auth_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    """
