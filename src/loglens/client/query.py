"""`loglens query QUERY [--since 1h] [--limit N] [--json]` and `loglens tail [QUERY]`, against a running server.

Both take the server URL the way `loglens ship` does (`--url`, else $LOGLENS_URL, else http://127.0.0.1:5000).
`query` prints a table (NDJSON with --json), newest first, following the cursor up to --limit entries; `tail`
prints entries as they are committed (GET /api/logs/stream) and reconnects with Last-Event-ID, so a dropped
connection loses nothing; it says on stderr when it has lost the server and gives up after --retry-seconds
(default 30) without one. Exit codes: 0 ok, 1 the server failed or could not be reached, 2 bad arguments, a query
the server refused (400) or a missing, unknown or too weak API key (401, 403); the server's message is printed
as text.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any, TextIO

import orjson

from .args import add_api_key_option, add_url_argument, api_key_headers, refusal

PAGE = 1000
TAIL_RETRY_SECONDS = 30.0  # how long `tail` keeps trying to reach a server it has lost (or never reached)
REFUSED = frozenset({400, 401, 403})  # answers that the same request would get again: exit 2, no retry


def add_parsers(subparsers: Any) -> None:
    query = subparsers.add_parser("query", help="search stored entries (GET /api/logs), newest first")
    query.add_argument("query", nargs="?", default="", help="e.g. 'level>=ERROR service:auth-service timeout'")
    query.add_argument("--since", help="how far back: 15m, 2h, 7d or an RFC 3339 time (default: everything)")
    query.add_argument("--until", help="end of the range (relative or RFC 3339; default: now and later)")
    query.add_argument("--limit", type=int, default=100, help="most entries to print (default 100)")
    query.add_argument("--json", action="store_true", help="print NDJSON, one entry per line")
    add_url_argument(query)
    add_api_key_option(query)
    query.set_defaults(func=run_query)

    tail = subparsers.add_parser("tail", help="print matching entries as they arrive (GET /api/logs/stream)")
    tail.add_argument("query", nargs="?", default="", help="only entries matching this query")
    tail.add_argument("--json", action="store_true", help="print NDJSON, one entry per line")
    tail.add_argument(
        "--retry-seconds",
        type=float,
        default=TAIL_RETRY_SECONDS,
        help=f"how long to keep reconnecting to a server that cannot be reached (default {TAIL_RETRY_SECONDS:g})",
    )
    add_url_argument(tail)
    add_api_key_option(tail)
    tail.set_defaults(func=run_tail)


class ClientError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def http_error(exc: urllib.error.HTTPError) -> ClientError:
    """An error answer as a ClientError: the server's message as text, exit code 2 for what a retry cannot fix."""
    body = exc.read(2000) if exc.fp is not None else b""
    return ClientError(f"{refusal(exc.code, body)} (HTTP {exc.code})", 2 if exc.code in REFUSED else 1)


def _get(url: str, headers: dict[str, str], timeout: float = 30.0) -> Any:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            return orjson.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise http_error(exc) from None
    except (urllib.error.URLError, OSError) as exc:
        raise ClientError(f"cannot reach {url}: {_reason(exc)}", 1) from None


def _reason(exc: Exception) -> str:
    return str(exc.reason) if isinstance(exc, urllib.error.URLError) else str(exc)


def search_pages(
    base: str, query: str, since: str | None, until: str | None, limit: int, api_key: str | None = None
) -> Iterator[dict[str, Any]]:
    params = {"q": query, "limit": str(min(PAGE, limit))}
    if since:
        params["from"] = since
    if until:
        params["to"] = until
    sent = 0
    while sent < limit:
        page = _get(f"{base}/api/logs?{urllib.parse.urlencode(params)}", api_key_headers(api_key))
        for log in page["logs"][: limit - sent]:
            yield log
            sent += 1
        if page["next_cursor"] is None:
            return
        params["cursor"] = page["next_cursor"]
        params["limit"] = str(min(PAGE, limit - sent))


def format_row(log: dict[str, Any]) -> str:
    user = log.get("user_id") or "-"
    extra = f" {orjson.dumps(log['metadata']).decode()}" if log.get("metadata") else ""
    message = " ".join(str(log["message"]).split())  # one line per entry on a terminal
    return f"{log['timestamp']:<29} {log['level']:<8} {log['service']:<20} {user:<12} {message}{extra}"


def _print(log: dict[str, Any], as_json: bool, out: TextIO) -> None:
    out.write(orjson.dumps(log).decode() + "\n" if as_json else format_row(log) + "\n")


def run_query(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 1_000_000:
        print("loglens query: --limit must be between 1 and 1000000", file=sys.stderr)
        return 2
    base = args.url.rstrip("/")
    out = sys.stdout
    header = None if args.json else f"{'TIMESTAMP':<29} {'LEVEL':<8} {'SERVICE':<20} {'USER':<12} MESSAGE\n"
    try:
        pages = search_pages(base, args.query, args.since, args.until, args.limit, args.api_key)
        first = next(pages, None)  # the first answer before the header: an error prints no table
        if header is not None:
            out.write(header)
        if first is not None:
            _print(first, args.json, out)
        for log in pages:
            _print(log, args.json, out)
    except ClientError as exc:
        print(f"loglens query: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:  # `| head`
        return 0
    return 0


def sse_events(response: Any) -> Iterator[tuple[str | None, str, str]]:
    """(id, event, data) for each event of an SSE response; comments (heartbeats) are skipped."""
    event_id: str | None = None
    event, data = "message", ""
    for raw in response:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line == "":
            if data:
                yield event_id, event, data
            event, data = "message", ""
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "id":
            event_id = value
        elif name == "event":
            event = value
        elif name == "data":
            data += value


def run_tail(args: argparse.Namespace) -> int:
    base = args.url.rstrip("/")
    url = f"{base}/api/logs/stream?{urllib.parse.urlencode({'q': args.query})}"
    last_id: str | None = None
    lost_since: float | None = None  # when the server was last lost (monotonic), None while connected
    failures = 0
    while True:
        headers = {"Accept": "text/event-stream", **api_key_headers(args.api_key)}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as response:
                lost_since, failures = None, 0
                for event_id, event, data in sse_events(response):
                    if event == "log":
                        _print(orjson.loads(data), args.json, sys.stdout)
                        sys.stdout.flush()
                        last_id = event_id
            problem = "the server closed the stream"
        except urllib.error.HTTPError as exc:
            error = http_error(exc)
            if error.code == 2:
                print(f"loglens tail: {error}", file=sys.stderr)
                return 2
            problem = str(error)
        except (urllib.error.URLError, OSError) as exc:
            problem = f"cannot reach {base}: {_reason(exc)}"
        except KeyboardInterrupt:
            return 0
        now = time.monotonic()
        if lost_since is None:
            lost_since = now
            print(f"loglens tail: {problem}; reconnecting for up to {args.retry_seconds:g} s", file=sys.stderr)
        elif now - lost_since >= args.retry_seconds:
            print(f"loglens tail: {problem}; gave up after {args.retry_seconds:g} s", file=sys.stderr)
            return 1
        failures += 1
        wait = min(5.0, 0.25 * 2 ** min(failures, 5), max(0.0, lost_since + args.retry_seconds - now))
        try:
            time.sleep(wait)
        except KeyboardInterrupt:
            return 0
