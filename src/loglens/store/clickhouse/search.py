"""The query AST compiled to ClickHouse SQL (18.16 and later), with every user value passed as a parameter.

Matching needs no JSON or text functions that 18.16 lacks: at write time each entry also stores the words of its
message (`words`, split and lowercased by the same Python code the query language defines), the words of its
service, user_id and top-level metadata strings (`field_words`, each field's words after an empty string, so that no
phrase spans two fields: a bare word or phrase tests both arrays) and its top-level metadata as parallel arrays
(`meta_k` key, `meta_t` kind, `meta_s` text, `meta_n` number), so every leaf is an exact array test and results
equal SQLite's. Entries stored before `field_words` existed read it from its DEFAULT (schema.FIELD_WORDS_DEFAULT).
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from ...model import LEVEL_RANK, MINUTE_MS
from ...search.query import (
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
    of_service,
    words_of,
)
from ..base import SearchPage
from ..query_values import compare, number

SELECTED = "id, ts_ms, timestamp, level, service, message, user_id, metadata, received_ms"
FIELD_SAMPLE_ROWS = 2000
FIELD_SLICES = 16  # fields(): one-minute runs sampled across the stored times, besides the latest
MAX_DATETIME_MS = (1 << 32) * 1000  # ClickHouse DateTime ends in 2106
RECENT_MINUTES = 1440  # recent_logs(): the newest minutes with entries whose counts bound its search
# meta_t kinds
STRING, INTEGER, REAL, BOOLEAN, OTHER = 1, 2, 3, 4, 5


def message_words(message: str) -> list[str]:
    return list(words_of(message))


def field_words(service: str, user_id: str | None, metadata: dict[str, Any] | None) -> list[str]:
    """The words a bare term is looked up by besides the message's: the service's, the user_id's and each top-level
    metadata string's, each field's after an empty string (a word is never empty, so no phrase matches across)."""
    out = list(words_of(service))
    for text in (user_id, *(metadata.values() if metadata else ())):
        if type(text) is str:
            out.append("")
            out += words_of(text)
    return out


def meta_arrays(metadata: dict[str, Any] | None) -> tuple[list[str], list[int], list[str], list[float]]:
    keys: list[str] = []
    kinds: list[int] = []
    texts: list[str] = []
    numbers: list[float] = []
    for key, value in (metadata or {}).items():
        keys.append(key)
        if isinstance(value, bool):
            kinds.append(BOOLEAN)
            texts.append("true" if value else "false")
            numbers.append(math.nan)
        elif isinstance(value, str):
            kinds.append(STRING)
            texts.append(value)
            numbers.append(math.nan)
        elif isinstance(value, int):
            kinds.append(INTEGER)
            texts.append(str(value))
            numbers.append(float(value))
        elif isinstance(value, float):
            kinds.append(REAL)
            texts.append(str(value))
            numbers.append(value)
        else:
            kinds.append(OTHER)
            texts.append("")
            numbers.append(math.nan)
    return keys, kinds, texts, numbers


class Compiler:
    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def param(self, value: Any) -> str:
        name = f"q{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def where(self, node: Node) -> str:
        if isinstance(node, Everything):
            return "1"
        if isinstance(node, Words):
            if node.message_only:
                return self._words(node, "words")
            return f"({self._words(node, 'words')}) OR ({self._words(node, 'field_words')})"
        if isinstance(node, FieldIs):
            column = "toString(level)" if node.field == "level" else node.field
            if node.prefix:
                test = f"substring({column}, 1, {self.param(len(node.value.encode()))}) = {self.param(node.value)}"
            else:
                test = f"{column} = {self.param(node.value)}"
            return f"ifNull({test}, 0)" if node.field == "user_id" else test
        if isinstance(node, LevelCompare):
            levels = [name for name, rank in LEVEL_RANK.items() if compare(rank, node.op, node.rank)]
            return f"level IN ({', '.join(self.param(v) for v in levels)})" if levels else "0"
        if isinstance(node, MetaIs):
            key, value = self.param(node.key), self.param(node.value)
            if node.prefix:
                n = self.param(len(node.value.encode()))
                test = f"t IN ({STRING}, {INTEGER}) AND substring(s, 1, {n}) = {value}"
            else:
                tests = [f"(t IN ({STRING}, {BOOLEAN}) AND s = {value})"]
                as_number = number(node.value)
                if as_number is not None:
                    tests.append(f"(t IN ({INTEGER}, {REAL}) AND n = {self.param(as_number)})")
                test = " OR ".join(tests)
            return f"arrayExists((k, t, s, n) -> k = {key} AND ({test}), meta_k, meta_t, meta_s, meta_n)"
        if isinstance(node, MetaCompare):
            key, bound = self.param(node.key), self.param(node.number)
            return (
                f"arrayExists((k, t, n) -> k = {key} AND t IN ({INTEGER}, {REAL}) AND n {node.op} {bound},"
                " meta_k, meta_t, meta_n)"
            )
        if isinstance(node, Not):
            return f"NOT ({self.where(node.child)})"
        if isinstance(node, And):
            return " AND ".join(f"({self.where(c)})" for c in node.children)
        if isinstance(node, Or):
            return " OR ".join(f"({self.where(c)})" for c in node.children)
        raise TypeError(f"unknown query node {node!r}")

    def _words(self, node: Words, column: str) -> str:
        """`column` (an array of words) holds node.words consecutively."""
        if len(node.words) == 1 and not node.prefix:
            return f"has({column}, {self.param(node.words[0])})"
        tests = []
        last = len(node.words) - 1
        for i, word in enumerate(node.words):
            at = f"{column}[i + {i}]" if i else f"{column}[i]"
            if i == last and node.prefix:
                tests.append(f"substring({at}, 1, {self.param(len(word.encode()))}) = {self.param(word)}")
            else:
                tests.append(f"{at} = {self.param(word)}")
        return f"arrayExists(i -> {' AND '.join(tests)}, arrayEnumerate({column}))"


class SearchMethods:
    """The store's search reads (mixed into ClickHouseStore, which provides `_query`)."""

    def _query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def minute_range(self) -> tuple[int, int] | None:
        raise NotImplementedError

    def recent_logs(self, limit: int, service: str | None = None) -> list[dict[str, Any]]:
        """The newest entries by event time (the search's order), optionally of one service. The newest minutes
        that hold `limit` entries by the minute rollup bound the search (sorting the whole store's times costs in
        proportion to it); when fewer are found there (max_logs dropped entries the rollup still counts), the whole
        store is searched."""
        query = of_service(service)
        since = self._newest_minutes_holding(limit, service)
        if since is not None:
            logs = self.search(query, from_ms=since * MINUTE_MS, limit=limit).logs
            if len(logs) >= limit:
                return logs
        return self.search(query, limit=limit).logs

    def _newest_minutes_holding(self, limit: int, service: str | None) -> int | None:
        """The latest minute from which on the rollup counts at least `limit` entries (None: it counts fewer in its
        newest RECENT_MINUTES minutes with entries)."""
        sql = "SELECT intDiv(toUInt32(minute), 60) AS m, sum(total) FROM {rollup_minute}"
        params: dict[str, Any] = {}
        if service is not None:
            sql += " WHERE service = %(s)s"
            params["s"] = service
        held = 0
        for minute, total in self._query(sql + f" GROUP BY m ORDER BY m DESC LIMIT {RECENT_MINUTES}", params):
            held += int(total)
            if held >= limit:
                return int(minute)
        return None

    def search(
        self,
        query: Node,
        *,
        from_ms: int | None = None,
        to_ms: int | None = None,
        limit: int = 100,
        after: tuple[int, int] | None = None,
    ) -> SearchPage:
        where, params = compile_where(query)
        bounds = []
        if from_ms is not None:
            bounds.append("ts_ms >= %(from_ms)s")
            params["from_ms"] = from_ms
            if 0 <= from_ms < MAX_DATETIME_MS:  # prunes day partitions and the (service, ts) key
                bounds.append("ts >= toDateTime(%(from_s)s)")
                params["from_s"] = from_ms // 1000
        if to_ms is not None:
            bounds.append("ts_ms < %(to_ms)s")
            params["to_ms"] = to_ms
            if 0 < to_ms <= MAX_DATETIME_MS:
                bounds.append("ts <= toDateTime(%(to_s)s)")
                params["to_s"] = (to_ms - 1) // 1000
        if after is not None:
            bounds.append("(ts_ms < %(after_ts)s OR (ts_ms = %(after_ts)s AND id < %(after_id)s))")
            params.update(after_ts=after[0], after_id=after[1])
        # Two steps: the page's (id, ts_ms) first, sorting only those two columns of every match, then the page's
        # rows. In one step ClickHouse reads every selected column of every match before sorting (the newest 100 of
        # 10M entries: 1.1 s, against about a quarter of that; measured in bench/search.py).
        sql = f"SELECT id, ts_ms FROM {{logs}} WHERE ({where})"
        sql += "".join(f" AND {b}" for b in bounds)
        keys = self._query(sql + f" ORDER BY ts_ms DESC, id DESC LIMIT {int(limit) + 1}", params)
        more = len(keys) > limit
        keys = keys[:limit]
        if not keys:
            return SearchPage([], None)
        rows = self._rows_of(keys)
        next_cursor = (int(keys[-1][1]), int(keys[-1][0])) if more else None
        return SearchPage([_row_dict(r) for r in rows], next_cursor)

    def _rows_of(self, keys: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The rows of these (id, ts_ms), in their order; within their event-time range, so that ClickHouse reads
        only the day partitions (and key ranges) that hold them. A row deleted meanwhile (retention) is left out."""
        params: dict[str, Any] = {"ids": tuple(int(k[0]) for k in keys)}
        sql = f"SELECT {SELECTED} FROM {{logs}} WHERE id IN %(ids)s"
        lo_ms, hi_ms = min(int(k[1]) for k in keys), max(int(k[1]) for k in keys)
        if 0 <= lo_ms and hi_ms < MAX_DATETIME_MS:
            sql += " AND ts BETWEEN toDateTime(%(lo_s)s) AND toDateTime(%(hi_s)s)"
            params.update(lo_s=lo_ms // 1000, hi_s=hi_ms // 1000)
        found = {int(r[0]): r for r in self._query(sql, params)}
        return [found[int(k[0])] for k in keys if int(k[0]) in found]

    def refresh(self) -> None:
        """Nothing to do: an entry is searchable as soon as ClickHouse acknowledged its INSERT."""

    def get_log(self, log_id: int) -> dict[str, Any] | None:
        rows = self._query(f"SELECT {SELECTED} FROM {{logs}} WHERE id = %(id)s LIMIT 1", {"id": log_id})
        return _row_dict(rows[0]) if rows else None

    def last_id(self) -> int:
        return int(self._query("SELECT max(id) FROM {logs}")[0][0] or 0)

    def tail(self, query: Node, after_id: int, upto_id: int, limit: int) -> list[dict[str, Any]]:
        where, params = compile_where(query)
        params.update(after_id=after_id, upto_id=upto_id)
        rows = self._query(
            f"SELECT {SELECTED} FROM {{logs}} WHERE id > %(after_id)s AND id <= %(upto_id)s AND ({where})"
            f" ORDER BY id LIMIT {int(limit)}",
            params,
        )
        return [_row_dict(r) for r in rows]

    def fields(self, sample_values: int) -> dict[str, list[str]]:
        """Metadata keys seen across the store, each with up to `sample_values` distinct values (as text): the
        latest entries, then up to FIELD_SAMPLE_ROWS / FIELD_SLICES entries from each of FIELD_SLICES equal spans
        of the stored event times (from the minute rollup), so a key only older batches carry is offered too.
        Bounded cost: each span's read stops at its LIMIT, whatever the store's size."""
        rows = self._query(f"SELECT meta_k, meta_t, meta_s FROM {{logs}} ORDER BY id DESC LIMIT {FIELD_SAMPLE_ROWS}")
        span = self.minute_range()
        if span is not None and span[1] > span[0]:
            first, last = span
            per_slice = max(1, FIELD_SAMPLE_ROWS // FIELD_SLICES)
            for k in range(FIELD_SLICES):
                start = first + (last + 1 - first) * k // FIELD_SLICES
                end = first + (last + 1 - first) * (k + 1) // FIELD_SLICES
                rows += self._query(  # no ORDER BY: ClickHouse stops reading once the LIMIT is met
                    "SELECT meta_k, meta_t, meta_s FROM {logs} WHERE ts >= toDateTime(%(at)s)"
                    f" AND ts < toDateTime(%(until)s) LIMIT {per_slice}",
                    {"at": start * 60, "until": max(end, start + 1) * 60},
                )
        out: dict[str, list[str]] = {}
        for keys, kinds, texts in rows:
            for key, kind, text in zip(keys, kinds, texts, strict=True):
                if int(kind) == OTHER:
                    continue
                values = out.setdefault(str(key), [])
                if len(values) < sample_values and text not in values:
                    values.append(str(text))
        return dict(sorted(out.items()))


def _row_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    id_, _ts_ms, timestamp, level, service, message, user_id, metadata, received_ms = row
    item: dict[str, Any] = {"id": int(id_), "timestamp": timestamp, "level": level, "service": service}
    item["message"] = message
    if user_id is not None:
        item["user_id"] = user_id
    if metadata is not None:
        item["metadata"] = orjson.loads(metadata)
    item["received_ms"] = int(received_ms)
    return item


def compile_where(node: Node) -> tuple[str, dict[str, Any]]:
    compiler = Compiler()
    return compiler.where(node), compiler.params
