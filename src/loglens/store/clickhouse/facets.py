"""Facets on ClickHouse (18.16 and later): the most frequent values of several fields of the entries a filter and
a time range select, counted in one SELECT.

Each matching row is turned into (field, value) pairs by ARRAY JOIN: its service, level and user_id, the chosen
metadata keys that carry a value (the stats engine's group text, `meta_s`), and one ('', '') pair that counts the
rows. The pairs are grouped once; an outer GROUP BY keeps each field's biggest values (arraySort of its groups) and
counts its distinct values. Every alias and lambda variable is named facet_* or f*: ClickHouse 18 puts an alias
wherever its name appears, in the filter's expressions too. Entries without a value are one more distinct value,
as a `by` group counts them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...search.query import Node
from ..base import Facet
from .search import MAX_DATETIME_MS, OTHER, Compiler

PLAIN = {"service": "service", "level": "toString(level)"}
META = "metadata."
NO_USER = "-user_id"  # the pseudo-field of the entries without a user_id (no field is named so)
ROWS = ""  # the pseudo-field every matching row carries once: its count is the number of matching entries


def facet_counts(
    query: Callable[[str, dict[str, Any]], list[tuple[Any, ...]]],
    node: Node,
    from_ms: int,
    to_ms: int,
    fields: Sequence[str],
    limit: int,
) -> list[Facet]:
    """Per field of `fields` (in order), its `limit` most frequent values (ties by value) and its number of
    distinct values, asked through `query` (the store's `_query`); a field no matching entry carries answers no
    values."""
    if not fields:
        return []
    compiler = Compiler()
    conditions = [
        f"({compiler.where(node)})",
        f"ts_ms >= {compiler.param(from_ms)}",
        f"ts_ms < {compiler.param(to_ms)}",
    ]
    if 0 <= from_ms < MAX_DATETIME_MS:  # prunes day partitions and the (service, ts) key
        conditions.append(f"ts >= toDateTime({compiler.param(from_ms // 1000)})")
    if 0 < to_ms <= MAX_DATETIME_MS:
        conditions.append(f"ts <= toDateTime({compiler.param((to_ms - 1) // 1000)})")
    pairs = [f"[tuple({compiler.param(ROWS)}, '')]"]
    for field in dict.fromkeys(fields):
        if field in PLAIN:
            pairs.append(f"[tuple({compiler.param(field)}, {PLAIN[field]})]")
        elif field == "user_id":  # an entry without one: a pair of a field nobody asks for
            named = compiler.param(field)
            pairs.append(f"[tuple(if(isNull(user_id), {compiler.param(NO_USER)}, {named}), ifNull(user_id, ''))]")
    keys = tuple(sorted({f[len(META) :] for f in fields if f.startswith(META)}))
    if keys:
        wanted = f"fk IN {compiler.param(keys)} AND ft != {OTHER}"
        named = f"arrayFilter((fk, ft) -> {wanted}, meta_k, meta_t)"
        texts = f"arrayFilter((fs, fk, ft) -> {wanted}, meta_s, meta_k, meta_t)"
        pairs.append(f"arrayMap((fk, fs) -> tuple(concat({compiler.param(META)}, fk), fs), {named}, {texts})")
    grouped = (
        "SELECT tupleElement(facet_pair, 1) AS facet_field, tupleElement(facet_pair, 2) AS facet_value,"
        f" count() AS facet_n FROM {{logs}} ARRAY JOIN arrayConcat({', '.join(pairs)}) AS facet_pair"
        f" WHERE {' AND '.join(conditions)} GROUP BY facet_field, facet_value"
    )
    sql = (
        "SELECT facet_field, count(), sum(facet_n),"
        " arraySlice(arraySort(fx -> (-toInt64(tupleElement(fx, 2)), tupleElement(fx, 1)),"
        " groupArray(tuple(facet_value, facet_n))),"
        f" 1, {int(limit)}) FROM ({grouped}) GROUP BY facet_field"
    )
    by_field = {str(f): (int(d), int(covered), top) for f, d, covered, top in query(sql, compiler.params)}
    total = by_field.get(ROWS, (0, 0, []))[1]
    out: list[Facet] = []
    for field in fields:
        d, covered, top = by_field.get(field, (0, 0, []))
        distinct = d + (total > covered)
        out.append(Facet(field, [(str(v), int(n)) for v, n in top], distinct if total else 0))
    return out
