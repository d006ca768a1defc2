"""Migration 8: the newest event time of each time-path block (TIME_PATH_V8), filled in for the stored ones"""

from __future__ import annotations

from .fragments import BASE_V7, TIME_PATH_V8, search_trigger

SQL = """
    ALTER TABLE log_minutes ADD COLUMN max_ts INTEGER;;
    UPDATE log_minutes SET max_ts = (SELECT max(ts_ms) FROM logs WHERE id BETWEEN first_id AND last_id);;
    DROP TRIGGER ingest_search_apply;;
    """ + search_trigger(BASE_V7, TIME_PATH_V8)
