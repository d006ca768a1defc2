"""Top users of a range at bounded cost: a sketch names the candidates, the exact rollup counts only those.

`rollup_user` (and `rollup_user_hour`) hold a row per (bucket, service, user): summing a range of them costs rows
in proportion to traffic (a burst of 1,000,000 entries from 50,000 users within an hour is about a row per entry,
merged or not). So each bucket also keeps, per service and for all services together (service ''), a topK sketch
of its users (`rollup_user_top(_hour)`, migration 10 of schema.py): a range merges one sketch per bucket, then
sums the exact counts of the TOP_USERS_KEPT users it names (PREWHERE on the user: the range's other users' rows
are skipped after reading their names only).

What it costs in accuracy: the counts shown are exact. Which users are shown is approximate: topK is SpaceSaving,
whose summaries (merged too) never hold more estimated entries than there are entries and never estimate a user
below its real count, so a user with more than 1/TOP_USERS_KEPT of the range's entries (of the service, or of all)
is always a candidate, and is listed whenever its exact count ranks within `limit`. A user below that share can
be missing, its place taken by the next-biggest candidate. tests/store/test_top_users.py checks this against
exact counts. A `limit` above TOP_USERS_KEPT is answered from the exact rollup alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .schema import TOP_USERS_KEPT

HOUR_MINUTES = 60
Query = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]


def top_users(query: Query, first: int, last: int, limit: int, service: str | None = None) -> list[tuple[str, int]]:
    """The `limit` biggest users of minutes first..last (of one service, or all), biggest first, then by name.
    Ranges longer than an hour read hourly buckets (the range's edges round out to whole hours)."""
    if last - first + 1 > HOUR_MINUTES:
        col, a, b = "hour", max(first // 60, 0) * 3600, max(last // 60, 0) * 3600
        exact, sketch = "{rollup_user_hour}", "{rollup_user_top_hour}"
    else:
        col, a, b = "minute", max(first, 0) * 60, max(last, 0) * 60
        exact, sketch = "{rollup_user}", "{rollup_user_top}"
    params: dict[str, Any] = {"a": a, "b": b, "s": service or ""}
    in_range = f"{col} >= toDateTime(%(a)s) AND {col} <= toDateTime(%(b)s)"
    of_service = " AND service = %(s)s" if service is not None else ""
    if limit <= TOP_USERS_KEPT:
        rows = query(
            f"SELECT topKMerge({TOP_USERS_KEPT})(top) FROM {sketch} PREWHERE service = %(s)s AND {in_range}", params
        )
        candidates = tuple(str(u) for u in (rows[0][0] if rows else []))
        if not candidates:
            return []
        params["users"] = candidates
        sql = f"SELECT uid, sum(count) AS n FROM {exact} PREWHERE uid IN %(users)s WHERE {in_range}{of_service}"
    else:
        sql = f"SELECT uid, sum(count) AS n FROM {exact} WHERE {in_range}{of_service}"
    rows = query(sql + f" GROUP BY uid ORDER BY n DESC, uid LIMIT {int(limit)}", params)
    return [(str(u), int(n)) for u, n in rows]
