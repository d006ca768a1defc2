"""Top users of a range at bounded cost: each write's biggest users name the candidates, the exact rollup counts
only those.

`rollup_user` (and `rollup_user_hour`) hold a row per (bucket, service, user): summing a range of them costs rows
in proportion to traffic (a burst of 1,000,000 entries from 50,000 users within an hour is about a row per entry,
merged or not). So each write also adds, per minute, the TOP_USERS_KEPT biggest users of the write over all
services, and per hour the sums of those kept rows, to `rollup_user_top` (migration 10 of schema.py; a
SummingMergeTree; ClickHouse 18.16's topK states merge wrongly and its views cannot rank, so `kept_rows` ranks them
in Python, on the thread that prepares the write, not on the writer thread whose INSERTs set the ingest pace). They
go in one INSERT per group of writes into `rollup_user_top_buffer`, a Buffer table: an INSERT into a MergeTree
costs the server a new part (about as much as the rest of a write's small INSERTs together), a Buffer holds the
rows in memory, answers reads with them at once, and moves them into the table as one part every few seconds
(schema.TOP_BUFFER_SECONDS). A range sums those rows, ranks the users by them, and counts the first TOP_USERS_KEPT
exactly from the rollup (PREWHERE on the user: the range's other users' rows are skipped after reading their
names).

What it costs in accuracy: the counts shown are exact; which users are shown is approximate, as on SQLite
(store/sqlite/topk.py). A user with more than 1/TOP_USERS_KEPT of a write's entries in a minute is always kept for
it, so a user that is big in every write is found; a user spread thinly over many writes, each time below the cut,
ranks by the part of its entries that was kept and can be missed. Of a minute with more than TOP_USERS_KEPT
users, a write keeps only users it saw more than once (one seen once has at most 1% of the entries; picking some by
name would keep noise): a burst from many users keeps a few rows per write instead of a hundred. When fewer users
are kept for a range than asked for, the exact rollup answers alone. tests/store/test_top_users.py measures it
against exact counts. If ClickHouse itself stops abruptly, the kept rows still in its buffer (at most the last
TOP_BUFFER_SECONDS[1] seconds of writes) are lost: those writes' users are then ranked as if unkept, their counts
stay exact. One service's top users (a twentieth of a burst of 20 services), and a `limit` above TOP_USERS_KEPT,
are answered from the exact rollup alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from heapq import nsmallest
from typing import Any

from ...model import MINUTE_MS
from .schema import TOP_USERS_KEPT

HOUR_MINUTES = 60
Query = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]
COLUMNS = ("span", "bucket", "uid", "count")  # of rollup_user_top: bucket = epoch seconds // span
KeptRows = list[tuple[int, int, str, int]]
MINUTE, HOUR = 60, 3600  # spans
# The event times a kept row can have: ClickHouse's DateTime (1970 to 2106), which the dashboard's ranges read.
# A store may hold entries outside it (an older version wrote them past validation); their minutes are no
# bucket (UInt32) and no range reaches them, so they are not kept.
DATETIME_END_MS = (1 << 32) * 1000


def kept_rows(entries: Iterable[tuple[int, str | None]]) -> KeptRows:
    """For one write's (ts_ms, user_id): the TOP_USERS_KEPT biggest users of each minute over all services (ties:
    by name; of a minute with more users than that, only those seen more than once), as (MINUTE, epoch minute, uid,
    count) rows, and their sums per hour as (HOUR, epoch hour, uid, count) rows."""
    per_minute = Counter(  # in C
        (ts_ms // MINUTE_MS, user) for ts_ms, user in entries if user is not None and 0 <= ts_ms < DATETIME_END_MS
    )
    groups: dict[int, dict[str, int]] = {}
    for (minute, user), n in per_minute.items():
        groups.setdefault(minute, {})[user] = n
    rows: KeptRows = []
    per_hour: Counter[tuple[int, str]] = Counter()
    for minute, users in groups.items():
        if len(users) <= TOP_USERS_KEPT:
            biggest: Iterable[tuple[str, int]] = users.items()
        else:  # then a user seen once has at most 1% of the minute's entries: never kept (any would be arbitrary)
            biggest = nsmallest(TOP_USERS_KEPT, ((u, n) for u, n in users.items() if n > 1), _biggest)
        for user, n in biggest:
            rows.append((MINUTE, minute, user, n))
            per_hour[minute // HOUR_MINUTES, user] += n
    rows += [(HOUR, hour, user, n) for (hour, user), n in per_hour.items()]
    return rows


def _biggest(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def top_users(query: Query, first: int, last: int, limit: int, service: str | None = None) -> list[tuple[str, int]]:
    """The `limit` biggest users of minutes first..last (of one service, or all), biggest first, then by name.
    Ranges longer than an hour read hourly buckets (the range's edges round out to whole hours)."""
    hours = last - first + 1 > HOUR_MINUTES
    first_b, last_b = (max(first // 60, 0), max(last // 60, 0)) if hours else (max(first, 0), max(last, 0))
    col, exact = ("hour", "{rollup_user_hour}") if hours else ("minute", "{rollup_user}")
    seconds = HOUR if hours else MINUTE
    params: dict[str, Any] = {"a": first_b * seconds, "b": last_b * seconds, "ka": first_b, "kb": last_b}
    params["s"], params["span"] = service, seconds
    in_range = f"{col} >= toDateTime(%(a)s) AND {col} <= toDateTime(%(b)s)"
    of_service = " AND service = %(s)s" if service is not None else ""
    candidates: list[tuple[Any, ...]] = []
    if limit <= TOP_USERS_KEPT and service is None:
        candidates = query(
            "SELECT uid, sum(count) AS n FROM {rollup_user_top_buffer}"
            " WHERE span = %(span)s AND bucket >= %(ka)s AND bucket <= %(kb)s"
            f" GROUP BY uid ORDER BY n DESC, uid LIMIT {TOP_USERS_KEPT}",
            params,
        )
    if candidates and len(candidates) >= limit:
        params["users"] = tuple(str(u) for u, _ in candidates)
        sql = f"SELECT uid, sum(count) AS n FROM {exact} PREWHERE uid IN %(users)s WHERE {in_range}{of_service}"
    else:  # fewer candidates than asked for (users seen once each, or none in the range): the exact rollup answers
        sql = f"SELECT uid, sum(count) AS n FROM {exact} WHERE {in_range}{of_service}"
    rows = query(sql + f" GROUP BY uid ORDER BY n DESC, uid LIMIT {int(limit)}", params)
    return [(str(u), int(n)) for u, n in rows]
