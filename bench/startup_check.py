"""What the startup integrity check (storage.integrity_check) costs on a big store.

Fills an embedded store with N entries (the dashboard benchmark's mix), then times opening it with each check
(`quick`: PRAGMA quick_check, the default; `full`: PRAGMA integrity_check; `off`), with the file's pages
dropped from the OS cache first (cold, as after a reboot) and then warm. Prints seconds and MB/s.

    .venv/bin/python bench/startup_check.py [--entries 5000000] [--store PATH (kept and reused)]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dashboard_cost import fill  # noqa: E402
from loglens.store.sqlite import SQLiteStore  # noqa: E402


def drop_cache(path: Path) -> None:
    """Evict the store's files from the page cache (this file only, not the whole machine's cache)."""
    for suffix in ("", "-wal", "-shm"):
        name = str(path) + suffix
        if os.path.exists(name):
            fd = os.open(name, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def time_open(path: Path, check: str, cold: bool) -> float:
    if cold:
        drop_cache(path)
    start = time.perf_counter()
    SQLiteStore(str(path), integrity_check=check).close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5_000_000)
    parser.add_argument("--store", help="store file to fill (if missing) and reuse")
    args = parser.parse_args()
    tmp = None
    if args.store:
        path = Path(args.store)
    else:
        tmp = tempfile.TemporaryDirectory()
        path = Path(tmp.name) / "loglens.db"
    if not path.exists():
        print(f"filling {path} with {args.entries:,} entries ...", flush=True)
        print(f"  filled in {fill(path, args.entries):.0f} s", flush=True)
    size_mb = path.stat().st_size / 1e6
    print(f"store: {size_mb:,.0f} MB")
    print(f"{'check':<8}{'cold s':>10}{'warm s':>10}{'cold MB/s':>12}")
    for check in ("off", "quick", "full"):
        cold = time_open(path, check, cold=True)
        warm = time_open(path, check, cold=False)
        print(f"{check:<8}{cold:>10.2f}{warm:>10.2f}{size_mb / cold:>12,.0f}", flush=True)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
