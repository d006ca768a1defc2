"""Process facts from /proc (Linux): a server's worker processes and their resident memory."""

from __future__ import annotations

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
