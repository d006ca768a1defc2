"""SQLite schema versions. Startup applies the missing ones and refuses a store newer than this code."""

from __future__ import annotations

import sqlite3

from .base import StoreError

MIGRATIONS: list[str] = [
    # 1: entries, rollups, services, counters, alerts
    """
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
    """,
    # 2: a group commit as ONE statement. Inserting a row into the `ingest` view runs this trigger: the entries,
    # every rollup, the counters and the max_logs eviction, all inside one sqlite3_step. Python's sqlite3 holds
    # the GIL between statements, and under load every statement had to win it back from the request threads
    # (measured: 8 statements took 1.3 ms per commit beside 8 busy threads, 0.4 ms alone). Each column holds a
    # JSON array built by store/batch.py. Statements end with `;;` because trigger bodies contain `;`.
    """
    CREATE VIEW ingest AS SELECT NULL AS rows, NULL AS minutes, NULL AS users, NULL AS hours, NULL AS services,
        NULL AS counters, NULL AS max_logs WHERE false;;
    CREATE TRIGGER ingest_apply INSTEAD OF INSERT ON ingest BEGIN
        -- the ordered subquery renders each row once (a flattened one renders it for each of the 8 columns)
        INSERT INTO logs (ts_ms, received_ms, timestamp, level, service, message, user_id, metadata)
            SELECT v->>0, v->>1, v->>2, v->>3, v->>4, v->>5, v->>6, v->>7
            FROM (SELECT value AS v FROM json_each(NEW.rows) ORDER BY key);
        INSERT INTO rollup_minute (minute, service, total, errors)
            SELECT value->>0, value->>1, value->>2, value->>3 FROM json_each(NEW.minutes) WHERE true
            ON CONFLICT (minute, service) DO UPDATE
            SET total = total + excluded.total, errors = errors + excluded.errors;
        INSERT INTO rollup_user (minute, service, user_id, count)
            SELECT value->>0, value->>1, value->>2, value->>3 FROM json_each(NEW.users) WHERE true
            ON CONFLICT (minute, service, user_id) DO UPDATE SET count = count + excluded.count;
        INSERT INTO rollup_user_hour (hour, service, user_id, count)
            SELECT value->>0, value->>1, value->>2, value->>3 FROM json_each(NEW.hours) WHERE true
            ON CONFLICT (hour, service, user_id) DO UPDATE SET count = count + excluded.count;
        INSERT INTO services (service, first_seen_ms, last_seen_ms, log_count, error_count)
            SELECT value->>0, value->>1, value->>2, value->>3, value->>4 FROM json_each(NEW.services) WHERE true
            ON CONFLICT (service) DO UPDATE SET first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),
                last_seen_ms = max(last_seen_ms, excluded.last_seen_ms),
                log_count = log_count + excluded.log_count, error_count = error_count + excluded.error_count;
        INSERT INTO counters (name, value)
            SELECT value->>0, value->>1 FROM json_each(NEW.counters) WHERE true
            ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
        -- beyond max_logs, the oldest entries go (ids grow with arrival)
        DELETE FROM logs WHERE (SELECT value FROM counters WHERE name = 'logs.stored') > NEW.max_logs
            AND id <= (SELECT id FROM logs ORDER BY id
                       LIMIT 1 OFFSET (SELECT value FROM counters WHERE name = 'logs.stored') - NEW.max_logs - 1);
        UPDATE counters SET value = value - changes() WHERE name = 'logs.stored' AND changes() > 0;
    END;;
    """,
    # 3: reads that cost the same at any volume (store/topk.py): rollups count every service together under the
    # scope '' too, rollup_user_hour counts each scope's entries per hour under the user '', each (bucket, scope)
    # keeps its TOP_USERS_KEPT biggest users; alerts can be acknowledged and say why they resolved.
    """
    INSERT INTO rollup_user (minute, service, user_id, count)
        SELECT minute, '', user_id, SUM(count) FROM rollup_user GROUP BY minute, user_id;
    INSERT INTO rollup_user_hour (hour, service, user_id, count)
        SELECT hour, '', user_id, SUM(count) FROM rollup_user_hour GROUP BY hour, user_id;
    INSERT INTO rollup_minute (minute, service, total, errors)
        SELECT minute, '', SUM(total), SUM(errors) FROM rollup_minute GROUP BY minute;
    INSERT INTO rollup_user_hour (hour, service, user_id, count)
        SELECT minute / 60, service, '', SUM(total) FROM rollup_minute GROUP BY minute / 60, service;
    DELETE FROM rollup_user WHERE (minute, service, user_id) IN (SELECT minute, service, user_id FROM (
        SELECT minute, service, user_id,
            row_number() OVER (PARTITION BY minute, service ORDER BY count DESC, user_id) AS rank
        FROM rollup_user) WHERE rank > 100);
    DELETE FROM rollup_user_hour WHERE (hour, service, user_id) IN (SELECT hour, service, user_id FROM (
        SELECT hour, service, user_id,
            row_number() OVER (PARTITION BY hour, service ORDER BY count DESC, user_id) AS rank
        FROM rollup_user_hour) WHERE rank > 100);
    ALTER TABLE alerts ADD COLUMN acked_at_ms INTEGER;
    ALTER TABLE alerts ADD COLUMN resolved_reason TEXT;
    """,
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
    for version in range(found + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return int(found)


def _statements(script: str) -> list[str]:
    separator = ";;" if ";;" in script else ";"
    return [s.strip() for s in script.split(separator) if s.strip()]
