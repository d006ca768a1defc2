"""Migration 15: query alert rules (issue 24): an alert names its rule's group and labels, and the rules made
through the API are kept in `alert_rules` (the rule's JSON body by its name)."""

from __future__ import annotations

SQL = """
    ALTER TABLE alerts ADD COLUMN group_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE alerts ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
    CREATE INDEX alerts_rule_group ON alerts (rule, group_key, state);
    CREATE TABLE alert_rules (
        name TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    """
