"""Migration 6: reads that cost the same at any volume (store/sqlite/topk.py): rollups count every service together
under the scope '' too, rollup_user_hour counts each scope's entries per hour under the user '', each (bucket,
scope) keeps its TOP_USERS_KEPT biggest users; alerts can be acknowledged and say why they resolved."""

from __future__ import annotations

SQL = """
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
    """
