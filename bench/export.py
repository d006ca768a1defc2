"""Export speed through a real `loglens serve` (SQLite, Granian unless --http-server): N entries sent by bulk NDJSON,
then the whole store exported as NDJSON and as CSV (GET /api/logs/export), alternating, --rounds times each; prints
entries/s per format (median) and NDJSON's speed relative to CSV's, and checks that every export holds N entries.

    .venv/bin/python bench/export.py [--entries 200000] [--rounds 3] [--http-server gunicorn]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

from loglens.model import iso_from_ms  # noqa: E402

BATCH = 1000
MAX_ENTRIES = 2_000_000
FORMATS = ("ndjson", "csv")


def send(url: str, count: int) -> None:
    """`count` entries over the last day, with metadata, in bulk requests of BATCH."""
    end_ms = int(time.time() * 1000) - 60_000
    for start in range(0, count, BATCH):
        lines = [
            orjson.dumps(
                {
                    "timestamp": iso_from_ms(end_ms - (count - i) * 86_400_000 // count),
                    "level": ("INFO", "INFO", "WARNING", "ERROR")[i % 4],
                    "service": f"svc-{i % 20:02d}",
                    "message": f"request {i} handled for customer {i % 977}",
                    "user_id": f"user-{i % 500}",
                    "metadata": {"processing_time_ms": i % 2000, "region": ("eu", "us", "ap")[i % 3]},
                }
            )
            for i in range(start, min(start + BATCH, count))
        ]
        request = urllib.request.Request(
            url + "/api/logs/bulk", data=b"\n".join(lines), headers={"Content-Type": "application/x-ndjson"}
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()


def export(url: str, fmt: str) -> tuple[float, int]:
    """(seconds, entries) of one whole-store export read to its end."""
    started = time.monotonic()
    entries = 0
    with urllib.request.urlopen(f"{url}/api/logs/export?format={fmt}", timeout=600) as response:
        for _ in response:
            entries += 1
    seconds = time.monotonic() - started
    return seconds, entries - (1 if fmt == "csv" else 0)  # CSV's header row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=200_000, help=f"entries to export (at most {MAX_ENTRIES:,})")
    parser.add_argument("--rounds", type=int, default=3, help="exports per format (default 3)")
    parser.add_argument("--http-server", choices=("granian", "gunicorn"), default="granian")
    args = parser.parse_args()
    if not 1 <= args.entries <= MAX_ENTRIES or args.rounds < 1:
        parser.error(f"--entries must be 1 to {MAX_ENTRIES:,} and --rounds at least 1")
    config = {"server": {"http_server": args.http_server}}
    with tempfile.TemporaryDirectory(prefix="loglens-export-") as tmp, LiveServer(Path(tmp), config) as live:
        started = time.monotonic()
        send(live.url, args.entries)
        print(f"{args.http_server}, {args.entries:,} entries sent in {time.monotonic() - started:.0f} s", flush=True)
        rates: dict[str, list[float]] = {fmt: [] for fmt in FORMATS}
        wrong = 0
        for _ in range(args.rounds):
            for fmt in FORMATS:
                seconds, entries = export(live.url, fmt)
                wrong += entries != args.entries
                rates[fmt].append(entries / seconds)
                print(f"  {fmt:<7} {entries:>9,} entries in {seconds:6.2f} s: {entries / seconds:>9,.0f}/s", flush=True)
    median = {fmt: statistics.median(values) for fmt, values in rates.items()}
    print(
        f"median: ndjson {median['ndjson']:,.0f} entries/s, csv {median['csv']:,.0f} entries/s;"
        f" ndjson/csv {median['ndjson'] / median['csv']:.2f}"
    )
    if wrong:
        print(f"{wrong} exports did not hold {args.entries:,} entries")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
