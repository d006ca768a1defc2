"""A write batch prepared in the caller's thread, so the writer thread only joins strings and runs SQL.

A batch is the columns of one row inserted into the `ingest` view (migration 2), each a JSON array: the log rows,
then the rollup, service and counter deltas. Building them is Python work that holds the GIL; done by the request
thread, it overlaps with the writer's SQLite work, which runs without the GIL. Batches grouped into one commit are
not merged key by key: their arrays are concatenated, and the trigger's upserts add up repeated keys.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from ...model import ERROR_LEVELS, MINUTE_MS, Entry, StatsDelta
from ..entry_rows import ROW_FIELDS, delta_counters
from .field_tokens import row_tokens

HOUR_MINUTES = 60
COLUMNS = 6  # rows, minutes, users, hours, services, counters
ALL_SERVICES = ""  # the rollups' scope for "every service" (a real service name is never empty)
SPAN_IDS = 4096  # most ids of one time-path span (the time path's block size)
ANY_USER = ""  # rollup_user_hour rows that count every entry of their hour and scope (a real user id is never empty)


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    columns: tuple[str, ...]  # COLUMNS JSON arrays
    entries: int
    # per event-time minute, the first and last offset of its rows in this batch and their newest ts_ms: the time
    # access path
    spans: tuple[tuple[int, int, int, int], ...] = ()
    user_rows: int = 0  # rows upserted into the user rollups (minute and hour, per service and for all services)
    user_minutes: frozenset[int] = frozenset()  # the minute buckets of the user rollups it touched


def ingest_params(batches: Sequence[PreparedBatch], max_logs: int) -> tuple[str | int, ...]:
    """The parameters of the `ingest` insert that applies all `batches` (passed as text: SQLite 3.45 and later
    read a BLOB argument to json_each as JSONB)."""
    if len(batches) == 1:
        return (*batches[0].columns, max_logs)
    return (*_joined(batches), max_logs)


def search_params(batches: Sequence[PreparedBatch], max_logs: int) -> tuple[str | int, ...]:
    """The parameters of the `ingest_search` insert (migration 5): `ingest`'s, plus the minute spans and the
    number of entries (so the trigger need not parse the rows again to count them)."""
    columns = batches[0].columns if len(batches) == 1 else _joined(batches)
    spans: list[tuple[int, int, int, int]] = []
    offset = 0
    for batch in batches:
        spans += [(minute, first + offset, last + offset, newest) for minute, first, last, newest in batch.spans]
        offset += batch.entries
    return (*columns, _json(spans), offset, max_logs)


def _joined(batches: Sequence[PreparedBatch]) -> list[str]:
    joined = []
    for i in range(COLUMNS):
        parts = [b.columns[i][1:-1] for b in batches if len(b.columns[i]) > 2]
        joined.append("[" + ",".join(parts) + "]")
    return joined


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


def _nul_safe(message: str) -> str | list[str]:
    """A message with NUL as the list of its NUL-separated parts, which the ingest trigger joins back."""
    return message.split("\x00") if "\x00" in message else message


def prepare(entries: Sequence[Entry], delta: StatsDelta, *, tokens: bool = True) -> PreparedBatch:
    """The batch of `entries`; with `tokens`, each row also carries its field tokens (migration 11)."""
    counters = delta_counters(delta)
    if not entries:
        return PreparedBatch(("[]", "[]", "[]", "[]", "[]", _json(list(counters.items()))), 0)
    rows = _rows(entries, tokens)
    if len(entries) == 1:  # a single POST: the same columns as _prepare_many gives, without its counters
        return _prepare_one(entries[0], rows, counters)
    return _prepare_many(entries, rows, counters)


def _prepare_one(e: Entry, rows: str, counters: Counter[str]) -> PreparedBatch:
    minute = e.ts_ms // MINUTE_MS
    hour = minute // HOUR_MINUTES
    service, user = e.service, e.user_id
    error = 1 if e.level in ERROR_LEVELS else 0
    counters["logs.errors"] += error
    counters["logs.total"] += 1
    counters["logs.stored"] += 1
    users = [(minute, service, user, 1)] if user else []
    hours = [(hour, service, user, 1)] if user else []
    hours += [(hour, service, ANY_USER, 1), (hour, ALL_SERVICES, ANY_USER, 1)]
    return PreparedBatch(
        (
            rows,
            _json([(minute, service, 1, error, {e.level: 1}), (minute, ALL_SERVICES, 1, error, {e.level: 1})]),
            _json(users),
            _json(hours),
            _json([(service, e.received_ms, e.received_ms, 1, error)]),
            _json(list(counters.items())),
        ),
        1,
        ((minute, 0, 0, e.ts_ms),),
        len(users) + len(hours),
        frozenset((minute,)) if user else frozenset(),
    )


def _rows(entries: Sequence[Entry], tokens: bool) -> str:
    # each row as ROW_FIELDS' tuple plus the rest, which costs the request thread (with the GIL) 0.1-0.35 us per
    # entry less than one tuple display with the token star-unpacked into it (interleaved runs; the figure moves
    # between runs); the metadata is written out in both branches, as a call to a helper would cost more
    if tokens:
        rows = _json(
            [
                ROW_FIELDS(e)
                + (
                    orjson.dumps(e.metadata).decode() if e.metadata is not None else None,
                    row_tokens(e.user_id, e.metadata),
                )
                for e in entries
            ]
        )
    else:
        rows = _json(
            [ROW_FIELDS(e) + (orjson.dumps(e.metadata).decode() if e.metadata is not None else None,) for e in entries]
        )
    if "\\u0000" in rows:  # rare: a NUL somewhere; SQLite's JSON would cut the message there (migration 4)
        rows = _json([(*row[:5], _nul_safe(row[5]), *row[6:]) for row in orjson.loads(rows)])
    return rows


def _prepare_many(entries: Sequence[Entry], rows: str, counters: Counter[str]) -> PreparedBatch:
    keys = [(e.ts_ms // MINUTE_MS, e.service) for e in entries]
    # (minute, piece) -> [first offset, last offset, newest ts_ms]: at most SPAN_IDS ids each, so that a page can
    # skip most of a big batch's minute by its newest event time (store/sqlite/walk.py)
    spans: dict[tuple[int, int], list[int]] = {}
    for offset, ((minute, _), e) in enumerate(zip(keys, entries, strict=True)):
        span = spans.get((minute, offset // SPAN_IDS))
        if span is None:
            spans[(minute, offset // SPAN_IDS)] = [offset, offset, e.ts_ms]
        else:
            span[1] = offset
            if e.ts_ms > span[2]:
                span[2] = e.ts_ms
    # per (minute, service) and level: rollup_level (migration 19), and from them rollup_minute's totals and errors
    by_level = Counter(zip(keys, [e.level for e in entries], strict=True))
    minutes: Counter[tuple[int, str]] = Counter()
    minute_errors: Counter[tuple[int, str]] = Counter()
    levels: dict[tuple[int, str], dict[str, int]] = {}
    for (key, level), n in by_level.items():
        # ALL_SERVICES rows: one row per minute for every service together, so an unfiltered series reads one
        # row per minute however many services there are.
        scopes = (key, (key[0], ALL_SERVICES))
        error = level in ERROR_LEVELS
        for scope in scopes:
            minutes[scope] += n
            if error:
                minute_errors[scope] += n
            counts = levels.setdefault(scope, {})
            counts[level] = counts.get(level, 0) + n
    users = Counter((m, s, e.user_id) for (m, s), e in zip(keys, entries, strict=True) if e.user_id)
    hours: Counter[tuple[int, str, str | None]] = Counter()
    for (minute, service, user), n in users.items():
        hours[(minute // HOUR_MINUTES, service, user)] += n
    # ANY_USER rows: each service's (and ALL_SERVICES') entries per hour, so long ranges rank services from one
    # row per hour and service. Being the biggest count of their bucket, pruning never drops them.
    for (minute, service), n in minutes.items():
        hours[(minute // HOUR_MINUTES, service, ANY_USER)] += n
    per_service = Counter(e.service for e in entries)
    errors_per_service = Counter(e.service for e in entries if e.level in ERROR_LEVELS)
    seen: dict[str, list[int]] = {}
    received = {e.received_ms for e in entries}
    if len(received) == 1:  # one request's entries share their arrival time
        (at,) = received
        for service, n in per_service.items():
            seen[service] = [at, at, n, errors_per_service.get(service, 0)]
    else:
        for e in entries:
            first_last = seen.setdefault(e.service, [e.received_ms, e.received_ms])
            first_last[0] = min(first_last[0], e.received_ms)
            first_last[1] = max(first_last[1], e.received_ms)
        for service, n in per_service.items():
            seen[service] += [n, errors_per_service.get(service, 0)]
    errors = sum(errors_per_service.values())
    counters["logs.errors"] += errors
    counters["logs.total"] += len(entries)
    counters["logs.stored"] += len(entries)
    return PreparedBatch(
        (
            rows,
            _json([(*k, n, minute_errors.get(k, 0), levels[k]) for k, n in minutes.items()]),
            _json([(*k, n) for k, n in users.items()]),
            _json([(*k, n) for k, n in hours.items()]),
            _json([(name, *v) for name, v in seen.items()]),
            _json(list(counters.items())),
        ),
        len(entries),
        tuple((minute, first, last, newest) for (minute, _), (first, last, newest) in spans.items()),
        len(users) + len(hours),
        frozenset(m for m, _, _ in users),
    )
