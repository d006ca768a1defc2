"""What the self-metrics add to each request: CPU time of the hooks on the ingest hot path, in process.

    .venv/bin/python bench/metrics_cost.py

Prints microseconds per call (best of 5 rounds of 200,000): a bare WSGI call, the same call through
RequestTimer (latency histogram), the accepted-entries counter, and one group commit's three histograms.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loglens.metrics import Metrics, RequestTimer  # noqa: E402
from loglens.pipeline import IngestResult  # noqa: E402

ROUNDS, CALLS = 5, 200_000


def best_us(fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(CALLS):
            fn()
        best = min(best, (time.perf_counter() - start) / CALLS)
    return best * 1e6


def main() -> None:
    metrics = Metrics()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("201 CREATED", [("Content-Type", "application/json")])
        return [b"{}"]

    timed = RequestTimer(app, metrics, {"/api/logs": "/api/logs"}, {"/static/": "/static/<path:filename>"})
    environ = {"PATH_INFO": "/api/logs", "REQUEST_METHOD": "POST"}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        return None

    result = IngestResult(accepted=1)
    bare = best_us(lambda: app(environ, start_response))
    print(f"bare WSGI call            {bare:6.2f} us")
    print(f"through RequestTimer      {best_us(lambda: timed(environ, start_response)) - bare:6.2f} us more")
    print(f"observe_ingest            {best_us(lambda: metrics.observe_ingest('/api/logs', result)):6.2f} us")
    print(f"observe_commit (a group)  {best_us(lambda: metrics.observe_commit(8, 8, 0.001)):6.2f} us")


if __name__ == "__main__":
    main()
