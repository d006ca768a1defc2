"""store/batch.py: a single entry's batch (the single-POST fast path) is exactly what the general path builds."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from loglens.model import Entry, StatsDelta
from loglens.store.batch import _prepare_many, _rows, prepare
from tests.support.entries import BASE_MS, make_entry

ENTRIES = [
    make_entry(1, BASE_MS + 61_000, "plain"),
    make_entry(2, BASE_MS + 3_600_000 * 5 + 17, "an error", level="ERROR", user_id="user-9"),
    make_entry(3, BASE_MS - 1, "before the epoch minute", level="CRITICAL", service="pay", metadata={"k": [1, 2]}),
    make_entry(4, BASE_MS, "nul \x00 inside", user_id="u", metadata={"n": None}),
    make_entry(5, -120_001, "negative time", level="DEBUG"),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.message for e in ENTRIES])
def test_one_entry_gives_the_general_paths_batch(entry: Entry) -> None:
    delta = StatsDelta(valid=1, invalid=2)
    delta.error_types["required"] += 2
    fast = prepare([entry], delta)
    counters = prepare([], delta)  # only the stats part
    general = _prepare_many([entry], _rows([entry], True), _counter(counters.columns[5]))
    assert fast == general


def _counter(column: str) -> Counter[str]:
    return Counter(dict(orjson.loads(column)))
