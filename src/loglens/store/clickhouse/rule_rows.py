"""Alert rules made through the API, in ClickHouse's `alert_rules` table: each change is the rule's next version
(ReplacingMergeTree), a deletion a version marked `deleted`; reads take each name's newest version.

Mixed into ClickHouseStore, which provides `_query`, `_conn`, `tables` and `_alert_lock`.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson

from ..base import StoredRule
from .connection import Connection
from .schema import Tables

RULE_COLUMNS = ("name", "body", "updated_ms", "deleted", "version")
LATEST_RULES = (
    "SELECT name, argMax(body, version) AS b, argMax(updated_ms, version) AS u, argMax(deleted, version) AS d,"
    " max(version) AS v FROM {alert_rules} {where} GROUP BY name"
)


class AlertRuleMethods:
    tables: Tables
    _alert_lock: threading.Lock

    def _query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _conn(self) -> Connection:
        raise NotImplementedError

    def alert_rules(self) -> list[StoredRule]:
        rows = self._query(
            "SELECT name, b, u FROM ("
            + LATEST_RULES.format(alert_rules="{alert_rules}", where="")
            + ") WHERE d = 0 ORDER BY name"
        )
        return [StoredRule(str(name), orjson.loads(body), int(updated)) for name, body, updated in rows]

    def save_alert_rule(self, name: str, body: dict[str, Any], now_ms: int) -> None:
        with self._alert_lock:
            self._write_rule(name, orjson.dumps(body).decode(), now_ms, deleted=0)

    def delete_alert_rule(self, name: str, now_ms: int) -> bool:
        with self._alert_lock:
            rows = self._latest_rule(name)
            if not rows or int(rows[0][3]):
                return False
            self._write_rule(name, "", now_ms, deleted=1)
            return True

    def _latest_rule(self, name: str) -> list[tuple[Any, ...]]:
        return self._query(LATEST_RULES.format(alert_rules="{alert_rules}", where="WHERE name = %(n)s"), {"n": name})

    def _write_rule(self, name: str, body: str, now_ms: int, *, deleted: int) -> None:
        rows = self._latest_rule(name)
        version = max(now_ms, int(rows[0][4]) + 1) if rows else now_ms  # newer than any version before
        self._conn().insert(self.tables["alert_rules"], RULE_COLUMNS, [(name, body, now_ms, deleted, version)])
