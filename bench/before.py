"""Ingest now against an earlier commit, in one run: `make bench` prints issue 4's figures beside today's.

    .venv/bin/python bench/before.py [--ref a883778] [--rounds 2]

Extracts the tree of --ref (default: issue 4's last ingest commit) with `git archive` into a temporary directory and
runs its own bench/run.py there (with that tree's loglens on PYTHONPATH, this venv's packages), then this tree's
bench/run.py, then this tree's again without its search indexes (BENCH_SEARCH_INDEX=0: what the rest of the
change costs, apart from issue 9's indexes), for --rounds rounds, each starting with the next side, so that a
drift of the machine hits every side alike. Prints this tree's last full table, then every row's entries/s for
each side (the median over rounds) and the ratios to the earlier commit. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REF = "a883778"  # "Fast ingest path": issue 4's figures (README, Performance)
ROW = re.compile(r"^(gunicorn|granian×2|granian)\s+(.+?)\s+(\d+)\s+([\d,]+)\s+([\d,]+)\s", re.M)
FLOOR = re.compile(r"^floor .*?: ([\d,]+) entries/s", re.M)


def extract(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(tree: Path, search_index: bool = True) -> tuple[dict[str, float], str]:
    """One bench/run.py of `tree`: entries/s per (server, scenario) and the floor; and what it printed."""
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{tree}"}
    env["BENCH_SEARCH_INDEX"] = "1" if search_index else "0"
    done = subprocess.run(
        [sys.executable, "bench/run.py"], cwd=tree, env=env, capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench/run.py in {tree} failed: {done.stderr[-2000:]}")
    rates = {f"{m[1]} {m[2].strip()}": float(m[5].replace(",", "")) for m in ROW.finditer(done.stdout)}
    floor = FLOOR.search(done.stdout)
    if floor is None or not rates:
        raise RuntimeError(f"no figures in the output of bench/run.py in {tree}:\n{done.stdout[-2000:]}")
    rates["floor (in-process)"] = float(floor[1].replace(",", ""))
    return rates, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default=DEFAULT_REF, help="the earlier commit")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each side")
    args = parser.parse_args()
    now: list[dict[str, float]] = []
    plain: list[dict[str, float]] = []  # this tree without its search indexes
    before: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="loglens-before-") as tmp:
        tree = extract(args.ref, Path(tmp))
        sides = [
            (args.ref, tree, True, before),
            ("this tree", ROOT, True, now),
            ("this tree without its search indexes", ROOT, False, plain),
        ]
        printed = ""
        for i in range(args.rounds):
            start = i % len(sides)  # each round starts with the next side
            for name, where, search_index, results in sides[start:] + sides[:start]:
                print(f"round {i + 1}/{args.rounds}: {name} ...", flush=True)
                rates, output = run(where, search_index)
                results.append(rates)
                if results is now:
                    printed = output
    print(f"\nthis tree, last round:\n{printed}")
    print(f"entries/s, median of {args.rounds} alternating runs (BENCH_SECONDS={os.environ.get('BENCH_SECONDS', '4')})")
    header = f"{'row':<44} {args.ref:>12} {'now':>12} {'now/before':>10} {'no index':>12} {'/before':>8}"
    print(header + "\n" + "-" * len(header))
    for row in before[0]:
        if all(row in r for r in now + before + plain):
            old = statistics.median(r[row] for r in before)
            new = statistics.median(r[row] for r in now)
            bare = statistics.median(r[row] for r in plain)
            print(f"{row:<44} {old:>12,.0f} {new:>12,.0f} {new / old:>10.2f} {bare:>12,.0f} {bare / old:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
