"""A real `loglens serve` subprocess on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml


def children(pid: int) -> list[int]:
    """Direct child processes of `pid` (Linux /proc): a server's worker processes."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """Start, stop, kill -9 and restart a server that keeps its store in `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        config: dict[str, Any] | None = None,
        *,
        dev: bool = False,
        host: str = "127.0.0.1",
        port: int | None = None,
        state_dir: Path | None = None,
        python: str | None = None,
    ) -> None:
        """`host` is what `serve --host` is given; the server is reached on 127.0.0.1 whatever it is. `port`: a
        given port (one another server holds, say) instead of a free one. `state_dir`: where this server's
        config.yaml and server.log go (default `data_dir`), so that two servers on one store keep their own.
        `python`: the interpreter of another environment (a wheel's venv), run as `python -m loglens` without
        this process's PYTHONPATH, so that it imports loglens from that environment only."""
        self.host = host
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        state = Path(state_dir) if state_dir is not None else self.data_dir
        state.mkdir(parents=True, exist_ok=True)
        self.config_path = state / "config.yaml"
        self.config_path.write_text(yaml.safe_dump(config or {}), encoding="utf-8")
        self.port = port if port is not None else free_port()
        self.dev = dev
        self.python = python
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = state / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        python = [self.python, "-m", "loglens"] if self.python else [sys.executable, "-m", "loglens.cli"]
        cmd = python + ["serve", "--host", self.host, "--port", str(self.port)]
        cmd += ["--config", str(self.config_path), "--data-dir", str(self.data_dir)]
        return cmd + (["--dev"] if self.dev else [])

    def environment(self) -> dict[str, str]:
        dropped = ("CONFIG_PATH", "PYTHONPATH") if self.python else ("CONFIG_PATH",)
        return {k: v for k, v in os.environ.items() if not k.startswith("LOGLENS_") and k not in dropped}

    def start(self, timeout: float = 20.0, *, healthy: bool = True) -> LiveServer:
        """Start it and wait until /health answers 200 (`healthy=False`: until it answers at all, e.g. 503)."""
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.environment(), start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"loglens serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except urllib.error.HTTPError:
                if not healthy:
                    return self
                time.sleep(0.05)
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"loglens serve did not answer /health within {timeout}s:\n{self.output()}")

    def run_to_exit(self, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
        """Run `serve` expecting it to stop by itself (a server that refuses to start); its exit code and output.
        Raises subprocess.TimeoutExpired if it still runs after `timeout` seconds (its process group killed first)."""
        proc = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.environment(),
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # master and workers
            proc.communicate(timeout=10)
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid) if self.proc is not None and self.proc.poll() is None else []

    def recent_logs(self, service: str) -> list[dict[str, Any]]:
        """The service's recent entries from the dashboard payload, oldest first."""
        url = f"{self.url}/api/advanced-dashboard-data?service={urllib.parse.quote(service)}"
        with urllib.request.urlopen(url, timeout=5) as response:
            data = json.loads(response.read())
        return list(reversed(data["recent_logs"]))

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (graceful) and wait; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        """kill -9 the whole process group (master and workers), as a crash would."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()
