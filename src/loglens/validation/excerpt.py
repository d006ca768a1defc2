"""Bounded renderings of client values for error messages: never the whole of a large value."""

from __future__ import annotations

import reprlib
from typing import Any

MAX_MESSAGE_CHARS = 240  # a problem message longer than this keeps its head and tail

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxdict = 4
_repr.maxlist = 4
_repr.maxlevel = 3


def excerpt(value: Any) -> str:
    """A short, bounded rendering of a value for an error message (never the whole of a large value)."""
    return _repr.repr(value)


def shorten(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`message` if short, else its head and tail around the number of characters left out."""
    if len(message) <= limit:
        return message
    keep = (limit - 30) // 2
    return f"{message[:keep]}…({len(message) - 2 * keep} characters)…{message[-keep:]}"
