"""Top users of a range at bounded cost: each write's biggest users name the candidates, the exact rollup counts
only those.

`rollup_user` (and `rollup_user_hour`) hold a row per (bucket, service, user): summing a range of them costs rows
in proportion to traffic (a burst of 1,000,000 entries from 50,000 users within an hour is about a row per entry,
merged or not). So each write also adds, per minute and per hour, the TOP_USERS_KEPT biggest users of the write over
all services (service '': one service's users in one write are few, keeping them would cut nothing) to
`rollup_user_top(_hour)`
(migration 10 of schema.py; a SummingMergeTree, computed here on the writer thread: ClickHouse 18.16's topK
states merge wrongly, and its materialized views cannot rank). A range sums those rows, ranks the users by them,
and counts the first TOP_USERS_KEPT exactly from the rollup (PREWHERE on the user: the range's other users' rows
are skipped after reading their names).

What it costs in accuracy: the counts shown are exact; which users are shown is approximate, as on SQLite
(store/sqlite/topk.py). A user with more than 1/TOP_USERS_KEPT of a write's entries in a bucket is always kept for
it, so a user that is big in every write is found; a user spread thinly over many writes, each time below the cut,
ranks by the part of its entries that was kept and can be missed. tests/store/test_top_users.py measures it
against exact counts. One service's top users (a twentieth of a burst of 20 services), and a `limit` above
TOP_USERS_KEPT, are answered from the exact rollup alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from .schema import TOP_USER_TABLES, TOP_USERS_KEPT

HOUR_MINUTES = 60
Query = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]
COLUMNS = ("bucket", "service", "uid", "count")  # the bucket column is named per table (schema.TOP_USER_TABLES)


def kept_rows(entries: Iterable[tuple[int, str, str | None]]) -> dict[str, list[tuple[int, str, str, int]]]:
    """For one write's (ts_ms, service, user_id): per table, the TOP_USERS_KEPT biggest users of each bucket over
    all services, as (bucket, '', uid, count) rows (ties: by name)."""
    per_minute = Counter((ts_ms // 60_000, user) for ts_ms, _, user in entries if user is not None)
    out: dict[str, list[tuple[int, str, str, int]]] = {}
    for table, _, seconds in TOP_USER_TABLES:
        groups: dict[int, dict[str, int]] = {}
        for (minute, user), n in per_minute.items():
            users = groups.setdefault(minute * 60 // seconds, {})
            users[user] = users.get(user, 0) + n
        rows = out.setdefault(table, [])
        for bucket, users in groups.items():
            biggest = (
                sorted(users.items(), key=_biggest)[:TOP_USERS_KEPT] if len(users) > TOP_USERS_KEPT else users.items()
            )
            rows += [(bucket, "", user, n) for user, n in biggest]
    return out


def _biggest(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def top_users(query: Query, first: int, last: int, limit: int, service: str | None = None) -> list[tuple[str, int]]:
    """The `limit` biggest users of minutes first..last (of one service, or all), biggest first, then by name.
    Ranges longer than an hour read hourly buckets (the range's edges round out to whole hours)."""
    hours = last - first + 1 > HOUR_MINUTES
    first_b, last_b = (max(first // 60, 0), max(last // 60, 0)) if hours else (max(first, 0), max(last, 0))
    col, exact, kept = (
        ("hour", "{rollup_user_hour}", "{rollup_user_top_hour}")
        if hours
        else ("minute", "{rollup_user}", "{rollup_user_top}")
    )
    seconds = 3600 if hours else 60
    params: dict[str, Any] = {"a": first_b * seconds, "b": last_b * seconds, "ka": first_b, "kb": last_b}
    params["s"] = service
    in_range = f"{col} >= toDateTime(%(a)s) AND {col} <= toDateTime(%(b)s)"
    of_service = " AND service = %(s)s" if service is not None else ""
    if limit <= TOP_USERS_KEPT and service is None:
        rows = query(
            f"SELECT uid, sum(count) AS n FROM {kept} WHERE service = '' AND {col} >= %(ka)s AND {col} <= %(kb)s"
            f" GROUP BY uid ORDER BY n DESC, uid LIMIT {TOP_USERS_KEPT}",
            params,
        )
        if not rows:
            return []
        params["users"] = tuple(str(u) for u, _ in rows)
        sql = f"SELECT uid, sum(count) AS n FROM {exact} PREWHERE uid IN %(users)s WHERE {in_range}{of_service}"
    else:
        sql = f"SELECT uid, sum(count) AS n FROM {exact} WHERE {in_range}{of_service}"
    rows = query(sql + f" GROUP BY uid ORDER BY n DESC, uid LIMIT {int(limit)}", params)
    return [(str(u), int(n)) for u, n in rows]
