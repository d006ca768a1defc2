"""The question the delivery of notifications asks before it sends one: is this alert silenced now?

`silenced_check(book, clock)` is the `silenced: Callable[[dict], bool]` the delivery loop takes: it reads the
active silences from the store at each call (every node sharing a store sees the same ones), and answers with
`silencing` (alerts/silences.py) for the alert's dict (rule, service, severity, labels when it has them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..store.base import SilenceBook
from .silences import MAX_OPEN, silencing


def silenced_check(book: SilenceBook, clock: Callable[[], float]) -> Callable[[Mapping[str, Any]], bool]:
    def silenced(alert: Mapping[str, Any]) -> bool:
        now = int(clock() * 1000)
        return silencing(book.find("active", now, MAX_OPEN), alert, now) is not None

    return silenced
