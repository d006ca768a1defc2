"""A process whose main thread deadlocks in its SIGTERM handler the way Granian's main process can, for the tests of
the shutdown deadline (tests/server/test_shutdown.py).

    python -m tests.support.stuck_shutdown DEADLINE_SECONDS [--child]

Installs loglens's ShutdownDeadline, then the handler Granian's main process installs (it sets the serve loop's
threading.Event), optionally starts a child process that would outlive it, prints `stuck` and its child's pid, and
makes the handler run while the main thread holds the event's lock, as it does inside the event's wait() or clear():
the main thread then waits for itself forever, and every later SIGTERM's handler waits behind it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from loglens.serving.shutdown import ShutdownDeadline


def main() -> int:
    ShutdownDeadline(float(sys.argv[1])).install()
    loop_interrupt = threading.Event()  # Granian's main_loop_interrupt, as Granian makes it

    def interrupt(signum: int, frame: object) -> None:  # Granian's AbstractServer.signal_handler_interrupt
        loop_interrupt.set()

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]) if "--child" in sys.argv else None
    print(f"stuck {child.pid if child else 0}", flush=True)
    with loop_interrupt._cond:  # type: ignore[attr-defined]  # what Event.wait() and Event.clear() hold
        os.kill(os.getpid(), signal.SIGTERM)
        len("the handler runs at the next bytecode boundary, with the lock held")
    return 0  # never reached


if __name__ == "__main__":
    sys.exit(main())
