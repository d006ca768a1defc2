"""The SQLite store's aggregate reads, from the rollups the ingest trigger keeps with the entries: totals,
validation stats, per-minute counts, services, top users and services, the stored time span."""

from __future__ import annotations

from typing import Any

import orjson

from ...model import MAX_TS_MS, MIN_TS_MS, MINUTE_MS
from ..base import MinuteCount, ServiceInfo, Totals
from .batch import ALL_SERVICES, HOUR_MINUTES
from .connections import Connections
from .topk import Pruner, top_users_sql

LONG_RANGE_MINUTES = 360  # longer ranges rank services from hourly counts


class Reads:
    def __init__(self, connections: Connections, pruner: Pruner) -> None:
        self._connections = connections
        self._pruner = pruner  # which buckets this process wrote since their last compaction (topk.py)

    def totals(self) -> Totals:
        with self._connections.read() as conn:
            values = dict(conn.execute("SELECT name, value FROM counters WHERE name LIKE 'logs.%'").fetchall())
        return Totals(values.get("logs.total", 0), values.get("logs.errors", 0), values.get("logs.stored", 0))

    def validation_stats(self) -> dict[str, Any]:
        with self._connections.read() as conn:
            rows = conn.execute(
                "SELECT name, value FROM counters WHERE name LIKE 'validation.%' OR name LIKE 'error_type.%'"
            ).fetchall()
        values = dict(rows)
        valid, invalid = values.get("validation.valid", 0), values.get("validation.invalid", 0)
        error_types = {k.split(".", 1)[1]: v for k, v in sorted(values.items()) if k.startswith("error_type.")}
        return {"total": valid + invalid, "valid": valid, "invalid": invalid, "error_types": error_types}

    def minute_counts(self, first: int, last: int, service: str | None = None) -> list[MinuteCount]:
        """One row per minute of the scope (a service, or ALL_SERVICES): point lookups, however many services."""
        scope = ALL_SERVICES if service is None else service
        with self._connections.read() as conn:
            rows = conn.execute(
                "SELECT minute, total, errors FROM rollup_minute WHERE minute IN (SELECT value FROM json_each(?))"
                " AND service = ? ORDER BY minute",
                (_json_range(first, last), scope),
            ).fetchall()
        return [MinuteCount(m, t, e) for m, t, e in rows]

    def service_window(self, first: int, last: int) -> dict[str, tuple[int, int]]:
        with self._connections.read() as conn:
            rows = conn.execute(
                "SELECT service, SUM(total), SUM(errors) FROM rollup_minute WHERE minute BETWEEN ? AND ?"
                " AND service != '' GROUP BY service",
                (first, last),
            ).fetchall()
        return {s: (t, e) for s, t, e in rows}

    def services(self) -> list[ServiceInfo]:
        with self._connections.read() as conn:
            rows = conn.execute(
                "SELECT service, first_seen_ms, last_seen_ms, log_count, error_count FROM services ORDER BY service"
            ).fetchall()
        return [ServiceInfo(*r) for r in rows]

    def top_users(self, first: int, last: int, limit: int, service: str | None = None) -> list[tuple[str, int]]:
        """Approximate: from the users each bucket kept (topk.py). Long ranges read hourly buckets (the range's
        edges round out to whole hours)."""
        long_range = last - first + 1 > HOUR_MINUTES
        if long_range:
            buckets = range(first // HOUR_MINUTES, last // HOUR_MINUTES + 1)
            dirty = {m // HOUR_MINUTES for m in self._pruner.dirty_minutes()}
        else:
            buckets = range(first, last + 1)
            dirty = set(self._pruner.dirty_minutes())
        params: tuple[Any, ...]
        if service is None:
            clean = orjson.dumps([b for b in buckets if b not in dirty]).decode()
            params = (clean, orjson.dumps([b for b in buckets if b in dirty]).decode(), limit)
        else:
            params = (_json_range(buckets.start, buckets.stop - 1), service, limit)
        with self._connections.read() as conn:
            rows = conn.execute(top_users_sql(long_range, service is None), params)
            return [(u, n) for u, n in rows.fetchall()]

    def top_services(self, first: int, last: int, limit: int) -> list[tuple[str, int]]:
        """Up to LONG_RANGE_MINUTES from the minute rollup; longer ranges from each known service's hourly count
        (rollup_user_hour's ANY_USER rows; the range's edges round out to whole hours)."""
        if last - first + 1 <= LONG_RANGE_MINUTES:
            sql = (
                "SELECT service, SUM(total) AS n FROM rollup_minute WHERE minute BETWEEN ? AND ? AND service != ''"
                " GROUP BY service ORDER BY n DESC, service LIMIT ?"
            )
            params: tuple[Any, ...] = (first, last, limit)
        else:
            sql = (
                "SELECT service, SUM(count) AS n FROM rollup_user_hour WHERE hour IN (SELECT value FROM json_each(?))"
                " AND service IN (SELECT service FROM services) AND user_id = ''"
                " GROUP BY service ORDER BY n DESC, service LIMIT ?"
            )
            params = (_json_range(first // HOUR_MINUTES, last // HOUR_MINUTES), limit)
        with self._connections.read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [(s, n) for s, n in rows]

    def minute_range(self) -> tuple[int, int] | None:
        """The first and last minute holding entries, within the accepted event times: a store written before they
        were enforced may hold an entry in year 10000 (or 0), which no read may trip over (ClickHouse's DateTime
        cannot hold one at all)."""
        bounds = (MIN_TS_MS // MINUTE_MS, MAX_TS_MS // MINUTE_MS)
        where = "FROM rollup_minute WHERE minute BETWEEN ? AND ? ORDER BY minute"
        with self._connections.read() as conn:
            first = conn.execute(f"SELECT minute {where} LIMIT 1", bounds).fetchone()
            last = conn.execute(f"SELECT minute {where} DESC LIMIT 1", bounds).fetchone()
        return None if first is None else (first[0], last[0])


def _json_range(first: int, last: int) -> str:
    """first..last inclusive as a JSON array, for `x IN (SELECT value FROM json_each(?))` point lookups."""
    return orjson.dumps(list(range(first, last + 1))).decode()
