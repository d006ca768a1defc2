"""What both backends store of a write: an entry's fields as one row, and the validation counters of its batch."""

from __future__ import annotations

from collections import Counter
from operator import attrgetter

from ..model import StatsDelta

# An entry's stored fields up to user_id, as one tuple (attrgetter builds it in C); metadata follows as JSON text.
ROW_FIELDS = attrgetter("ts_ms", "received_ms", "timestamp", "level", "service", "message", "user_id")


def delta_counters(delta: StatsDelta) -> Counter[str]:
    """The validation counters a batch adds (valid, invalid, and each error type), none for an empty delta."""
    counters: Counter[str] = Counter()
    if delta.total:
        counters["validation.valid"] += delta.valid
        counters["validation.invalid"] += delta.invalid
        for kind, n in delta.error_types.items():
            counters[f"error_type.{kind}"] += n
    return counters
