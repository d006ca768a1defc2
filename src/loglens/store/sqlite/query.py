"""The query AST compiled to SQLite SQL, and the time-ordered walk that answers a search.

Compiling gives two things. `where` is an SQL condition over the `logs` row that decides every leaf exactly
(user text only ever travels as a parameter). `fts` is an FTS5 expression implied by the query (every matching row
contains it) over the `search` index (migration 5), or None; it only narrows the rows to look at.

Newest first by event time without an event-time index: `log_minutes` maps each event-time minute to the id
ranges that hold its entries. A search walks minutes from the newest down in windows whose id budget grows
fourfold each time (a common match fills the page from the first small window; a rare one reaches back over the
whole store in a dozen windows). Each window's rows come from its id ranges, either through the FTS index
(rowid-bounded) or the `logs` primary key / service index, and are ordered by (ts_ms, id) within the window. A
keyset cursor (ts_ms, id) starts the next page's walk at its minute, so the 50th page costs what the first does.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from ..model import LEVEL_RANK, MINUTE_MS
from ..search.query import (
    WORD_RE,
    And,
    Everything,
    FieldIs,
    LevelCompare,
    MetaCompare,
    MetaIs,
    Node,
    Not,
    Or,
    Words,
)
from .field_tokens import FIELD_KEYS, indexable, legacy_token, token

COLUMNS = (
    "logs.id, logs.ts_ms, logs.timestamp, logs.level, logs.service, logs.message, logs.user_id, logs.metadata,"
    " logs.received_ms"
)
FIRST_BUDGET = 2048  # ids in the first window
GROWTH = 4
MAX_BUDGET = 1 << 22
MERGE_GAP = 4096  # id ranges closer than this are read as one
FIELD_CANDIDATES = 20_000  # most rows named by the field index that a page reads directly
MERGE_MAX = 4096  # ... unless that makes a range of more ids than this (a time-path block)
LIMIT_MS = 1 << 62  # beyond any timestamp, within SQLite's 64-bit integers
NUMBER_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")

Cursor = tuple[int, int]  # (ts_ms, id) of the last entry returned
Span = tuple[int, int, int]  # first id, last id, newest ts_ms of their rows (at most)


@dataclass(frozen=True, slots=True)
class Compiled:
    where: str
    params: tuple[Any, ...]
    fts: str | None  # over the word index (`search`)
    fields: str | None = None  # over the field index (`fields`, store/field_tokens.py)


# -- words: the SQL function behind message matching ------------------------------------------------------------


@lru_cache(maxsize=256)
def _split(words: str) -> tuple[str, ...]:
    return tuple(words.split(" "))


def words_match(message: str | None, words: str, prefix: int) -> int:
    """1 when `message` has the space-separated `words` consecutively (the last as a prefix when `prefix`)."""
    if message is None:
        return 0
    tokens = WORD_RE.findall(message.lower())
    wanted = _split(words)
    n = len(wanted)
    if n == 1 and not prefix:
        return 1 if wanted[0] in tokens else 0
    head, last = wanted[:-1], wanted[-1]
    for i in range(len(tokens) - n + 1):
        if tuple(tokens[i : i + n - 1]) == head:
            token = tokens[i + n - 1]
            if token == last or (prefix and token.startswith(last)):
                return 1
    return 0


def register_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("loglens_words", 3, words_match, deterministic=True)


# -- compiling ---------------------------------------------------------------------------------------------------


def compile_query(node: Node) -> Compiled:
    params: list[Any] = []
    where = _where(node, params)
    # user_id and id equalities go through the field index; the user rollups cannot name a user's minutes, since
    # each bucket keeps only its biggest users (store/topk.py)
    return Compiled(where, tuple(params), _fts(node), _fields(node))


def _meta_path(key: str) -> str:
    return '$."' + key + '"'  # keys are [A-Za-z0-9_.-]: the grammar allows nothing that needs escaping


def _where(node: Node, params: list[Any]) -> str:
    if isinstance(node, Everything):
        return "1"
    if isinstance(node, Words):
        params += [" ".join(node.words), int(node.prefix)]
        return "loglens_words(logs.message, ?, ?)"
    if isinstance(node, FieldIs):
        column = f"logs.{node.field}"
        if node.prefix:
            params += [len(node.value), node.value]
            return f"coalesce(substr({column}, 1, ?) = ?, 0)"
        params.append(node.value)
        return f"{column} IS ?" if node.field == "user_id" else f"{column} = ?"
    if isinstance(node, LevelCompare):
        levels = [name for name, rank in LEVEL_RANK.items() if _compare(rank, node.op, node.rank)]
        if not levels:
            return "0"
        params += levels
        return f"logs.level IN ({', '.join('?' * len(levels))})"
    if isinstance(node, MetaIs):
        path = _meta_path(node.key)
        if node.prefix:
            params += [path, path, len(node.value), node.value]
            return (
                "coalesce(json_type(logs.metadata, ?) IN ('text', 'integer')"
                " AND substr(CAST(json_extract(logs.metadata, ?) AS TEXT), 1, ?) = ?, 0)"
            )
        # metadata is stored as orjson writes it, so a string value equal to v appears in the text as
        # orjson.dumps(v): a substring test (cheap) before any JSON parsing (dear) on each scanned row
        parts = [
            "instr(logs.metadata, ?) > 0 AND json_type(logs.metadata, ?) = 'text'"
            " AND json_extract(logs.metadata, ?) = ?"
        ]
        params += [orjson.dumps(node.value).decode(), path, path, node.value]
        number = _number(node.value)
        if number is not None:
            parts.append("json_type(logs.metadata, ?) IN ('integer', 'real') AND json_extract(logs.metadata, ?) = ?")
            params += [path, path, number]
        if node.value in ("true", "false"):
            parts.append("json_type(logs.metadata, ?) = ?")
            params += [path, node.value]
        return "coalesce(" + " OR ".join(f"({p})" for p in parts) + ", 0)"
    if isinstance(node, MetaCompare):
        path = _meta_path(node.key)
        params += [path, path, node.number]
        return (
            "coalesce(json_type(logs.metadata, ?) IN ('integer', 'real')"
            f" AND json_extract(logs.metadata, ?) {node.op} ?, 0)"
        )
    if isinstance(node, Not):
        return f"NOT ({_where(node.child, params)})"
    if isinstance(node, And):
        return " AND ".join(f"({_where(c, params)})" for c in node.children)
    if isinstance(node, Or):
        return " OR ".join(f"({_where(c, params)})" for c in node.children)
    raise TypeError(f"unknown query node {node!r}")


def _number(text: str) -> float | None:
    if not NUMBER_RE.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _compare(left: float, op: str, right: float) -> bool:
    return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]


def _implied(node: Node, leaf: Callable[[Node], str | None]) -> str | None:
    """An FTS5 expression every row matching `node` satisfies, built from what `leaf` says of its leaves (None:
    this index cannot narrow them): AND keeps the parts it can say, OR needs them all."""
    if isinstance(node, And):
        parts = [p for p in (_implied(c, leaf) for c in node.children) if p is not None]
        return " AND ".join(f"({p})" for p in parts) or None
    if isinstance(node, Or):
        ors = [_implied(c, leaf) for c in node.children]
        if any(p is None for p in ors):
            return None
        return " OR ".join(f"({p})" for p in ors)
    return leaf(node)


def _fts(node: Node) -> str | None:
    """Over the word index (`search`): the all-letter words of the query."""
    return _implied(node, _words_leaf)


def _words_leaf(node: Node) -> str | None:
    if not isinstance(node, Words):
        return None
    terms = []
    for i, word in enumerate(node.words):
        # the index holds runs of letters only (numbers, most of a log's distinct tokens, made it cost
        # twice as much); ASCII only: SQLite and Python fold a few other letters differently
        if not (word.isascii() and word.isalpha()):
            continue
        last_prefix = node.prefix and i == len(node.words) - 1
        terms.append(f'"{word}"' + ("*" if last_prefix else ""))
    return " AND ".join(terms) or None


def _fields(node: Node) -> str | None:
    """Over the field index (`fields`, store/field_tokens.py): only the equalities it can answer, user_id and a
    FIELD_KEYS metadata value that can only match a string (one that reads as a number or a boolean also matches
    those, which the index leaves out). The rows it names are then checked by `where` like any others."""
    return _implied(node, _fields_leaf)


def _fields_leaf(node: Node) -> str | None:
    if isinstance(node, FieldIs) and node.field == "user_id" and not node.prefix:
        return _field_token("user_id", node.value)
    if isinstance(node, MetaIs) and node.key in FIELD_KEYS and not node.prefix and _number(node.value) is None:
        if node.value not in ("true", "false"):
            return _field_token(node.key, node.value)
    return None


def _field_token(field: str, value: str) -> str | None:
    if not indexable(value):  # not in the index: the time walk finds it
        return None
    return f'"{token(field, value)}" OR "{legacy_token(field, value)}"'  # rows stored since and before migration 11


# -- the time-ordered walk ---------------------------------------------------------------------------------------


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
        for first_minute, last_minute, spans in self._windows():
            found += self._window(first_minute, last_minute, spans, need - len(found))
            if len(found) >= need:
                break
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

    def _rest(self, lo_ms: int, hi_ms: int) -> tuple[str, list[Any]]:
        """The conditions every row of a page meets, its order and its limit (the last parameter, added by the
        caller): within [lo_ms, hi_ms] and the search's from/to, after the cursor, and matching the query."""
        if self.from_ms is not None:
            lo_ms = max(lo_ms, self.from_ms)
        if self.to_ms is not None:
            hi_ms = min(hi_ms, self.to_ms - 1)
        conditions = ["logs.ts_ms BETWEEN ? AND ?"]
        params: list[Any] = [lo_ms, hi_ms]
        if self.after is not None:
            conditions.append("(logs.ts_ms < ? OR (logs.ts_ms = ? AND logs.id < ?))")
            params += [self.after[0], self.after[0], self.after[1]]
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

    def _window(self, first_minute: int, last_minute: int, spans: list[Span], need: int) -> list[tuple[Any, ...]]:
        rest, params = self._rest(
            max(first_minute * MINUTE_MS, -LIMIT_MS), min((last_minute + 1) * MINUTE_MS - 1, LIMIT_MS)
        )
        rows: list[tuple[Any, ...]] = []
        ranges: list[tuple[int, int, int, bool]] = []  # (newest ts_ms, first id, last id, through the word index)
        for first_id, last_id, newest in _merge(spans):
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
                sql = (
                    f"SELECT {COLUMNS} FROM search CROSS JOIN logs ON logs.id = search.rowid"
                    f" WHERE search MATCH ? AND search.rowid BETWEEN ? AND ? AND {rest}"
                )
                args: list[Any] = [self.fts, first_id, last_id, *params, need]
            else:
                sql = f"SELECT {COLUMNS} FROM logs WHERE logs.id BETWEEN ? AND ? AND {rest}"
                args = [first_id, last_id, *params, need]
            rows += self.conn.execute(sql, args).fetchall()
        rows.sort(key=_newest_first, reverse=True)
        return rows[:need]


def _newest_first(row: tuple[Any, ...]) -> tuple[int, int]:
    return row[1], row[0]  # (ts_ms, id): sorted in reverse, newest first


def tail_rows(
    conn: sqlite3.Connection, compiled: Compiled, after_id: int, upto_id: int, limit: int
) -> list[tuple[Any, ...]]:
    """Matching rows with after_id < id <= upto_id, in id (commit) order: what a live tail sends next."""
    sql = (
        f"SELECT {COLUMNS} FROM logs WHERE logs.id > ? AND logs.id <= ? AND ({compiled.where}) ORDER BY logs.id LIMIT ?"
    )
    return conn.execute(sql, (after_id, upto_id, *compiled.params, limit)).fetchall()
