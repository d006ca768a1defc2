"""Process facts from /proc (Linux): a server's worker processes and their resident memory; the machine's CPU."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from tests.support.live import children


def rss_kb(pid: int) -> int:
    """Resident set size of `pid` in KiB (VmRSS), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def worker_rss_kb(server_pid: int) -> int:
    """RSS of the server's worker processes (its children: Gunicorn or Granian workers), summed."""
    return sum(rss_kb(pid) for pid in children(server_pid))


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU-seconds of the whole machine since boot, all cores (the first line of /proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


class BusyWindow:
    """The share of the machine's CPU time that was busy between `start` seconds after it is made and `length`
    seconds later (a window inside a load run, past the load client's start-up), measured by a thread."""

    def __init__(self, start: float, length: float) -> None:
        self.share = 0.0
        self._thread = threading.Thread(target=self._measure, args=(start, length), daemon=True)
        self._thread.start()

    def _measure(self, start: float, length: float) -> None:
        time.sleep(start)
        busy0, total0 = machine_cpu()
        time.sleep(length)
        busy1, total1 = machine_cpu()
        self.share = (busy1 - busy0) / max(total1 - total0, 1e-9)

    def result(self) -> float:
        self._thread.join()
        return self.share
