"""A write batch prepared in the caller's thread, so the writer thread only runs SQL.

Preparing (the rows as one JSON array, the rollup and counter deltas) is Python work that holds the GIL; done by
the request thread, it overlaps with the writer's SQLite work, which runs without the GIL. Batches that the
writer groups into one transaction are merged here: their rollup deltas add up, their rows stay separate arrays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson

from ..model import ERROR_LEVELS, MINUTE_MS, Entry
from ..validation import StatsDelta

HOUR_MINUTES = 60


@dataclass
class PreparedBatch:
    rows: list[bytes] = field(default_factory=list)  # JSON arrays of log rows, one per request
    minutes: Counter[tuple[int, str]] = field(default_factory=Counter)  # (minute, service) -> entries
    minute_errors: Counter[tuple[int, str]] = field(default_factory=Counter)
    users: Counter[tuple[int, str, str]] = field(default_factory=Counter)  # (minute, service, user)
    hours: Counter[tuple[int, str, str]] = field(default_factory=Counter)  # (hour, service, user)
    seen: dict[str, list[int]] = field(default_factory=dict)  # service -> [first_ms, last_ms, count, errors]
    counters: Counter[str] = field(default_factory=Counter)
    entries: int = 0

    def merge(self, other: PreparedBatch) -> None:
        self.rows += other.rows
        self.minutes.update(other.minutes)
        self.minute_errors.update(other.minute_errors)
        self.users.update(other.users)
        self.hours.update(other.hours)
        self.counters.update(other.counters)
        self.entries += other.entries
        for service, (first, last, n, errors) in other.seen.items():
            mine = self.seen.get(service)
            if mine is None:
                self.seen[service] = [first, last, n, errors]
            else:
                mine[0], mine[1] = min(mine[0], first), max(mine[1], last)
                mine[2] += n
                mine[3] += errors


def prepare(entries: Sequence[Entry], delta: StatsDelta) -> PreparedBatch:
    batch = PreparedBatch(entries=len(entries))
    counters = batch.counters
    if delta.total:
        counters["validation.valid"] += delta.valid
        counters["validation.invalid"] += delta.invalid
        for kind, n in delta.error_types.items():
            counters[f"error_type.{kind}"] += n
    if not entries:
        return batch
    batch.rows.append(
        orjson.dumps(
            [
                (
                    e.ts_ms,
                    e.received_ms,
                    e.timestamp,
                    e.level,
                    e.service,
                    e.message,
                    e.user_id,
                    orjson.dumps(e.metadata).decode() if e.metadata is not None else None,
                )
                for e in entries
            ]
        )
    )
    keys = [(e.ts_ms // MINUTE_MS, e.service) for e in entries]
    batch.minutes.update(keys)
    batch.minute_errors.update(k for k, e in zip(keys, entries, strict=True) if e.level in ERROR_LEVELS)
    batch.users.update((m, s, e.user_id) for (m, s), e in zip(keys, entries, strict=True) if e.user_id)
    for (minute, service, user), n in batch.users.items():
        batch.hours[(minute // HOUR_MINUTES, service, user)] += n
    per_service = Counter(e.service for e in entries)
    errors_per_service = Counter(e.service for e in entries if e.level in ERROR_LEVELS)
    received = {e.received_ms for e in entries}
    if len(received) == 1:  # one request's entries share their arrival time
        (at,) = received
        for service, n in per_service.items():
            batch.seen[service] = [at, at, n, errors_per_service.get(service, 0)]
    else:
        for e in entries:
            first_last = batch.seen.setdefault(e.service, [e.received_ms, e.received_ms])
            first_last[0] = min(first_last[0], e.received_ms)
            first_last[1] = max(first_last[1], e.received_ms)
        for service, n in per_service.items():
            batch.seen[service] += [n, errors_per_service.get(service, 0)]
    errors = sum(errors_per_service.values())
    counters["logs.errors"] += errors
    counters["logs.total"] += len(entries)
    counters["logs.stored"] += len(entries)
    return batch
