"""Stopping a server: SIGTERM ends it within its deadline, a second SIGTERM ends it at once, and Granian's signal
handler cannot deadlock on its serve loop's event (the hang of issue 26: a main process waiting for itself).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support.live import LiveServer
from tests.support.wait import wait_until

pytestmark = pytest.mark.server

SHUTDOWN_DEADLINE = 30  # seconds (loglens.serving.server.SHUTDOWN_DEADLINE, the README's figure)
FORCED_EXIT_CODE = 1  # loglens.serving.shutdown.FORCED_EXIT_CODE


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its parent to reap it has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("http_server", ["granian", "gunicorn"])
def test_a_server_exits_cleanly_on_sigterm_within_its_deadline(tmp_path: Path, http_server: str) -> None:
    server = LiveServer(tmp_path, {"server": {"http_server": http_server}}).start()
    try:
        workers = server.worker_pids()
        assert workers
        assert server.stop(timeout=SHUTDOWN_DEADLINE + 5) == 0
        wait_until(lambda: not any(alive(pid) for pid in workers), 5, "every worker has exited")
        assert "ending now" not in server.output()
    finally:
        server.kill()


def test_a_second_sigterm_ends_a_server_that_an_open_tail_holds_up_at_once(tmp_path: Path) -> None:
    server = LiveServer(tmp_path).start()
    stream = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        workers = server.worker_pids()
        stream.sendall(b"GET /api/logs/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert stream.recv(100).startswith(b"HTTP/1.1 200")  # a live tail: Granian waits for it when stopping
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        wait_until(lambda: "Stopping worker-1" in server.output(), 10, "the server started stopping")
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=5) == FORCED_EXIT_CODE
        assert "loglens: a second signal to stop: ending now" in server.output()
        wait_until(lambda: not any(alive(pid) for pid in workers), 5, "every worker has exited")
    finally:
        stream.close()
        server.kill()


def stuck(deadline: float, *extra: str) -> tuple[subprocess.Popen[str], int]:
    """A process deadlocked in its SIGTERM handler (tests/support/stuck_shutdown.py), and its child's pid."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.stuck_shutdown", str(deadline), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    word, child = proc.stdout.readline().split()  # it printed this just before deadlocking
    assert word == "stuck"
    return proc, int(child)


def test_the_deadline_ends_a_process_stuck_in_its_signal_handler_and_kills_its_children() -> None:
    proc, child = stuck(2.0, "--child")
    try:
        started = time.monotonic()
        assert proc.wait(timeout=15) == FORCED_EXIT_CODE
        assert time.monotonic() - started >= 1.5  # not before the deadline
        assert proc.stderr is not None
        assert "loglens: still running 2 s after the signal to stop: ending now" in proc.stderr.read()
        wait_until(lambda: not alive(child), 5, "the stuck process's child has exited")
    finally:
        proc.kill()
        proc.communicate(timeout=5)  # and close its pipes


def test_a_second_sigterm_ends_a_process_stuck_in_its_signal_handler_at_once() -> None:
    proc, _ = stuck(600.0)
    try:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == FORCED_EXIT_CODE
        assert proc.stderr is not None
        assert "loglens: a second signal to stop: ending now" in proc.stderr.read()
    finally:
        proc.kill()
        proc.communicate(timeout=5)  # and close its pipes


def test_the_deadline_and_exit_code_are_the_ones_the_readme_gives() -> None:
    from loglens.serving.server import SHUTDOWN_DEADLINE as deadline
    from loglens.serving.shutdown import FORCED_EXIT_CODE as code

    assert (deadline, code) == (SHUTDOWN_DEADLINE, FORCED_EXIT_CODE)


def test_granians_sigterm_handler_does_not_deadlock_when_it_runs_inside_its_event_lock(tmp_path: Path) -> None:
    # Granian's own handler on the server serve_granian builds, run while the main thread holds the serve loop
    # event's lock (as inside its wait() or clear()): with threading.Event's lock the process never gets past it.
    script = textwrap.dedent(
        """
        import os, signal
        from loglens import config
        from loglens.serving.server import granian_server
        server = granian_server(config.load(None))
        signal.signal(signal.SIGTERM, server.signal_handler_interrupt)
        with server.main_loop_interrupt._cond:
            os.kill(os.getpid(), signal.SIGTERM)
            len("the handler runs here, with the lock held")
        print("interrupted", server.interrupt_signal, server.main_loop_interrupt.wait(5), flush=True)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGLENS_") and k != "CONFIG_PATH"}
    env["LOGLENS_STORAGE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "interrupted True True"
