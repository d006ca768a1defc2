"""What a query's values mean, the same to both backends' search compilers (SQLite's and ClickHouse's)."""

from __future__ import annotations

import math
import re

NUMBER_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def number(text: str) -> float | None:
    """The number `text` reads as (a `key:value` that reads as one also matches that number), or None."""
    if not NUMBER_RE.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def compare(left: float, op: str, right: float) -> bool:
    """`left op right` for the query language's comparison operators (>, >=, <, <=)."""
    return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]
