"""Interleaved A/B of the ingest hot path: this tree against another source tree (e.g. a `git archive` of main).

Starts one Granian `loglens serve` per tree (the other via PYTHONPATH=OTHER/src) and alternates the same
bench/load.py runs against them, so that both see the same background noise on a shared machine. Prints each
round and the median per scenario and side.

    git archive main | tar -x -C /tmp/base
    .venv/bin/python bench/ab.py --other /tmp/base [--rounds 3] [--seconds 4] [--no-search-index]

--no-search-index runs this tree with `storage.search_index: false`: against a tree from before the search indexes
(issue 9), it measures what the rest of the change costs, apart from the indexes' own cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

SCENARIOS = [("single", 8, "requests_per_s"), ("bulk", 4, "entries_per_s")]


def load(port: int, scenario: str, connections: int, seconds: float) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.load", "--port", str(port), "--scenario", scenario]
        + ["--concurrency", str(connections), "--seconds", str(seconds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    result: dict[str, float] = orjson.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", required=True, help="another source tree (its src/ is used)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--no-search-index", action="store_true", help="this tree without its search indexes")
    args = parser.parse_args()
    results: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings: dict[str, dict[str, object]] = {"server": {"http_server": "granian"}}
        if args.no_search_index:
            settings["storage"] = {"search_index": False}
        this = LiveServer(Path(tmp) / "this", settings)
        other = LiveServer(Path(tmp) / "other", {"server": {"http_server": "granian"}})
        saved = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = str(Path(args.other) / "src")
        os.chdir(args.other)  # an older tree also reads ./config.yaml, which must be its own
        try:
            other.start()
        finally:
            os.chdir(ROOT)
            if saved is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = saved
        this.start()
        try:
            for round_ in range(args.rounds):
                for scenario, connections, key in SCENARIOS:
                    for side, server in (
                        (("other", other), ("this", this))
                        if round_ % 2
                        else (
                            ("this", this),
                            ("other", other),
                        )
                    ):
                        value = load(server.port, scenario, connections, args.seconds)[key]
                        results.setdefault((scenario, side), []).append(value)
                        print(f"round {round_ + 1} {scenario:<7} {side:<6} {value:>10,.0f} {key}", flush=True)
        finally:
            this.kill()
            other.kill()
    for scenario, _, key in SCENARIOS:
        a, b = statistics.median(results[(scenario, "this")]), statistics.median(results[(scenario, "other")])
        print(f"{scenario:<7} median: this {a:,.0f}  other {b:,.0f}  {key}  (this/other {a / b:.2f})")


if __name__ == "__main__":
    main()
