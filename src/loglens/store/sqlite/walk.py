"""The time-ordered walk that answers a search, and the live tail's rows (compiled queries: query.py).

Newest first by event time without an event-time index: `log_minutes` maps each event-time minute to the id
ranges that hold its entries. A search walks minutes from the newest down in windows whose id budget grows
fourfold each time up to MAX_BUDGET (a common match fills the page from the first small window; a rare one reaches
back over the store in windows of MAX_BUDGET ids). Each window's rows come from its id ranges, either through the
FTS index (rowid-bounded) or the `logs` primary key / service index, and are ordered by (ts_ms, id) within the
window. An id range is read once per page: the matches it holds of older minutes wait for their window (Ahead). A
keyset cursor (ts_ms, id) starts the next page's walk at its minute, so the 50th page costs what the first does.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from ...model import MINUTE_MS
from .query import Compiled

COLUMNS = (
    "logs.id, logs.ts_ms, logs.timestamp, logs.level, logs.service, logs.message, logs.user_id, logs.metadata,"
    " logs.received_ms"
)
FIRST_BUDGET = 2048  # ids in the first window
GROWTH = 4
# a window's spans are merged whole though the page may end in its first ranges; since no id is read twice, small
# windows cost no re-reads, so the budget stops growing early
MAX_BUDGET = 1 << 16
MERGE_GAP = 4096  # id ranges closer than this are read as one
FIELD_CANDIDATES = 20_000  # most rows named by the field index that a page reads directly
MERGE_MAX = 4096  # ... unless that makes a range of more ids than this (a time-path block)
LIMIT_MS = 1 << 62  # beyond any timestamp, within SQLite's 64-bit integers

Cursor = tuple[int, int]  # (ts_ms, id) of the last entry returned
Span = tuple[int, int, int]  # first id, last id, newest ts_ms of their rows (at most)


def row_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    id_, _ts_ms, timestamp, level, service, message, user_id, metadata, received_ms = row
    item: dict[str, Any] = {"id": id_, "timestamp": timestamp, "level": level, "service": service, "message": message}
    if user_id is not None:
        item["user_id"] = user_id
    if metadata is not None:
        item["metadata"] = orjson.loads(metadata)
    item["received_ms"] = received_ms
    return item


def _merge(spans: list[Span]) -> list[Span]:
    """Disjoint id ranges covering `spans`, in id order. Ranges closer than MERGE_GAP read as one, up to MERGE_MAX
    ids (a bigger range would lose the newest-event-time bound that lets a page skip it); a range's bound is the
    largest of the spans that reach into it.

    Spans of different minutes overlap (a late entry's minute shares its 4096-id block with the minutes around
    it). A span that overlaps the last range but would make it too long starts where that range ends: read whole,
    its overlapping ids would be read twice and their rows returned twice."""
    spans.sort()
    merged: list[list[int]] = []
    for first, last, newest in spans:
        # every range this span reaches into may hold its newest entry (ranges cut this way are contiguous, so
        # the span's ids up to the last range's end are all covered)
        k = len(merged) - 1
        while k >= 0 and merged[k][1] >= first:
            if merged[k][0] <= last:
                merged[k][2] = max(merged[k][2], newest)
            k -= 1
        if merged and first <= merged[-1][1] + MERGE_GAP:
            prev = merged[-1]
            if last <= prev[1]:
                continue
            if last - prev[0] < MERGE_MAX:
                prev[1] = last
                prev[2] = max(prev[2], newest)
                continue
            first = max(first, prev[1] + 1)
        merged.append([first, last, newest])
    return [(a, b, c) for a, b, c in merged]


class Walk:
    """One page of a search: rows newest first by (ts_ms, id), at most `limit`, and whether more exist."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        compiled: Compiled,
        *,
        from_ms: int | None,
        to_ms: int | None,
        after: Cursor | None,
        use_index: bool = True,
        indexed: int = 0,
    ) -> None:
        self.conn = conn
        self.compiled = compiled
        self.from_ms = from_ms  # inclusive
        self.to_ms = to_ms  # exclusive
        self.after = after
        self.fts = compiled.fts if use_index else None
        self.fields = compiled.fields if use_index else None
        self.use_index = use_index
        self.indexed = indexed  # the word and field indexes cover ids up to this; newer ones are checked one by one

    def page(self, limit: int) -> tuple[list[tuple[Any, ...]], bool]:
        need = limit + 1
        if self.fields is not None:
            named = self._by_fields(need)
            if named is not None:
                return named[:limit], len(named) > limit
        found: list[tuple[Any, ...]] = []
        ahead = Ahead()
        for first_minute, last_minute, spans in self._windows():
            found += self._window(first_minute, last_minute, spans, need - len(found), ahead)
            if len(found) >= need:
                break
        else:  # every window walked: matches read ahead belong to none (entries stored during the walk)
            found += reversed(ahead.rows)
        return found[:limit], len(found) > limit

    def _bounds(self) -> tuple[int | None, int | None]:
        """The minutes to walk: from the newest minute allowed down to the oldest."""
        hi_ms = self.to_ms - 1 if self.to_ms is not None else None
        if self.after is not None:
            hi_ms = self.after[0] if hi_ms is None else min(hi_ms, self.after[0])
        hi = hi_ms // MINUTE_MS if hi_ms is not None else None
        lo = self.from_ms // MINUTE_MS if self.from_ms is not None else None
        return lo, hi

    def _windows(self) -> Iterator[tuple[int, int, list[Span]]]:
        lo, hi = self._bounds()
        if not self.use_index:  # no time path: one window over every id
            low = self.conn.execute("SELECT id FROM logs ORDER BY id LIMIT 1").fetchone()
            high = self.conn.execute("SELECT id FROM logs ORDER BY id DESC LIMIT 1").fetchone()
            if low is not None and high is not None:
                yield (
                    (lo if lo is not None else -LIMIT_MS),
                    (hi if hi is not None else LIMIT_MS),
                    [(low[0], high[0], LIMIT_MS)],
                )
            return
        sql = (
            "SELECT minute, first_id, last_id, max_ts FROM log_minutes WHERE minute BETWEEN ? AND ?"
            " ORDER BY minute DESC"
        )
        first, last = (lo if lo is not None else -LIMIT_MS, hi if hi is not None else LIMIT_MS)
        rows: Iterator[tuple[int, int, int, int | None]] = self.conn.execute(sql, (first, last))
        budget = FIRST_BUDGET
        spans: list[Span] = []
        size = 0
        first_minute = last_minute = None
        for minute, first_id, last_id, newest in rows:
            if spans and minute != first_minute and size >= budget:
                assert first_minute is not None and last_minute is not None
                yield first_minute, last_minute, spans
                spans, size, last_minute = [], 0, None
                budget = min(budget * GROWTH, MAX_BUDGET)
            if last_minute is None:
                last_minute = minute
            first_minute = minute
            spans.append((first_id, last_id, LIMIT_MS if newest is None else newest))
            size += last_id - first_id + 1
        if spans:
            assert first_minute is not None and last_minute is not None
            yield first_minute, last_minute, spans

    def _rest(self, lo_ms: int, hi_ms: int, *, through_index: bool = False) -> tuple[str, list[Any]]:
        """The conditions every row of a page meets, its order and its limit (the last parameter, added by the
        caller): within [lo_ms, hi_ms] and the search's from/to, after the cursor, and matching the query (for rows
        the word index names, what it does not decide: Compiled.fts_where)."""
        if self.from_ms is not None:
            lo_ms = max(lo_ms, self.from_ms)
        if self.to_ms is not None:
            hi_ms = min(hi_ms, self.to_ms - 1)
        conditions = ["logs.ts_ms BETWEEN ? AND ?"]
        params: list[Any] = [lo_ms, hi_ms]
        if self.after is not None:
            conditions.append("(logs.ts_ms < ? OR (logs.ts_ms = ? AND logs.id < ?))")
            params += [self.after[0], self.after[0], self.after[1]]
        if through_index:
            conditions.append(f"({self.compiled.fts_where})")
            params += self.compiled.fts_params
        else:
            conditions.append(f"({self.compiled.where})")
            params += self.compiled.params
        return " AND ".join(conditions) + " ORDER BY logs.ts_ms DESC, logs.id DESC LIMIT ?", params

    def _by_fields(self, need: int) -> list[tuple[Any, ...]] | None:
        """A page from the rows the field index names (and those newer than the index), or None when it names
        more than FIELD_CANDIDATES: then the time walk is cheaper."""
        named = self.conn.execute(
            "SELECT rowid FROM fields WHERE fields MATCH ? AND rowid <= ? LIMIT ?",
            (self.fields, self.indexed, FIELD_CANDIDATES + 1),
        ).fetchall()
        if len(named) > FIELD_CANDIDATES:
            return None
        rest, params = self._rest(-LIMIT_MS, LIMIT_MS)
        ids = orjson.dumps([row[0] for row in named]).decode()
        rows = self.conn.execute(
            f"SELECT {COLUMNS} FROM logs WHERE logs.id IN (SELECT value FROM json_each(?)) AND {rest}",
            [ids, *params, need],
        ).fetchall()
        rows += self.conn.execute(  # committed after the indexer's last round: checked one by one
            f"SELECT {COLUMNS} FROM logs WHERE logs.id > ? AND {rest}", [self.indexed, *params, need]
        ).fetchall()
        rows.sort(key=_newest_first, reverse=True)
        return rows[:need]

    def _window(
        self, first_minute: int, last_minute: int, spans: list[Span], need: int, ahead: Ahead
    ) -> list[tuple[Any, ...]]:
        """The window's matches, newest first, at most `need`. Its ranges are read without the window's lower time
        bound: the older matches they hold (late entries, and the ids a merged range spans) are kept in `ahead`
        for the window they belong to, and a range read whole is not read again by the next windows."""
        low_ms = max(first_minute * MINUTE_MS, -LIMIT_MS)
        bounds = (-LIMIT_MS, min((last_minute + 1) * MINUTE_MS - 1, LIMIT_MS))
        rest, params = self._rest(*bounds)
        rows = ahead.take(low_ms)
        ranges: list[tuple[int, int, int, bool]] = []  # (newest ts_ms, first id, last id, through the word index)
        for first_id, last_id, newest in ahead.unread(_merge(spans)):
            if self.fts is None or first_id > self.indexed:
                ranges.append((newest, first_id, last_id, False))
            elif last_id <= self.indexed:
                ranges.append((newest, first_id, last_id, True))
            else:
                ranges += [(newest, first_id, self.indexed, True), (newest, self.indexed + 1, last_id, False)]
        ranges.sort(reverse=True)  # the ranges that may hold the newest entries first
        for newest, first_id, last_id, indexed in ranges:
            if len(rows) >= need:  # enough rows: a range whose entries are all older than the need-th adds none
                rows.sort(key=_newest_first, reverse=True)
                del rows[need:]
                if newest < rows[-1][1]:
                    break
            if indexed:
                index_rest, index_params = self._rest(*bounds, through_index=True)
                sql = (
                    f"SELECT {COLUMNS} FROM search CROSS JOIN logs ON logs.id = search.rowid"
                    f" WHERE search MATCH ? AND search.rowid BETWEEN ? AND ? AND {index_rest}"
                )
                args: list[Any] = [self.fts, first_id, last_id, *index_params, need]
            else:
                sql = f"SELECT {COLUMNS} FROM logs WHERE logs.id BETWEEN ? AND ? AND {rest}"
                args = [first_id, last_id, *params, need]
            read = self.conn.execute(sql, args).fetchall()
            if len(read) < need:  # the range's every match up to the window's end: none is left to read
                ahead.done(first_id, last_id)
                ahead.keep(row for row in read if row[1] < low_ms)
            rows += (row for row in read if row[1] >= low_ms)
        rows.sort(key=_newest_first, reverse=True)
        return rows[:need]


class Ahead:
    """What a page's walk has read ahead of its windows: the id ranges read whole (every match in them up to the
    end of the window that read them) and the matches found there older than that window."""

    def __init__(self) -> None:
        self.read: list[tuple[int, int]] = []  # disjoint id ranges, in id order
        self.rows: list[tuple[Any, ...]] = []  # oldest first by (ts_ms, id)

    def done(self, first_id: int, last_id: int) -> None:
        bisect.insort(self.read, (first_id, last_id))

    def keep(self, rows: Iterable[tuple[Any, ...]]) -> None:
        count = len(self.rows)
        self.rows += rows
        if len(self.rows) > count:
            self.rows.sort(key=_newest_first)

    def take(self, low_ms: int) -> list[tuple[Any, ...]]:
        """The matches kept that are at or after low_ms (the window's start), no longer kept."""
        cut = bisect.bisect_left(self.rows, low_ms, key=_ts_ms)
        taken = self.rows[cut:]
        del self.rows[cut:]
        return taken

    def unread(self, spans: list[Span]) -> list[Span]:
        """The parts of the disjoint, id-ordered `spans` not read yet, each with its span's time bound."""
        out: list[Span] = []
        for first_id, last_id, newest in spans:
            k = max(0, bisect.bisect_right(self.read, (first_id, LIMIT_MS)) - 1)
            while first_id <= last_id and k < len(self.read):
                read_first, read_last = self.read[k]
                if read_first > last_id:
                    break
                if read_last >= first_id:
                    if read_first > first_id:
                        out.append((first_id, read_first - 1, newest))
                    first_id = read_last + 1
                k += 1
            if first_id <= last_id:
                out.append((first_id, last_id, newest))
        return out


def _newest_first(row: tuple[Any, ...]) -> tuple[int, int]:
    return row[1], row[0]  # (ts_ms, id): sorted in reverse, newest first


def _ts_ms(row: tuple[Any, ...]) -> int:
    return int(row[1])


def tail_rows(
    conn: sqlite3.Connection, compiled: Compiled, after_id: int, upto_id: int, limit: int
) -> list[tuple[Any, ...]]:
    """Matching rows with after_id < id <= upto_id, in id (commit) order: what a live tail sends next."""
    sql = (
        f"SELECT {COLUMNS} FROM logs WHERE logs.id > ? AND logs.id <= ? AND ({compiled.where}) ORDER BY logs.id LIMIT ?"
    )
    return conn.execute(sql, (after_id, upto_id, *compiled.params, limit)).fetchall()
