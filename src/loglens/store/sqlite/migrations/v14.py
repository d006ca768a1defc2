"""Migration 14: the notification outbox (alerts/delivery.py): one row per (alert transition, notifier), written in
the transaction of the transition, worked through by the delivery loop with a lease (lease_owner, lease_until_ms)."""

from __future__ import annotations

SQL = """
    CREATE TABLE notifications (
        id TEXT PRIMARY KEY,
        alert_id INTEGER NOT NULL,
        notifier TEXT NOT NULL,
        event TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at_ms INTEGER NOT NULL,
        last_error TEXT,
        created_ms INTEGER NOT NULL,
        finished_ms INTEGER,
        lease_owner TEXT,
        lease_until_ms INTEGER
    );
    CREATE INDEX notifications_due ON notifications (notifier, status, next_at_ms);
    CREATE INDEX notifications_alert ON notifications (alert_id, notifier, created_ms);
    """
