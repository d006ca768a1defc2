"""The SQL that several schema versions share: what the search indexes hold for a row, and the ingest_search
trigger (migrations 5, 7, 8, 10, 11 and 12 each write it anew from these parts)."""

from __future__ import annotations

from ..field_tokens import FIELD_KEYS, FIELD_VALUE_MAX

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
FIELDS_TEXT_V10 = " || ' ' || ".join(
    [f"coalesce(CASE WHEN length(logs.user_id) <= {FIELD_VALUE_MAX} THEN hex('user_id=' || logs.user_id) END, '')"]
    + [
        f"coalesce((SELECT CASE WHEN typeof(v) = 'text' AND length(v) <= {FIELD_VALUE_MAX} THEN hex('m.{key}=' || v)"
        f" END FROM (SELECT logs.metadata ->> '$.{key}' AS v)), '')"
        for key in FIELD_KEYS
    ]
)
# What it holds since migration 11: the tokens stored with the row (store/sqlite/field_tokens.py), or migration 10's for
# the rows stored before it (their field_tokens is NULL; coalesce evaluates the second only for those).
FIELDS_TEXT = f"coalesce(logs.field_tokens, {FIELDS_TEXT_V10})"
# What the word index holds since migration 18: the words a bare term or phrase is looked up by, those of the
# message, the service, the user_id and each top-level metadata string value, space-separated (the index holds no
# positions: a phrase, and the one field that must hold all its words, are checked on the candidate rows). SQLite's
# JSON functions end a string at NUL, so `\u0000` is read as a space (orjson writes NUL as that escape; an escaped
# backslash before a literal `u0000` becomes one before `u0020`, whose letters are the same). The indexer parses
# the metadata here, off the writer: the request thread and the ingest statement do no more than before.
SEARCH_TEXT_V18 = (
    "logs.message || ' ' || logs.service || ' ' || coalesce(logs.user_id, '') || ' ' || coalesce((SELECT"
    " group_concat(j.value, ' ') FROM json_each(replace(logs.metadata, '\\u0000', '\\u0020')) AS j"
    " WHERE j.type = 'text'), '')"
)
# The ids that max_logs evicts: ONE upper bound on id, so that the scan is that range (two bounds let SQLite scan
# by the larger one).
_EVICTED_IDS = """(SELECT value FROM counters WHERE name = 'logs.stored') > NEW.max_logs
            AND id <= (SELECT id FROM logs ORDER BY id
                       LIMIT 1 OFFSET (SELECT value FROM counters WHERE name = 'logs.stored') - NEW.max_logs - 1)"""
# The rollup, service and counter upserts of every ingest trigger (`ingest`, migrations 2 and 4; `ingest_search`).
UPSERTS = """        INSERT INTO rollup_minute (minute, service, total, errors)
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
"""
# The logs insert's row values, a message with NUL joined back from its parts (migration 4).
NUL_SAFE_ROW = """            SELECT v->>0, v->>1, v->>2, v->>3, v->>4,
                CASE WHEN json_type(v, '$[5]') = 'array'
                     THEN (SELECT group_concat(value, char(0)) FROM json_each(v, '$[5]')) ELSE v->>5 END,
                v->>6, v->>7
"""
# The max_logs eviction that ends every ingest trigger.
EVICT_OLDEST = f"""        DELETE FROM logs WHERE {_EVICTED_IDS};
        UPDATE counters SET value = value - changes() WHERE name = 'logs.stored' AND changes() > 0;
"""
# The `ingest_search` trigger of migrations 5, 7 and 8; TIME_PATH is its log_minutes upsert, BASE the first id of
# the rows the statement inserted.
_INGEST_SEARCH_TRIGGER = """
    CREATE TRIGGER ingest_search_apply INSTEAD OF INSERT ON ingest_search BEGIN
        INSERT INTO logs (ts_ms, received_ms, timestamp, level, service, message, user_id, metadata)
NUL_SAFE_ROW
            FROM (SELECT value AS v FROM json_each(NEW.rows) ORDER BY key);
        -- the new rows got consecutive ids ending at max(id): spans carry offsets into them
TIME_PATH
UPSERTS
        -- beyond max_logs, the oldest entries go (ids grow with arrival), from the word index first (the
        -- indexed ones: the indexer trails the writer, see store/indexer.py)
        -- ONE upper bound on id, so that the scan is that range (two bounds let SQLite scan by the larger one)
SEARCH_DELETE
EVICT_OLDEST
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
BASE_V5 = "(SELECT max(id) - NEW.entries + 1 AS base FROM logs)"
BASE_V7 = "(SELECT (SELECT max(id) FROM logs) - NEW.entries + 1 AS base)"


_TIME_PATH_V5 = """
        INSERT INTO log_minutes (minute, block, first_id, last_id)
            SELECT value->>0, (base + (value->>1)) >> 12, base + (value->>1), base + (value->>2)
            FROM json_each(NEW.spans), BASE
            WHERE true
            ON CONFLICT (minute, block) DO UPDATE
            SET first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id);"""
# Migration 8: each (minute, block) also keeps the newest event time of its rows (an upper bound once rows are
# evicted), so that a search can skip the blocks that cannot hold a newer entry than it already has.
TIME_PATH_V8 = """
        INSERT INTO log_minutes (minute, block, first_id, last_id, max_ts)
            SELECT value->>0, (base + (value->>1)) >> 12, base + (value->>1), base + (value->>2), value->>3
            FROM json_each(NEW.spans), BASE
            WHERE true
            ON CONFLICT (minute, block) DO UPDATE
            SET first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id),
                max_ts = max(coalesce(max_ts, excluded.max_ts), excluded.max_ts);"""


# Migration 10: evicted entries leave the field index too (the same bounds as the word index's delete above it).
FIELDS_DELETE = """
        INSERT INTO fields (fields, rowid, text)
            SELECT 'delete', id, FIELDS_TEXT FROM logs
            WHERE (SELECT value FROM counters WHERE name = 'logs.stored') > NEW.max_logs
            AND id <= min((SELECT value FROM counters WHERE name = 'search.indexed'), (SELECT id FROM logs ORDER BY id
                       LIMIT 1 OFFSET (SELECT value FROM counters WHERE name = 'logs.stored') - NEW.max_logs - 1));
"""
_EVICT = "        DELETE FROM logs WHERE (SELECT value FROM counters WHERE name = 'logs.stored') > NEW.max_logs"


# Migration 12: the indexes live in their own file (store/sqlite/indexer.py), which a trigger cannot reach: evicted
# entries leave their indexed text in the `unindex` queue, and the indexer deletes them from the indexes. UNINDEX_ROWS
# queues rows (the caller adds which, after WHERE), in INDEXES' order; retention's deletes queue the same way.
UNINDEX_ROWS = f"INSERT INTO unindex (id, words, tokens) SELECT id, {SEARCH_TEXT}, {FIELDS_TEXT} FROM logs WHERE"
UNINDEX_EVICTED = f"        {UNINDEX_ROWS} {_EVICTED_IDS};"


# Migration 18: a queued row's words are what the word index holds for it (SEARCH_TEXT_V18), read while the row is
# still in `logs` (the eviction in the ingest trigger and retention queue rows before deleting them). A trigger of
# its own, so that the ingest trigger (and every queueing statement) stays as it is.
UNINDEX_WORDS_V18 = f"""
    CREATE TRIGGER unindex_words AFTER INSERT ON unindex BEGIN
        UPDATE unindex SET words = coalesce((SELECT {SEARCH_TEXT_V18} FROM logs WHERE logs.id = NEW.id), NEW.words)
        WHERE qid = NEW.qid;
    END;;
"""


# Migration 11: each row's field tokens arrive as the ninth value of its JSON row.
_ROW_V5 = ("user_id, metadata)", "v->>6, v->>7\n")
ROW_V11 = ("user_id, metadata, field_tokens)", "v->>6, v->>7, v->>8\n")


def search_trigger(
    base: str,
    time_path: str = _TIME_PATH_V5,
    fields_delete: str = "",
    fields_text: str = FIELDS_TEXT_V10,
    row: tuple[str, str] = _ROW_V5,
    search_delete: str = _SEARCH_DELETE,
) -> str:
    trigger = _INGEST_SEARCH_TRIGGER.replace("NUL_SAFE_ROW\n", NUL_SAFE_ROW).replace("UPSERTS\n", UPSERTS)
    trigger = trigger.replace("EVICT_OLDEST\n", EVICT_OLDEST)
    trigger = trigger.strip("\n").replace("TIME_PATH", time_path.strip("\n"))
    trigger = trigger.replace("EVICTED_IDS", _EVICTED_IDS)
    trigger = trigger.replace("SEARCH_DELETE\n", search_delete + "\n" if search_delete else "")
    trigger = trigger.replace(_EVICT, fields_delete.strip("\n") + "\n" + _EVICT if fields_delete else _EVICT)
    for old, new in zip(_ROW_V5, row, strict=True):
        assert old in trigger
        trigger = trigger.replace(old, new)
    return trigger.replace("BASE", base).replace("SEARCH_TEXT", SEARCH_TEXT).replace("FIELDS_TEXT", fields_text)
