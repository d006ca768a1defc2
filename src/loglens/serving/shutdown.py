"""Stopping the serving process: a deadline and a second signal that always end it, and a main-loop event that
Granian's signal handler cannot deadlock on.

Granian's main process waits on a threading.Event in its serve loop, and its SIGTERM/SIGINT handler calls that
event's set(). A Python signal handler runs in the main thread between two bytecodes, wherever that thread is: if
that is inside the event's own wait() or clear(), which hold the event's lock, set() waits for a lock its own
thread holds, forever; a worker's watcher thread that then calls set() ("Unexpected exit from worker-1") waits on
the same lock, and each further SIGTERM runs the same handler into the same wait. `SignalSafeEvent` makes that
lock reentrant. `ShutdownDeadline` is the backstop for whatever else may hold a stopping process: it reads the
signals from signal.set_wakeup_fd, which CPython's C-level handler writes from whichever thread the kernel picked,
so it hears them even when the main thread never runs its Python handler again, and it ends the process with
os._exit: no lock, no logging, no atexit handler is needed for that.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
import time
from pathlib import Path

STOP_SIGNALS = frozenset({int(signal.SIGTERM), int(signal.SIGINT)})
FORCED_EXIT_CODE = 1


class SignalSafeEvent(threading.Event):
    """A threading.Event that a signal handler may set in the thread that is inside its wait() or clear().

    Its lock is reentrant, so the handler's set() cannot wait for its own thread; and wait() looks at the flag at
    least every POLL_SECONDS, so a set() by a handler that ran between wait()'s look at the flag and its sleep (the
    thread held the lock then) is seen within that time rather than at the next set().
    """

    POLL_SECONDS = 0.5

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition(threading.RLock())

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = self.POLL_SECONDS if deadline is None else min(self.POLL_SECONDS, deadline - time.monotonic())
            if remaining <= 0:
                return self.is_set()
            if super().wait(remaining):
                return True


def child_pids() -> list[int]:
    """This process's children (Linux /proc; none where it is missing): the server's workers."""
    found: list[int] = []
    for task in Path("/proc/self/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            found += [int(pid) for pid in (task / "children").read_text().split()]
    return found


class ShutdownDeadline:
    """Once told to stop (SIGTERM or SIGINT), the process has `seconds` to exit; a second such signal, or the
    deadline, kills its children (SIGKILL) and ends it at once with exit code FORCED_EXIT_CODE, saying why on
    stderr. Installed by the serving process's main thread before the server installs its signal handlers (the
    wakeup fd hears only signals that have a Python handler; Granian and Gunicorn install theirs)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._write_fd = -1

    def install(self) -> None:
        read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        os.register_at_fork(after_in_child=self._forget)  # a forked worker's signals are not this process's
        threading.Thread(target=self._watch, args=(read_fd,), name="loglens-shutdown-deadline", daemon=True).start()

    def _forget(self) -> None:
        """In a forked child: stop writing its signals into this process's pipe."""
        with contextlib.suppress(ValueError, OSError):
            previous = signal.set_wakeup_fd(-1)
            if previous != self._write_fd:  # someone else's: put it back
                signal.set_wakeup_fd(previous)

    def _watch(self, read_fd: int) -> None:
        stop_by: float | None = None
        while True:
            wait = None if stop_by is None else max(0.0, stop_by - time.monotonic())
            ready, _, _ = select.select([read_fd], [], [], wait)
            if not ready:
                self._end(f"still running {self.seconds:g} s after the signal to stop")
            for number in os.read(read_fd, 64):
                if number not in STOP_SIGNALS:
                    continue
                if stop_by is not None:
                    self._end("a second signal to stop")
                stop_by = time.monotonic() + self.seconds

    def _end(self, why: str) -> None:
        message = f"loglens: {why}: ending now (its workers are killed; acknowledged writes are committed)\n"
        with contextlib.suppress(OSError):
            os.write(2, message.encode())
        for pid in child_pids():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        os._exit(FORCED_EXIT_CODE)
