"""Migration 2: a group commit as ONE statement. Inserting a row into the `ingest` view runs this trigger: the
entries, every rollup, the counters and the max_logs eviction, all inside one sqlite3_step. Python's sqlite3
holds the GIL between statements, and under load every statement had to win it back from the request threads
(measured: 8 statements took 1.3 ms per commit beside 8 busy threads, 0.4 ms alone). Each column holds a JSON
array built by store/sqlite/batch.py. Statements end with `;;` because trigger bodies contain `;`."""

from __future__ import annotations

from .fragments import EVICT_OLDEST, UPSERTS

# The logs insert's row values; migration 4 keeps a message with NUL whole instead (fragments.NUL_SAFE_ROW).
ROW = "            SELECT v->>0, v->>1, v->>2, v->>3, v->>4, v->>5, v->>6, v->>7\n"
# The `ingest` view's trigger (again in migration 4, with NUL_SAFE_ROW for ROW).
INGEST_TRIGGER = (
    """
    CREATE TRIGGER ingest_apply INSTEAD OF INSERT ON ingest BEGIN
        -- the ordered subquery renders each row once (a flattened one renders it for each of the 8 columns)
        INSERT INTO logs (ts_ms, received_ms, timestamp, level, service, message, user_id, metadata)
"""
    + ROW
    + """            FROM (SELECT value AS v FROM json_each(NEW.rows) ORDER BY key);
"""
    + UPSERTS
    + """        -- beyond max_logs, the oldest entries go (ids grow with arrival)
"""
    + EVICT_OLDEST
    + """    END;;
    """
)
SQL = (
    """
    CREATE VIEW ingest AS SELECT NULL AS rows, NULL AS minutes, NULL AS users, NULL AS hours, NULL AS services,
        NULL AS counters, NULL AS max_logs WHERE false;;"""
    + INGEST_TRIGGER
)
