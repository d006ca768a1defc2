"""Migration 1: entries, rollups, services, counters, alerts"""

from __future__ import annotations

SQL = """
    CREATE TABLE logs (
        id INTEGER PRIMARY KEY,
        ts_ms INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        timestamp TEXT NOT NULL,
        level TEXT NOT NULL,
        service TEXT NOT NULL,
        message TEXT NOT NULL,
        user_id TEXT,
        metadata TEXT
    );
    CREATE INDEX logs_service_id ON logs (service, id);
    CREATE TABLE rollup_minute (
        minute INTEGER NOT NULL,
        service TEXT NOT NULL,
        total INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        PRIMARY KEY (minute, service)
    ) WITHOUT ROWID;
    CREATE TABLE rollup_user (
        minute INTEGER NOT NULL,
        service TEXT NOT NULL,
        user_id TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (minute, service, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE rollup_user_hour (
        hour INTEGER NOT NULL,
        service TEXT NOT NULL,
        user_id TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (hour, service, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE services (
        service TEXT PRIMARY KEY,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        log_count INTEGER NOT NULL,
        error_count INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        rule TEXT NOT NULL,
        service TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL,
        value REAL NOT NULL,
        threshold REAL NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),
        fired_at_ms INTEGER NOT NULL,
        resolved_at_ms INTEGER
    );
    CREATE INDEX alerts_rule_service ON alerts (rule, service, fired_at_ms);
    CREATE INDEX alerts_state ON alerts (state, id);
    """
