"""The notification outbox on a SQLite store: how fast the delivery loop drains a backlog to one webhook on
loopback, and how long one notification takes from its alert transition to the receiver while the loop is idle.

    .venv/bin/python bench/notifications.py [--backlog 500] [--singles 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.receiver import Receiver  # noqa: E402

from loglens.alerts.delivery import Delivery, Policy  # noqa: E402
from loglens.alerts.notifiers.build import Channel  # noqa: E402
from loglens.alerts.notifiers.webhook import WebhookNotifier  # noqa: E402
from loglens.store import NewAlert  # noqa: E402
from loglens.store.sqlite import SQLiteStore  # noqa: E402


def finding(i: int) -> NewAlert:
    return NewAlert("error_rate", f"svc-{i}", "CRITICAL", f"Error rate for svc-{i} is 50%", 0.5, 0.1)


def wait(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.001)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backlog", type=int, default=500)
    parser.add_argument("--singles", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(str(Path(tmp) / "store.db"))
        receiver = Receiver()
        policy = Policy(poll_seconds=1.0)
        now = int(time.time() * 1000)
        for i in range(args.backlog):
            store.fire_alert(finding(i), now, 0, notify=["hook"])
        started = time.perf_counter()
        delivery = Delivery(store, [Channel("hook", WebhookNotifier(receiver.url))], policy=policy)
        wait(lambda: len(receiver.received) == args.backlog, 300)
        drained = time.perf_counter() - started
        latencies = []
        for i in range(args.singles):
            before = len(receiver.received)
            t0 = time.perf_counter()
            store.fire_alert(finding(args.backlog + i), int(time.time() * 1000), 0, notify=["hook"])
            delivery.wake()  # what the engine does after a transition
            wait(lambda b=before: len(receiver.received) > b, 10)
            latencies.append(time.perf_counter() - t0)
        delivery.close()
        receiver.close()
        store.close()
    print(f"backlog: {args.backlog} notifications delivered in {drained:.2f} s ({args.backlog / drained:.0f}/s)")
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
    print(f"one notification, transition to receiver: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(latencies)} runs)")


if __name__ == "__main__":
    main()
