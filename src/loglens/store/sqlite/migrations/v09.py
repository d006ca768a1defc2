"""Migration 9: the all-services scope ('') of the user rollups has its own small covering indexes. Its rows sit
among every service's rows of their bucket (the key is bucket, user_id, service), so summing them read up to 50
services x TOP_USERS_KEPT rows per bucket: 32 ms for an hour at 10M entries an hour, 2 ms through these. Ingest
writes no '' user rows (store/sqlite/topk.py's compaction does), so the indexes cost it nothing."""

from __future__ import annotations

SQL = """
    CREATE INDEX rollup_user_all ON rollup_user (minute, user_id, count) WHERE service = '';
    CREATE INDEX rollup_user_hour_all ON rollup_user_hour (hour, user_id, count) WHERE service = '';
    """
