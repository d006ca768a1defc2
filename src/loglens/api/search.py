"""Search endpoints: GET /api/logs (pages), /api/logs/<id>, /api/logs/export, /api/logs/stream (SSE),
/api/services and /api/fields. Every bad parameter is a 400 naming it; the grammar is in search/query.py."""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from ..answer import ApiError
from ..auth.access import requires
from ..logsafe import escape
from ..model import LEVELS, iso_from_ms
from ..search.params import decode_cursor, encode_cursor, parse_time
from ..search.pipeline import split_stages
from ..search.query import Node, QueryError, parse
from ..search.tail import TailHub
from ..state import current_loglens
from ..store import Store, StoreError
from ..store.base import ID_LIMIT, QueryTimeout, SearchPage
from .body import choice_arg, int_arg

log = logging.getLogger(__name__)
bp = Blueprint("search", __name__)

TAIL_BATCH = 500
# What a live tail holds at once, so a client that does not read costs a fixed amount: it reads about
# TAIL_READ_BYTES of entries per query (rows sized by its previous query, 1 to TAIL_BATCH) and sends them in
# chunks of about CHUNK_BYTES; an entry already sent is not kept.
TAIL_READ_BYTES = 64 * 1024
# Rows of a tail's first read, before it knows how large its entries are: a few of the largest entries
# (ingest.max_entry_bytes, 64 KiB by default). Starting each wake at TAIL_BATCH rows instead made 60 tails hold
# 60 x 500 entries at once (2 MB each with 2 KB entries) and left the worker 130 MB larger.
TAIL_FIRST_READ = 4
# An export reads a page of about EXPORT_READ_BYTES of output at a time, its rows sized by the entries it sent so
# far (EXPORT_FIRST_PAGE rows first, then 1 to EXPORT_PAGE): 1,000 rows of 2 KB entries were 2 MB of text and about
# 5 MB of Python objects held per export (64 MB of text with entries of ingest.max_entry_bytes). Smaller pages cost
# time where the store's walk reads a whole window for each page (entries crowded into a few minutes): with 2 KB
# entries, 256 KiB pages made such an export 2x slower, 1 MiB pages 1.2x.
EXPORT_PAGE = 1000
EXPORT_FIRST_PAGE = 100
EXPORT_READ_BYTES = 1024 * 1024
# An export's body goes out in chunks of this many entries, or sooner once a chunk reaches about CHUNK_BYTES (one
# entry may be up to ingest.max_entry_bytes), so that the memory an export holds stays bounded. Each chunk costs
# the server a hop to its event loop: one per entry made NDJSON 10x slower than CSV.
CHUNK_ENTRIES = 200
CHUNK_BYTES = 64 * 1024
# `count=true` on /api/logs: the number of matches, counted no further than this (a LIMIT MATCH_COUNT_MOST + 1
# subquery on both backends), so that counting reads at most this many matching rows; past it the answer says
# "more than MATCH_COUNT_MOST" (`exact: false`). A filter that matches few of many entries may still read many
# rows to find them: counting also stops after MATCH_COUNT_SECONDS (ClickHouse: 1 s, it counts whole seconds), and
# the answer is then "more than" the entries of the page. A first page without a next cursor is its own count.
MATCH_COUNT_MOST = 10_000
MATCH_COUNT_SECONDS = 0.5
CSV_COLUMNS = ("id", "timestamp", "level", "service", "message", "user_id", "metadata", "received_ms")


@dataclass(frozen=True)
class Criteria:
    query: Node
    from_ms: int | None
    to_ms: int | None


def _matches(store: Store, criteria: Criteria, page: SearchPage, *, first: bool) -> dict[str, Any]:
    """How many entries match (MATCH_COUNT_MOST): {"count": n, "exact": false} means more than n."""
    if first and page.next is None:
        return {"count": len(page.logs), "exact": True}
    try:
        found = store.count_matches(
            criteria.query, criteria.from_ms, criteria.to_ms, MATCH_COUNT_MOST, MATCH_COUNT_SECONDS
        )
    except QueryTimeout:
        return {"count": len(page.logs), "exact": False}  # a next page: more than this one
    return {"count": min(found, MATCH_COUNT_MOST), "exact": found <= MATCH_COUNT_MOST}


def _query(name: str = "q") -> Node:
    text = request.args.get(name, "")
    if len(split_stages(text)) > 1:
        raise ApiError(400, "the query has stages after '|': ask /api/stats for aggregations", parameter=name)
    try:
        return parse(text)
    except QueryError as exc:
        raise ApiError(400, str(exc), parameter=name, column=exc.column) from None


def _time(name: str, now_ms: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return parse_time(raw, now_ms)
    except ValueError as exc:
        raise ApiError(400, f"{name}: {exc}", parameter=name) from None


def _criteria() -> Criteria:
    now_ms = int(current_loglens().clock() * 1000)
    query = _query()
    from_ms, to_ms = _time("from", now_ms), _time("to", now_ms)
    if from_ms is not None and to_ms is not None and from_ms >= to_ms:
        raise ApiError(400, "from must be earlier than to", parameter="from")
    return Criteria(query, from_ms, to_ms)


@bp.get("/api/logs")
@requires("read")
def search_logs() -> ResponseReturnValue:
    started = time.perf_counter()
    criteria = _criteria()
    limit = int_arg("limit", 100, 1, 1000)
    after = None
    raw_cursor = request.args.get("cursor")
    if raw_cursor:
        try:
            after = decode_cursor(raw_cursor)
        except ValueError as exc:
            raise ApiError(400, f"cursor: {exc}", parameter="cursor") from None
    counting = choice_arg("count", "false", ("false", "true")) == "true"
    store = current_loglens().store
    page = store.search(criteria.query, from_ms=criteria.from_ms, to_ms=criteria.to_ms, limit=limit, after=after)
    out: dict[str, Any] = {
        "logs": page.logs,
        "next_cursor": encode_cursor(*page.next) if page.next is not None else None,
    }
    if counting:
        out["matches"] = _matches(store, criteria, page, first=after is None)
    out["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return out


@bp.get("/api/logs/<int:log_id>")
@requires("read")
def get_log(log_id: int) -> ResponseReturnValue:
    # ids are 64-bit integers: a larger number names no entry (and must not reach the store's driver)
    entry = current_loglens().store.get_log(log_id) if log_id < ID_LIMIT else None
    if entry is None:
        raise ApiError(404, f"no log entry with id {log_id}")
    return entry


def _page_rows(entries: int, size: int) -> int:
    """Rows of an export's next page: about EXPORT_READ_BYTES of output at the `size` bytes that `entries`
    entries made so far (1 to EXPORT_PAGE), EXPORT_FIRST_PAGE before it knows."""
    if entries == 0 or size == 0:
        return EXPORT_FIRST_PAGE
    return max(1, min(EXPORT_PAGE, EXPORT_READ_BYTES * entries // size))


class ExportAborted(RuntimeError):
    """A CSV export's body cannot go on. Raised from the body after its headers went out, so that the server cuts
    the connection without ending the chunked body: the client sees an incomplete response, not a short file."""


class _Export:
    """An export's entries, newest first, one page in memory at a time (each page's query under its own
    deadline). The first page is read before the answer starts (`start`: a failure there is an ordinary error
    answer); `sent` counts the entries handed out so far and `size` the bytes of output made of them."""

    def __init__(self, store: Store, criteria: Criteria, most: int) -> None:
        self.store = store
        self.criteria = criteria
        self.most = most
        self.sent = 0
        self.size = 0
        self._page: list[dict[str, Any]] | None = None
        self._after: tuple[int, int] | None = None
        self._done = False

    def start(self) -> None:
        self._page = self._read(EXPORT_FIRST_PAGE)

    def _read(self, rows: int) -> list[dict[str, Any]] | None:
        """The next page of at most `rows` entries (None when there is none)."""
        if self._done or self.sent >= self.most:
            return None
        criteria = self.criteria
        page = self.store.search(
            criteria.query,
            from_ms=criteria.from_ms,
            to_ms=criteria.to_ms,
            limit=min(rows, self.most - self.sent),
            after=self._after,
        )
        self._after = page.next
        self._done = page.next is None
        return page.logs

    def __iter__(self) -> Iterator[dict[str, Any]]:
        page, self._page = self._page, None
        while page is not None:
            page.reverse()  # popped as they go out: an entry handed out is not kept
            while page:
                yield page.pop()
                self.sent += 1
            page = self._read(_page_rows(self.sent, self.size))

    def stopped(self, exc: Exception) -> str:
        """Log, at ERROR with the exception, that the export stopped midway; returns why, for the client."""
        log.error("export stopped after %d entries: %s", self.sent, escape(exc), exc_info=exc)
        reason = str(exc) if isinstance(exc, StoreError) else "internal error; the server log has the details"
        return f"the export stopped after {self.sent} entries: {reason}"

    def ndjson(self) -> Iterator[bytes]:
        """One JSON line per entry, in chunks (_chunked); if the export fails midway, the lines so far and a last
        line {"error": ..., "exported": N}."""

        def lines() -> Iterator[bytes]:
            try:
                for entry in self:
                    line = orjson.dumps(entry) + b"\n"
                    self.size += len(line)
                    yield line
            except Exception as exc:
                yield orjson.dumps({"error": self.stopped(exc), "exported": self.sent}) + b"\n"

        return _chunked(lines(), CHUNK_ENTRIES)

    def csv(self) -> Iterator[bytes]:
        """CSV with a header row; if the export fails midway, ExportAborted (the connection is cut)."""
        try:
            for chunk in _csv_rows(self):
                yield chunk.encode()
        except Exception as exc:
            raise ExportAborted(self.stopped(exc)) from exc


def _chunked(pieces: Iterator[bytes], most: int) -> Iterator[bytes]:
    """`pieces` joined into chunks of at most `most` pieces, each cut once it reaches CHUNK_BYTES."""
    chunk: list[bytes] = []
    size = 0
    for piece in pieces:
        chunk.append(piece)
        size += len(piece)
        if len(chunk) >= most or size >= CHUNK_BYTES:
            yield b"".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield b"".join(chunk)


def _csv_rows(export: _Export) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for i, entry in enumerate(export, 1):
        metadata = entry.get("metadata")
        row = [entry.get(c, "") for c in CSV_COLUMNS]
        row[CSV_COLUMNS.index("metadata")] = orjson.dumps(metadata).decode() if metadata is not None else ""
        before = buffer.tell()
        writer.writerow(row)
        export.size += buffer.tell() - before
        if i % CHUNK_ENTRIES == 0 or buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@bp.get("/api/logs/export")
@requires("read")
def export_logs() -> ResponseReturnValue:
    state = current_loglens()
    criteria = _criteria()
    fmt = choice_arg("format", "ndjson", ("ndjson", "csv"))
    export = _Export(state.store, criteria, state.config.search.max_export_entries)
    # the first page before the answer starts: a failure there (a query past its deadline) is an ordinary error
    # answer; one on a later page ends the stream so that the client can tell (_Export.ndjson, _Export.csv)
    export.start()
    stamp = datetime.fromtimestamp(state.clock(), tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    if fmt == "csv":
        body, mimetype = export.csv(), "text/csv"
    else:
        body, mimetype = export.ndjson(), "application/x-ndjson"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="loglens-{stamp}.{fmt}"'
    return response


def _last_event_id(latest: int) -> int:
    raw = request.headers.get("Last-Event-ID", request.args.get("last_event_id", ""))
    if raw == "":
        return latest
    if not raw.isascii() or not raw.isdigit():
        raise ApiError(400, f"Last-Event-ID must be an entry id, got {raw[:40]!r}", parameter="Last-Event-ID")
    return int(raw)


def _events(
    store: Store, hub: TailHub, query: Node, last: int, heartbeat: float, query_text: str = ""
) -> Iterator[bytes]:
    """The SSE body of a live tail. A tail query that runs past search.query_timeout_seconds ends the stream with
    an `error` event saying so (the same query would only time out again), logged at WARNING."""
    try:
        yield b"retry: 2000\n: connected\n\n"
        seen = last
        next_beat = time.monotonic() + heartbeat
        next_query = 0.0  # coalescing: no tail query sooner than poll_seconds after the previous one
        limit = TAIL_FIRST_READ  # then sized by each read for the next, across wakes (_tail_read)
        while not hub.closed:
            hub.pause(min(next_query, next_beat) - time.monotonic())
            newest = hub.wait_newer(seen, max(0.0, next_beat - time.monotonic()))
            if newest is not None:
                seen = newest
                next_query = time.monotonic() + hub.poll_seconds
                while last < newest:
                    try:
                        with hub.reading() as granted:
                            if not granted:
                                return
                            events, last, limit = _tail_read(store, query, last, newest, limit)
                    except QueryTimeout as exc:  # the same query would time out again: tell the client, stop
                        log.warning("live tail stopped: %s (q=%s)", exc, escape(query_text[:200]))
                        yield _error_event(str(exc), timeout_seconds=exc.seconds)
                        return
                    events.reverse()  # popped as they go out: an event sent is not kept
                    # `yield from`: a chunk handed out is not kept here either while the stream waits
                    yield from _chunked((events.pop() for _ in range(len(events))), TAIL_BATCH)
                    next_beat = time.monotonic() + heartbeat
            if time.monotonic() >= next_beat:
                yield b": heartbeat\n\n"
                next_beat = time.monotonic() + heartbeat
    finally:
        hub.detach()


def _error_event(message: str, **extra: Any) -> bytes:
    return b"event: error\ndata: %s\n\n" % orjson.dumps({"status": "error", "error": message, **extra})


def _tail_read(store: Store, query: Node, last: int, newest: int, limit: int) -> tuple[list[bytes], int, int]:
    """The next matches after `last` (up to `limit` rows) as SSE events, where the next read starts, and how many
    rows it should read to get about TAIL_READ_BYTES."""
    rows = store.tail(query, last, newest, limit)
    events = [b"id: %d\nevent: log\ndata: %s\n\n" % (row["id"], orjson.dumps(row)) for row in rows]
    after = rows[-1]["id"] if len(rows) == limit else newest
    size = sum(map(len, events))
    following = max(1, min(TAIL_BATCH, TAIL_READ_BYTES * len(events) // size)) if size else TAIL_BATCH
    return events, after, following


@bp.get("/api/logs/stream")
@requires("read")
def stream_logs() -> ResponseReturnValue:
    state = current_loglens()
    query = _query()
    last = _last_event_id(state.store.last_id())
    if not state.tail.attach():
        message = f"too many live streams (search.max_streams = {state.tail.max_streams})"
        raise ApiError(503, message, headers=(("Retry-After", "5"),))
    heartbeat = state.config.search.heartbeat_seconds
    body = _events(state.store, state.tail, query, last, heartbeat, request.args.get("q", ""))
    response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


@bp.get("/api/services")
@requires("read")
def services() -> ResponseReturnValue:
    return {
        "services": [
            {
                "service": s.service,
                "count": s.log_count,
                "errors": s.error_count,
                "first_seen": iso_from_ms(s.first_seen_ms),
                "last_seen": iso_from_ms(s.last_seen_ms),
            }
            for s in current_loglens().store.services()
        ]
    }


@bp.get("/api/fields")
@requires("read")
def fields() -> ResponseReturnValue:
    store = current_loglens().store
    sample = int_arg("values", 10, 1, 100)
    out: list[dict[str, Any]] = [
        {"field": "service", "values": [s.service for s in store.services()][:sample]},
        {"field": "level", "values": list(LEVELS)},
        {"field": "user_id", "values": []},
        {"field": "message", "values": []},
    ]
    users: list[str] = []
    for entry in store.search(parse(""), limit=200).logs:
        user = entry.get("user_id")
        if user is not None and user not in users and len(users) < sample:
            users.append(user)
    out[2]["values"] = users
    out += [{"field": f"metadata.{key}", "values": values} for key, values in store.fields(sample).items()]
    return {"fields": out}
