"""What access control costs the busiest request: single-entry POST /api/logs with auth off, then on (an ingest
key checked on every request, ingest_rate 0 so no request is limited), alternating to even out a noisy machine.

    python bench/auth_cost.py [--seconds 4] [--rounds 2] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.live import LiveServer  # noqa: E402


def drive(server: LiveServer, seconds: float, concurrency: int, key: str | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.load", "--port", str(server.port), "--scenario", "single"]
    cmd += ["--concurrency", str(concurrency), "--seconds", str(seconds)] + (["--api-key", key] if key else [])
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    result: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    if set(result["statuses"]) != {"201"}:
        raise RuntimeError(f"unexpected answers: {result['statuses']}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        off = LiveServer(Path(tmp) / "off", {})
        on = LiveServer(Path(tmp) / "on", {"auth": {"enabled": True, "ingest_rate": 0}})
        with off, on:
            made = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "loglens.cli",
                    "keys",
                    "create",
                    "--role",
                    "ingest",
                    "--data-dir",
                    str(on.data_dir),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            key = made.stdout.strip()
            rates: dict[str, list[float]] = {"auth off": [], "auth on": []}
            for _ in range(args.rounds):
                for name, server, sent in (("auth off", off, None), ("auth on", on, key)):
                    result = drive(server, args.seconds, args.concurrency, sent)
                    rates[name].append(result["requests_per_s"])
                    print(
                        f"{name:<9} {result['requests_per_s']:>8,.0f} req/s  p50 {result['p50_ms']:.2f} ms"
                        f"  p99 {result['p99_ms']:.2f} ms",
                        flush=True,
                    )
    best_off, best_on = max(rates["auth off"]), max(rates["auth on"])
    print(f"best: auth off {best_off:,.0f} req/s, auth on {best_on:,.0f} req/s, ratio {best_on / best_off:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
