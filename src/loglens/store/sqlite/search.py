"""The SQLite store's entry reads: a search page (the time-ordered walk, walk.py, through the search indexes where
they cover the entries), the live tail's rows, one entry, and the metadata keys offered to the search box."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...search.query import Node
from ...search.stats import AggregateRequest
from ..base import Facet, SearchPage
from . import count, facets, stats
from .connections import Connections
from .deadline import deadline
from .indexer import indexed_through
from .query import compile_query
from .walk import COLUMNS, Cursor, Walk, row_dict, tail_rows

FIELD_SAMPLE_ROWS = 2000
FIELD_SLICES = 16  # fields(): runs of entries sampled across the store, besides the latest


class Search:
    def __init__(self, connections: Connections) -> None:
        self._connections = connections
        self.search_index = connections.search_index

    def search(
        self, query: Node, from_ms: int | None, to_ms: int | None, limit: int, after: Cursor | None
    ) -> SearchPage:
        """Entries matching `query` with from_ms <= event time < to_ms, newest first, after the keyset cursor."""
        compiled = compile_query(query)
        with self._connections.read() as conn:
            indexed = indexed_through(conn) if self.search_index else 0
            walk = Walk(
                conn, compiled, from_ms=from_ms, to_ms=to_ms, after=after, use_index=self.search_index, indexed=indexed
            )
            rows, more = walk.page(limit)
        next_cursor = (rows[-1][1], rows[-1][0]) if more and rows else None
        return SearchPage([row_dict(r) for r in rows], next_cursor)

    def aggregate(self, request: AggregateRequest) -> list[Any]:
        """Grouped aggregates of the matching entries (search/stats.py shapes them into an answer)."""
        with self._connections.read() as conn:
            indexed = indexed_through(conn) if self.search_index else 0
            return stats.aggregate(conn, request, indexed=indexed, use_index=self.search_index)

    def facet_counts(self, query: Node, from_ms: int, to_ms: int, fields: Sequence[str], limit: int) -> list[Facet]:
        """The most frequent values of each of `fields` among the matching entries, in one read (facets.py)."""
        with self._connections.read() as conn:
            indexed = indexed_through(conn) if self.search_index else 0
            return facets.facet_counts(
                conn, query, from_ms, to_ms, fields, limit, indexed=indexed, use_index=self.search_index
            )

    def count_matches(self, query: Node, from_ms: int | None, to_ms: int | None, most: int, seconds: float) -> int:
        """How many entries match, up to most + 1, within `seconds` (count.py)."""
        with self._connections.read() as conn, deadline(conn, seconds):  # within the read's own, which is longer
            indexed = indexed_through(conn) if self.search_index else 0
            return count.count_matches(conn, query, from_ms, to_ms, most, indexed=indexed, use_index=self.search_index)

    def get_log(self, log_id: int) -> dict[str, Any] | None:
        with self._connections.read() as conn:
            row = conn.execute(f"SELECT {COLUMNS} FROM logs WHERE logs.id = ?", (log_id,)).fetchone()
        return row_dict(row) if row is not None else None

    def last_id(self) -> int:
        with self._connections.read() as conn:
            row = conn.execute("SELECT id FROM logs ORDER BY id DESC LIMIT 1").fetchone()
        return int(row[0]) if row else 0

    def tail(self, query: Node, after_id: int, upto_id: int, limit: int) -> list[dict[str, Any]]:
        compiled = compile_query(query)
        with self._connections.read() as conn:
            rows = tail_rows(conn, compiled, after_id, upto_id, limit)
        return [row_dict(r) for r in rows]

    def fields(self, sample_values: int) -> dict[str, list[str]]:
        """Metadata keys seen across the store, each with up to `sample_values` distinct values (as text): the
        latest entries, then FIELD_SLICES runs of entries spread evenly over the ids (the order of arrival), so a
        key that only older batches carry is offered too. Bounded cost: about 2 x FIELD_SAMPLE_ROWS rows, read by
        the primary key, whatever the store's size."""
        pick = (
            "SELECT j.key, j.value, j.type FROM ({}) AS part, json_each(part.metadata) AS j"
            " WHERE j.type IN ('text', 'integer', 'real', 'true', 'false')"
        )
        per_slice = max(1, FIELD_SAMPLE_ROWS // FIELD_SLICES)
        with self._connections.read() as conn:
            rows = conn.execute(
                pick.format("SELECT metadata FROM logs ORDER BY id DESC LIMIT ?"), (FIELD_SAMPLE_ROWS,)
            ).fetchall()
            # one probe each: min(id) and max(id) in one SELECT scan the whole table
            low, high = conn.execute("SELECT (SELECT min(id) FROM logs), (SELECT max(id) FROM logs)").fetchone()
            if low is not None and high - low + 1 > FIELD_SAMPLE_ROWS:
                for k in range(FIELD_SLICES):
                    start = low + (high - low) * k // FIELD_SLICES
                    rows += conn.execute(
                        pick.format("SELECT metadata FROM logs WHERE id >= ? ORDER BY id LIMIT ?"), (start, per_slice)
                    ).fetchall()
        out: dict[str, list[str]] = {}
        for key, value, kind in rows:
            values = out.setdefault(str(key), [])
            text = kind if kind in ("true", "false") else str(value)
            if len(values) < sample_values and text not in values:
                values.append(text)
        return dict(sorted(out.items()))
