"""`loglens ship FILE...`: send NDJSON files (`-` for stdin, `.gz` decompressed) to /api/logs/bulk in batches.

Prints a progress line on stderr (entries/s, rejected so far), each rejected entry as FILE:LINE: reason (the
first MAX_SHOWN), and a summary. Exits 0 when every entry was accepted, 1 when any was rejected or could not be
sent (server unreachable or busy past --retry-seconds), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, TextIO

from .args import KEY_HINT, add_api_key_option, add_url_argument
from .bulk import BulkOutcome, BulkSender

MAX_SHOWN = 20
# What the server answers when the key is missing, unknown or may not ingest: ship stops at the first such answer.
REFUSED = frozenset({401, 403})


def key_hint(status: int) -> str:
    if status == 401:
        return f"; {KEY_HINT}"
    return "; ship needs a key with the ingest role"


class Refused(Exception):
    """The server refused the key: no batch will get through, so shipping stops."""


def add_parser(subparsers: Any) -> None:
    """Register `ship` on the `loglens` command's subparsers."""
    parser = subparsers.add_parser("ship", help="send NDJSON log files to a running server (/api/logs/bulk)")
    parser.add_argument("files", nargs="+", metavar="FILE", help="NDJSON file(s); - reads stdin; *.gz is gunzipped")
    parser.add_argument("--batch", type=int, default=1000, help="entries per request (default 1000)")
    parser.add_argument(
        "--retry-seconds",
        type=float,
        default=60.0,
        help="how long to keep retrying one batch while the server is busy or unreachable (default 60)",
    )
    parser.add_argument("--no-gzip", action="store_true", help="send requests uncompressed")

    add_api_key_option(parser)
    add_url_argument(parser)
    parser.set_defaults(func=run)


@dataclass
class Totals:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    unsent: int = 0
    failed_files: int = 0
    shown: int = 0


class Progress:
    """One status line on stderr: rewritten in place on a terminal, a new line every few seconds otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.start = time.monotonic()
        self._last = 0.0
        self._dirty = False
        self._shown: tuple[int, int, int] | None = None  # the counts of the last line written

    def rate(self, count: int) -> float:
        return count / max(time.monotonic() - self.start, 1e-9)

    def update(self, totals: Totals, *, force: bool = False) -> None:
        """Write the status line, at most every 0.5 s on a terminal and 5 s otherwise (`force`: now), and never
        the same counts twice in a row (the last batch's line and the final one are often the same)."""
        now = time.monotonic()
        if not force and now - self._last < (0.5 if self.tty else 5.0):
            return
        counts = (totals.sent, totals.rejected, totals.unsent)
        if counts == self._shown:
            return
        self._last, self._shown = now, counts
        line = f"shipped {totals.sent} entries ({self.rate(totals.sent):,.0f}/s), rejected {totals.rejected}"
        if totals.unsent:
            line += f", unsent {totals.unsent}"
        if self.tty:
            self.stream.write(f"\r{line}\x1b[K")
            self._dirty = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def say(self, text: str) -> None:
        if self._dirty:
            self.stream.write("\r\x1b[K")
            self._dirty = False
        self.stream.write(text + "\n")
        self.stream.flush()


class Shipper:
    def __init__(self, sender: BulkSender, batch: int, retry_seconds: float, progress: Progress) -> None:
        self.sender = sender
        self.batch = batch
        self.retry_seconds = retry_seconds
        self.progress = progress
        self.totals = Totals()

    def ship(self, name: str, stream: Iterable[bytes]) -> None:
        pending: list[bytes] = []
        numbers: list[int] = []
        for number, raw in enumerate(stream, 1):
            line = raw.rstrip(b"\r\n")
            if not line or line.isspace():
                continue
            pending.append(line)
            numbers.append(number)
            if len(pending) >= self.batch:
                self._send(name, pending, numbers)
                pending, numbers = [], []
        if pending:
            self._send(name, pending, numbers)

    def _send(self, name: str, lines: list[bytes], numbers: list[int]) -> None:
        outcome = self.sender.send(lines, deadline=time.monotonic() + self.retry_seconds)
        totals = self.totals
        totals.sent += len(lines) - outcome.unsent
        totals.accepted += outcome.accepted
        totals.rejected += outcome.rejected
        totals.unsent += outcome.unsent
        self._report(name, outcome, numbers)
        self.progress.update(totals)

    def _report(self, name: str, outcome: BulkOutcome, numbers: list[int]) -> None:
        if outcome.status in REFUSED:  # every other batch would be refused the same way
            raise Refused(f"{name}: {outcome.unsent} entries not sent: {outcome.error}{key_hint(outcome.status)}")
        if outcome.unsent:
            self.progress.say(f"{name}: {outcome.unsent} entries not sent: {outcome.error}")
        for error in outcome.errors:
            if self.totals.shown >= MAX_SHOWN:
                break
            self.totals.shown += 1
            line = error.get("line")
            where = numbers[line - 1] if isinstance(line, int) and 0 < line <= len(numbers) else "?"
            self.progress.say(f"{name}:{where}: {'; '.join(map(str, error.get('errors', [])))}")


def _open(name: str, stack: ExitStack) -> Iterable[bytes]:
    if name == "-":
        return sys.stdin.buffer
    if name.endswith(".gz"):
        return stack.enter_context(gzip.open(name, "rb"))
    return stack.enter_context(open(name, "rb"))


def run(args: argparse.Namespace) -> int:
    if args.batch < 1:
        print("loglens ship: --batch must be at least 1", file=sys.stderr)
        return 2
    try:
        sender = BulkSender(args.url, compress=not args.no_gzip, user_agent="loglens-ship", api_key=args.api_key)
    except ValueError as exc:
        print(f"loglens ship: {exc}", file=sys.stderr)
        return 2
    progress = Progress(sys.stderr)
    shipper = Shipper(sender, args.batch, args.retry_seconds, progress)
    try:
        for name in args.files:
            try:
                with ExitStack() as stack:
                    shipper.ship(name, _open(name, stack))
            except (OSError, EOFError) as exc:  # unreadable file, truncated .gz
                shipper.totals.failed_files += 1
                progress.say(f"{name}: cannot read: {exc}")
    except Refused as exc:
        progress.say(f"{exc}; stopped")
    sender.close()
    totals = shipper.totals
    progress.update(totals, force=True)
    if totals.rejected > totals.shown:
        progress.say(f"... and {totals.rejected - totals.shown} more rejected entries")
    elapsed = time.monotonic() - progress.start
    progress.say(
        f"done: {totals.accepted} accepted, {totals.rejected} rejected, {totals.unsent} unsent"
        f" in {elapsed:.1f}s ({progress.rate(totals.sent):,.0f} entries/s)"
        + (f"; {totals.failed_files} file(s) unreadable" if totals.failed_files else "")
    )
    return 1 if totals.rejected or totals.unsent or totals.failed_files else 0
