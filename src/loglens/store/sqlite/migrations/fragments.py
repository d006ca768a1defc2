"""SQLite schema versions. Startup applies the missing ones and refuses a store newer than this code."""

from __future__ import annotations

import sqlite3

from .base import StoreError
from .field_tokens import FIELD_KEYS, FIELD_VALUE_MAX

# What the word index holds for one `logs` row. Only the message: one token per user_id and metadata value was
# measured to cost ingest about 10 us per entry (unique tokens are the dearest FTS5 work); user_id and id lookups
# use the field index (FIELDS_TEXT), other metadata filters the time path. One expression, so the trigger, the
# backfill and every delete agree on it.
SEARCH_TEXT = "message"
# What the field index held for one `logs` row in migration 10: the hex of "user_id=<id>" and of "m.<key>=<value>"
# for each FIELD_KEYS metadata key whose value is a string, each of at most FIELD_VALUE_MAX characters (hex keeps
# any value one token). Only the identifiers people look entries up by: a token for every metadata string cost the
# in-process ingest floor about 30% (measured), user_id and request_id about 9%. Other keys, numbers, booleans and
# longer strings walk the time path. `logs.`-qualified, so that the expression also works in the `'delete'`
# statements that select from logs.
_FIELDS_TEXT_V10 = " || ' ' || ".join(
    [f"coalesce(CASE WHEN length(logs.user_id) <= {FIELD_VALUE_MAX} THEN hex('user_id=' || logs.user_id) END, '')"]
    + [
        f"coalesce((SELECT CASE WHEN typeof(v) = 'text' AND length(v) <= {FIELD_VALUE_MAX} THEN hex('m.{key}=' || v)"
        f" END FROM (SELECT logs.metadata ->> '$.{key}' AS v)), '')"
        for key in FIELD_KEYS
    ]
)
# What it holds since migration 11: the tokens stored with the row (store/field_tokens.py), or migration 10's for
# the rows stored before it (their field_tokens is NULL; coalesce evaluates the second only for those).
FIELDS_TEXT = f"coalesce(logs.field_tokens, {_FIELDS_TEXT_V10})"
# The word and field indexes: (FTS5 table, what it holds per row); the indexer fills both (store/indexer.py).
INDEXES = (("search", SEARCH_TEXT), ("fields", FIELDS_TEXT))

# The ids that max_logs evicts: ONE upper bound on id, so that the scan is that range (two bounds let SQLite scan
# by the larger one).
_EVICTED_IDS = """(SELECT value FROM counters WHERE name = 'logs.stored') > NEW.max_logs
            AND id <= (SELECT id FROM logs ORDER BY id
                       LIMIT 1 OFFSET (SELECT value FROM counters WHERE name = 'logs.stored') - NEW.max_logs - 1)"""
# The `ingest_search` trigger of migrations 5, 7 and 8; TIME_PATH is its log_minutes upsert, BASE the first id of
# the rows the statement inserted.
_INGEST_SEARCH_TRIGGER = """
    CREATE TRIGGER ingest_search_apply INSTEAD OF INSERT ON ingest_search BEGIN
        INSERT INTO logs (ts_ms, received_ms, timestamp, level, service, message, user_id, metadata)
            SELECT v->>0, v->>1, v->>2, v->>3, v->>4,
                CASE WHEN json_type(v, '$[5]') = 'array'
                     THEN (SELECT group_concat(value, char(0)) FROM json_each(v, '$[5]')) ELSE v->>5 END,
                v->>6, v->>7
            FROM (SELECT value AS v FROM json_each(NEW.rows) ORDER BY key);
        -- the new rows got consecutive ids ending at max(id): spans carry offsets into them
TIME_PATH
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
        -- beyond max_logs, the oldest entries go (ids grow with arrival), from the word index first (the
        -- indexed ones: the indexer trails the writer, see store/indexer.py)
        -- ONE upper bound on id, so that the scan is that range (two bounds let SQLite scan by the larger one)
SEARCH_DELETE
        DELETE FROM logs WHERE EVICTED_IDS;
        UPDATE counters SET value = value - changes() WHERE name = 'logs.stored' AND changes() > 0;
    END;;
"""
_SEARCH_DELETE = """        INSERT INTO search (search, rowid, text)
            SELECT 'delete', id, SEARCH_TEXT FROM logs
            WHERE (SELECT value FROM counters WHERE name = 'logs.stored') > NEW.max_logs
            AND id <= min((SELECT value FROM counters WHERE name = 'search.indexed'), (SELECT id FROM logs ORDER BY id
                       LIMIT 1 OFFSET (SELECT value FROM counters WHERE name = 'logs.stored') - NEW.max_logs - 1));"""
# Migration 5's BASE: inside the trigger SQLite ran `max(id) - NEW.entries + 1` as a scan of every logs row (the
# min/max optimisation needs max(id) alone), so each commit cost grew with the store (measured: 11 ms per 1,000
# entries on an empty store, 57 ms at 1M). Migration 7's BASE reads max(id) as a one-row probe.
_BASE_V5 = "(SELECT max(id) - NEW.entries + 1 AS base FROM logs)"
_BASE_V7 = "(SELECT (SELECT max(id) FROM logs) - NEW.entries + 1 AS base)"


_TIME_PATH_V5 = """
        INSERT INTO log_minutes (minute, block, first_id, last_id)
            SELECT value->>0, (base + (value->>1)) >> 12, base + (value->>1), base + (value->>2)
            FROM json_each(NEW.spans), BASE
            WHERE true
            ON CONFLICT (minute, block) DO UPDATE
            SET first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id);"""
# Migration 8: each (minute, block) also keeps the newest event time of its rows (an upper bound once rows are
# evicted), so that a search can skip the blocks that cannot hold a newer entry than it already has.
_TIME_PATH_V8 = """
        INSERT INTO log_minutes (minute, block, first_id, last_id, max_ts)
            SELECT value->>0, (base + (value->>1)) >> 12, base + (value->>1), base + (value->>2), value->>3
            FROM json_each(NEW.spans), BASE
            WHERE true
            ON CONFLICT (minute, block) DO UPDATE
            SET first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id),
                max_ts = max(coalesce(max_ts, excluded.max_ts), excluded.max_ts);"""


# Migration 10: evicted entries leave the field index too (the same bounds as the word index's delete above it).
_FIELDS_DELETE = """
        INSERT INTO fields (fields, rowid, text)
            SELECT 'delete', id, FIELDS_TEXT FROM logs
            WHERE (SELECT value FROM counters WHERE name = 'logs.stored') > NEW.max_logs
            AND id <= min((SELECT value FROM counters WHERE name = 'search.indexed'), (SELECT id FROM logs ORDER BY id
                       LIMIT 1 OFFSET (SELECT value FROM counters WHERE name = 'logs.stored') - NEW.max_logs - 1));
"""
_EVICT = "        DELETE FROM logs WHERE (SELECT value FROM counters WHERE name = 'logs.stored') > NEW.max_logs"


# Migration 12: the indexes live in their own file (store/indexer.py), which a trigger cannot reach: evicted entries
# leave their indexed text in the `unindex` queue, and the indexer deletes them from the indexes. UNINDEX_ROWS
# queues rows (the caller adds which, after WHERE), in INDEXES' order; retention's deletes queue the same way.
UNINDEX_ROWS = f"INSERT INTO unindex (id, words, tokens) SELECT id, {SEARCH_TEXT}, {FIELDS_TEXT} FROM logs WHERE"
_UNINDEX_EVICTED = f"        {UNINDEX_ROWS} {_EVICTED_IDS};"


# Migration 11: each row's field tokens arrive as the ninth value of its JSON row.
_ROW_V5 = ("user_id, metadata)", "v->>6, v->>7\n")
_ROW_V11 = ("user_id, metadata, field_tokens)", "v->>6, v->>7, v->>8\n")


def _search_trigger(
    base: str,
    time_path: str = _TIME_PATH_V5,
    fields_delete: str = "",
    fields_text: str = _FIELDS_TEXT_V10,
    row: tuple[str, str] = _ROW_V5,
    search_delete: str = _SEARCH_DELETE,
) -> str:
    trigger = _INGEST_SEARCH_TRIGGER.strip("\n").replace("TIME_PATH", time_path.strip("\n"))
    trigger = trigger.replace("EVICTED_IDS", _EVICTED_IDS)
    trigger = trigger.replace("SEARCH_DELETE\n", search_delete + "\n" if search_delete else "")
    trigger = trigger.replace(_EVICT, fields_delete.strip("\n") + "\n" + _EVICT if fields_delete else _EVICT)
    for old, new in zip(_ROW_V5, row, strict=True):
        assert old in trigger
        trigger = trigger.replace(old, new)
    return trigger.replace("BASE", base).replace("SEARCH_TEXT", SEARCH_TEXT).replace("FIELDS_TEXT", fields_text)


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
    # 3: API keys (only a SHA-256 of each secret is kept) and the secret that signs dashboard sessions
    """
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('ingest', 'read', 'admin')),
        secret_sha256 TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE auth_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    """,
    # 4: a message holding NUL (U+0000) is stored whole. SQLite 3.40's JSON functions end a string at NUL, so
    # `v->>5` kept "before" of "before\u0000after"; store/batch.py now sends such a message as the list of its
    # NUL-separated parts, joined back here with char(0). Only the logs insert changes; `service` and `user_id`
    # may not hold NUL at all (the validator rejects them).
    """
    DROP TRIGGER ingest_apply;;
    CREATE TRIGGER ingest_apply INSTEAD OF INSERT ON ingest BEGIN
        -- the ordered subquery renders each row once (a flattened one renders it for each of the 8 columns)
        INSERT INTO logs (ts_ms, received_ms, timestamp, level, service, message, user_id, metadata)
            SELECT v->>0, v->>1, v->>2, v->>3, v->>4,
                CASE WHEN json_type(v, '$[5]') = 'array'
                     THEN (SELECT group_concat(value, char(0)) FROM json_each(v, '$[5]')) ELSE v->>5 END,
                v->>6, v->>7
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
    # 5: search. `log_minutes` is the time access path: for each event-time minute, the id ranges holding its
    # entries (one row per minute and 4096-id block, so a late entry widens nothing beyond its block), upserted
    # by the `ingest_search` trigger in the same statement as the entries. `search` is an FTS5 index of each
    # message's words (SEARCH_TEXT above); contentless and without positions (phrases are checked on the
    # candidate rows). It is filled by the indexer (store/indexer.py), which trails the writer by a fraction of a
    # second: counter `search.indexed` is the highest id it has indexed; searches scan the ids above it.
    # The user rollups are re-keyed (time, user_id, service), so finding a user's minutes is one probe per
    # hour and minute instead of one per service as well (their upserts name all three columns either way).
    """
    CREATE TABLE log_minutes (
        minute INTEGER NOT NULL,
        block INTEGER NOT NULL,
        first_id INTEGER NOT NULL,
        last_id INTEGER NOT NULL,
        PRIMARY KEY (minute, block)
    ) WITHOUT ROWID;;
    INSERT INTO log_minutes (minute, block, first_id, last_id)
        SELECT minute, id >> 12, min(id), max(id)
        FROM (SELECT CASE WHEN ts_ms >= 0 THEN ts_ms / 60000 ELSE (ts_ms - 59999) / 60000 END AS minute, id FROM logs)
        GROUP BY 1, 2;;
    CREATE TABLE rollup_user_by_user (
        minute INTEGER NOT NULL,
        service TEXT NOT NULL,
        user_id TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (minute, user_id, service)
    ) WITHOUT ROWID;;
    INSERT INTO rollup_user_by_user SELECT minute, service, user_id, count FROM rollup_user;;
    DROP TABLE rollup_user;;
    ALTER TABLE rollup_user_by_user RENAME TO rollup_user;;
    CREATE TABLE rollup_user_hour_by_user (
        hour INTEGER NOT NULL,
        service TEXT NOT NULL,
        user_id TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (hour, user_id, service)
    ) WITHOUT ROWID;;
    INSERT INTO rollup_user_hour_by_user SELECT hour, service, user_id, count FROM rollup_user_hour;;
    DROP TABLE rollup_user_hour;;
    ALTER TABLE rollup_user_hour_by_user RENAME TO rollup_user_hour;;
    CREATE VIRTUAL TABLE search USING fts5(
        text, content='', detail='none', columnsize=0, tokenize="unicode61 remove_diacritics 0 categories 'L*'"
    );;
    INSERT INTO search (rowid, text) SELECT id, SEARCH_TEXT FROM logs;;
    INSERT INTO counters (name, value) SELECT 'search.indexed', coalesce(max(id), 0) FROM logs;;
    CREATE VIEW ingest_search AS SELECT NULL AS rows, NULL AS minutes, NULL AS users, NULL AS hours,
        NULL AS services, NULL AS counters, NULL AS spans, NULL AS entries, NULL AS max_logs WHERE false;;
INGEST_SEARCH_TRIGGER
    """.replace("INGEST_SEARCH_TRIGGER", _search_trigger(_BASE_V5)).replace("SEARCH_TEXT", SEARCH_TEXT),
    # 6: reads that cost the same at any volume (store/topk.py): rollups count every service together under the
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
    # 7: the ingest_search trigger again, with a time path whose cost does not grow with the store (_BASE_V7)
    "DROP TRIGGER ingest_search_apply;;\n" + _search_trigger(_BASE_V7),
    # 8: the newest event time of each time-path block (_TIME_PATH_V8), filled in for the stored ones
    """
    ALTER TABLE log_minutes ADD COLUMN max_ts INTEGER;;
    UPDATE log_minutes SET max_ts = (SELECT max(ts_ms) FROM logs WHERE id BETWEEN first_id AND last_id);;
    DROP TRIGGER ingest_search_apply;;
    """
    + _search_trigger(_BASE_V7, _TIME_PATH_V8),
    # 9: the all-services scope ('') of the user rollups has its own small covering indexes. Its rows sit among
    # every service's rows of their bucket (the key is bucket, user_id, service), so summing them read up to 50
    # services x TOP_USERS_KEPT rows per bucket: 32 ms for an hour at 10M entries an hour, 2 ms through these.
    # Ingest writes no '' user rows (store/topk.py's compaction does), so the indexes cost it nothing.
    """
    CREATE INDEX rollup_user_all ON rollup_user (minute, user_id, count) WHERE service = '';
    CREATE INDEX rollup_user_hour_all ON rollup_user_hour (hour, user_id, count) WHERE service = '';
    """,
    # 10: the field index (FIELDS_TEXT): an equality on user_id, request_id or trace_id finds its rows in it instead
    # of walking the time path (1.7 s for one request id among 1M entries). Filled for the entries the word index
    # already covers; the indexer does the rest, for both indexes together.
    """
    CREATE VIRTUAL TABLE fields USING fts5(
        text, content='', detail='none', columnsize=0, tokenize="unicode61 remove_diacritics 0"
    );;
    INSERT INTO fields (rowid, text) SELECT id, FIELDS_TEXT FROM logs
        WHERE id <= (SELECT coalesce(max(value), 0) FROM counters WHERE name = 'search.indexed');;
    DROP TRIGGER ingest_search_apply;;
    """.replace("FIELDS_TEXT", _FIELDS_TEXT_V10)
    + _search_trigger(_BASE_V7, _TIME_PATH_V8, _FIELDS_DELETE),
    # 11: the field tokens come with each row (store/field_tokens.py; indexing costs about a third of what it did
    # when SQLite built them from the stored JSON); the rows stored before keep migration 10's (FIELDS_TEXT)
    """
    ALTER TABLE logs ADD COLUMN field_tokens TEXT;;
    DROP TRIGGER ingest_search_apply;;
    """
    + _search_trigger(_BASE_V7, _TIME_PATH_V8, _FIELDS_DELETE, FIELDS_TEXT, _ROW_V11),
    # 12: the word and field indexes move to a file of their own (store/indexer.py), rebuilt there in the
    # background; entries leaving the store queue their indexed text in `unindex` for the indexer. `search.epoch`
    # names this store, so that an index file built for another one is rebuilt rather than used.
    """
    DROP TRIGGER ingest_search_apply;;
    DROP TABLE search;;
    DROP TABLE fields;;
    DELETE FROM counters WHERE name = 'search.indexed';;
    INSERT INTO counters (name, value) VALUES ('search.epoch', abs(random() >> 2));;
    CREATE TABLE unindex (qid INTEGER PRIMARY KEY, id INTEGER NOT NULL, words TEXT NOT NULL, tokens TEXT NOT NULL);;
    """
    + _search_trigger(_BASE_V7, _TIME_PATH_V8, _UNINDEX_EVICTED, FIELDS_TEXT, _ROW_V11, search_delete=""),
    # 13: dashboard sessions ended by "Log out" (auth/session.py), kept until they would have expired, so that a
    # copied cookie is refused by every process sharing the store, also after a restart
    """
    CREATE TABLE ended_sessions (id TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX ended_sessions_expiry ON ended_sessions (expires_ms);
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
    # table renames leave trigger bodies alone: migration 5 swaps tables that the ingest triggers name
    conn.execute("PRAGMA legacy_alter_table = ON")
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
    conn.execute("PRAGMA legacy_alter_table = OFF")
    return int(found)


def _statements(script: str) -> list[str]:
    separator = ";;" if ";;" in script else ";"
    return [s.strip() for s in script.split(separator) if s.strip()]
