"""A silence as a stored row, the same in every backend: COLUMNS' values, the matchers as JSON text."""

from __future__ import annotations

from typing import Any

import orjson

from ..alerts.silences import Silence, matcher_from
from .base import StoreError

COLUMNS = ("id", "matchers", "starts_at_ms", "ends_at_ms", "comment", "created_by", "created_at_ms", "expired_by")


def row_of(s: Silence) -> tuple[Any, ...]:
    matchers = orjson.dumps([m.to_dict() for m in s.matchers]).decode()
    return (s.id, matchers, s.starts_at_ms, s.ends_at_ms, s.comment, s.created_by, s.created_at_ms, s.expired_by)


def silence_of(row: tuple[Any, ...]) -> Silence:
    """A stored row (COLUMNS' order) as a Silence; its matchers are checked again as they are read back."""
    sid, matchers, starts, ends, comment, created_by, created_at, expired_by = row
    try:
        parsed = tuple(matcher_from(m) for m in orjson.loads(matchers))
    except (orjson.JSONDecodeError, ValueError) as exc:
        raise StoreError(f"silence {sid} has unreadable matchers: {exc}") from None
    return Silence(
        str(sid),
        parsed,
        int(starts),
        int(ends),
        str(comment),
        str(created_by),
        int(created_at),
        None if expired_by is None else str(expired_by),
    )
