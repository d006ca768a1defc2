"""Migration 19: `rollup_level` (and `rollup_level_hour`, the same per hour): each event-time minute's entries
counted per service (and for all services, '') and level, exactly as stored; what answers `count()` by service
and level (and their timecharts) without reading the entries (store/sqlite/rollup_stats.py). A row also keeps the
lowest and highest id of the batches that counted into it: entries leave the store only as a prefix of ids
(max_logs, retention), so a row whose `first_id` is at or above the lowest stored id counts only stored entries;
the other rows' minutes are read from the entries. The ingest triggers take the counts from each `minutes`
element's fifth value, {level: count} (store/sqlite/batch.py); the entries stored before are counted here."""

from __future__ import annotations

from .fragments import (
    BASE_V7,
    FIELDS_TEXT,
    NUL_SAFE_ROW,
    ROW_V11,
    TIME_PATH_V8,
    UNINDEX_EVICTED,
    UPSERTS,
    search_trigger,
)
from .v02 import INGEST_TRIGGER, ROW

_LEVEL_UPSERT = """        INSERT INTO rollup_level (minute, service, level, count, first_id, last_id)
            SELECT m.value->>0, m.value->>1, l.key, l.value, ids.last - ENTRIES + 1, ids.last
            FROM json_each(NEW.minutes) AS m, json_each(m.value, '$[4]') AS l,
                (SELECT (SELECT max(id) FROM logs) AS last) AS ids
            WHERE true
            ON CONFLICT (service, minute, level) DO UPDATE SET count = count + excluded.count,
                first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id);
        INSERT INTO rollup_level_hour (hour, service, level, count, first_id, last_id)
            SELECT (m.value->>0) / 60, m.value->>1, l.key, l.value, ids.last - ENTRIES + 1, ids.last
            FROM json_each(NEW.minutes) AS m, json_each(m.value, '$[4]') AS l,
                (SELECT (SELECT max(id) FROM logs) AS last) AS ids
            WHERE true
            ON CONFLICT (service, hour, level) DO UPDATE SET count = count + excluded.count,
                first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id);
"""


def _with_levels(trigger: str, entries: str) -> str:
    assert UPSERTS in trigger
    return trigger.replace(UPSERTS, UPSERTS + _LEVEL_UPSERT.replace("ENTRIES", entries))


SQL = (
    """
    CREATE TABLE rollup_level (
        minute INTEGER NOT NULL,
        service TEXT NOT NULL,
        level TEXT NOT NULL,
        count INTEGER NOT NULL,
        first_id INTEGER NOT NULL,
        last_id INTEGER NOT NULL,
        PRIMARY KEY (service, minute, level)
    ) WITHOUT ROWID;;
    INSERT INTO rollup_level (minute, service, level, count, first_id, last_id)
        SELECT ts_ms / 60000, service, level, count(*), min(id), max(id) FROM logs GROUP BY 1, 2, 3;;
    INSERT INTO rollup_level (minute, service, level, count, first_id, last_id)
        SELECT minute, '', level, sum(count), min(first_id), max(last_id) FROM rollup_level GROUP BY 1, 3;;
    CREATE TABLE rollup_level_hour (
        hour INTEGER NOT NULL,
        service TEXT NOT NULL,
        level TEXT NOT NULL,
        count INTEGER NOT NULL,
        first_id INTEGER NOT NULL,
        last_id INTEGER NOT NULL,
        PRIMARY KEY (service, hour, level)
    ) WITHOUT ROWID;;
    INSERT INTO rollup_level_hour (hour, service, level, count, first_id, last_id)
        SELECT minute / 60, service, level, sum(count), min(first_id), max(last_id) FROM rollup_level
        GROUP BY 1, 2, 3;;
    DROP TRIGGER ingest_apply;;
    DROP TRIGGER ingest_search_apply;;
    """
    + _with_levels(INGEST_TRIGGER.replace(ROW, NUL_SAFE_ROW), "json_array_length(NEW.rows)")
    + _with_levels(
        search_trigger(BASE_V7, TIME_PATH_V8, UNINDEX_EVICTED, FIELDS_TEXT, ROW_V11, search_delete=""), "NEW.entries"
    )
)
