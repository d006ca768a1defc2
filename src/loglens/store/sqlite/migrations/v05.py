"""Migration 5: search. `log_minutes` is the time access path: for each event-time minute, the id ranges holding
its entries (one row per minute and 4096-id block, so a late entry widens nothing beyond its block), upserted by
the `ingest_search` trigger in the same statement as the entries. `search` is an FTS5 index of each message's
words (fragments.SEARCH_TEXT); contentless and without positions (phrases are checked on the candidate rows). It is
filled by the indexer (store/sqlite/indexer.py), which trails the writer by a fraction of a second: counter
`search.indexed` is the highest id it has indexed; searches scan the ids above it. The user rollups are re-keyed
(time, user_id, service), so finding a user's minutes is one probe per hour and minute instead of one per
service as well (their upserts name all three columns either way)."""

from __future__ import annotations

from .fragments import BASE_V5, SEARCH_TEXT, search_trigger

# One user rollup re-keyed: copied into a table keyed (time, user_id, service), which then takes its name.
REKEY = """    CREATE TABLE {table}_by_user (
        {col} INTEGER NOT NULL,
        service TEXT NOT NULL,
        user_id TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY ({col}, user_id, service)
    ) WITHOUT ROWID;;
    INSERT INTO {table}_by_user SELECT {col}, service, user_id, count FROM {table};;
    DROP TABLE {table};;
    ALTER TABLE {table}_by_user RENAME TO {table};;
"""
REKEYED = REKEY.format(table="rollup_user", col="minute") + REKEY.format(table="rollup_user_hour", col="hour")

SQL = (
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
REKEYED
    CREATE VIRTUAL TABLE search USING fts5(
        text, content='', detail='none', columnsize=0, tokenize="unicode61 remove_diacritics 0 categories 'L*'"
    );;
    INSERT INTO search (rowid, text) SELECT id, SEARCH_TEXT FROM logs;;
    INSERT INTO counters (name, value) SELECT 'search.indexed', coalesce(max(id), 0) FROM logs;;
    CREATE VIEW ingest_search AS SELECT NULL AS rows, NULL AS minutes, NULL AS users, NULL AS hours,
        NULL AS services, NULL AS counters, NULL AS spans, NULL AS entries, NULL AS max_logs WHERE false;;
INGEST_SEARCH_TRIGGER
    """.replace("REKEYED\n", REKEYED)
    .replace("INGEST_SEARCH_TRIGGER", search_trigger(BASE_V5))
    .replace("SEARCH_TEXT", SEARCH_TEXT)
)
