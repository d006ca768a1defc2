"""Stopping a server a test started: SIGTERM, then SIGKILL of its process group after a deadline."""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Any


def terminate(proc: subprocess.Popen[Any] | None, timeout: float) -> None:
    """Stop `proc` (started with start_new_session=True) if it still runs: SIGTERM, SIGKILL after `timeout`."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
