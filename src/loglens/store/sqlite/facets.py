"""Facets on SQLite: the most frequent values of several fields of the entries a filter and a time range select,
counted in one read of those entries.

The matching rows are read once (through the per-minute id spans and the word index, as stats.py reads them) into
a materialised CTE of their service, level, user_id and metadata. Each plain field is grouped from it; the metadata
fields all at once, from one json_each per row (SQLite 3.40 parses a JSON text again for every json_extract, so one
pass over each row's metadata costs a quarter of four extractions). A window then keeps each field's biggest
values and counts its distinct values; entries without a value (no key, an object, an array or null) are one more
value, as a `by` group of the stats engine counts them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from ...search.query import Node
from ...search.stats import AggregateRequest
from ..base import Facet
from .query import compile_query
from .stats import _ranges, matching_rows

PLAIN = ("service", "level", "user_id")
META = "metadata."
ROWS = ""  # the pseudo-field that counts the matching entries
# a metadata value as the stats engine's group text (stats.group_expr): booleans as true / false, numbers as SQLite
# renders them; SQLite's JSON functions end a text at an escaped NUL, so the few metadata holding one are read in
# Python (loglens_meta_text)
META_TEXT = (
    "CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'"
    " WHEN 'text' THEN CASE WHEN instr(m.metadata, '\\u0000') THEN loglens_meta_text(m.metadata, j.key)"
    " ELSE j.value END"
    " ELSE CAST(j.value AS TEXT) END"
)


def meta_text(metadata: str, key: str) -> str | None:
    """A metadata text value whole, NULs and all."""
    value = orjson.loads(metadata).get(key)
    return value if isinstance(value, str) else None


def facet_counts(
    conn: sqlite3.Connection,
    query: Node,
    from_ms: int,
    to_ms: int,
    fields: Sequence[str],
    limit: int,
    *,
    indexed: int,
    use_index: bool,
) -> list[Facet]:
    """Per field of `fields` (in order), its `limit` most frequent values (ties by value) and its number of
    distinct values; a field no matching entry carries answers no values."""
    if not fields:
        return []
    conn.create_function("loglens_meta_text", 2, meta_text, deterministic=True)
    matching, params = _matching(conn, query, from_ms, to_ms, indexed=indexed, use_index=use_index)
    counted: list[str] = []
    for field in dict.fromkeys(f for f in fields if f in PLAIN):
        counted.append(f"SELECT '{field}' AS f, m.{field} AS v, count(*) AS n FROM m GROUP BY m.{field}")
    keys = sorted({f[len(META) :] for f in fields if f.startswith(META)})
    if keys:
        counted.append(
            f"SELECT '{META}' || j.key AS f, {META_TEXT} AS v, count(*) AS n FROM m, json_each(m.metadata) AS j"
            " WHERE j.key IN (SELECT value FROM json_each(?))"
            " AND j.type IN ('text', 'integer', 'real', 'true', 'false')"
            " GROUP BY j.key, v"
        )
        params.append(orjson.dumps(keys).decode())
    counted.append(f"SELECT '{ROWS}' AS f, NULL AS v, count(*) AS n FROM m")
    # per field: its biggest values, its distinct values (d) and how many entries carry one (covered)
    sql = (
        f"WITH m AS MATERIALIZED ({matching}), counted AS ({' UNION ALL '.join(counted)})"
        " SELECT f, v, n, d, covered FROM (SELECT f, v, n, count(*) OVER w AS d, sum(n) OVER w AS covered,"
        " row_number() OVER (w ORDER BY v IS NULL, n DESC, v) AS r FROM counted WINDOW w AS (PARTITION BY f))"
        " WHERE r <= ? ORDER BY f, r"
    )
    values: dict[str, list[tuple[str, int]]] = {field: [] for field in fields}
    found: dict[str, tuple[int, int]] = {}
    for f, v, n, d, covered in conn.execute(sql, [*params, limit]):
        found[f] = (d, covered)
        if v is not None and f in values:
            values[f].append((str(v), n))
    total = found[ROWS][1]
    # entries without a value are one more: those not covered by the field's counts (a NULL user_id is a group)
    return [
        Facet(field, values[field], found.get(field, (0, 0))[0] + (total > found.get(field, (0, 0))[1]))
        for field in fields
    ]


def _matching(
    conn: sqlite3.Connection, query: Node, from_ms: int, to_ms: int, *, indexed: int, use_index: bool
) -> tuple[str, list[Any]]:
    """The SELECT of the matching entries' facet columns, read as stats.py reads them, and its parameters."""
    compiled = compile_query(query)
    request = AggregateRequest(query, from_ms, to_ms, (), ())
    plain, through_index = _ranges(conn, request, compiled, indexed, use_index)
    return matching_rows(
        "logs.service, logs.level, logs.user_id, logs.metadata", request, compiled, plain, through_index
    )
