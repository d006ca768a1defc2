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
        self, data_dir: Path, config: dict[str, Any] | None = None, *, dev: bool = False, host: str = "127.0.0.1"
    ) -> None:
        """`host` is what `serve --host` is given; the server is reached on 127.0.0.1 whatever it is."""
        self.host = host
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.data_dir / "config.yaml"
        self.config_path.write_text(yaml.safe_dump(config or {}), encoding="utf-8")
        self.port = free_port()
        self.dev = dev
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0, *, healthy: bool = True) -> LiveServer:
        """Start it and wait until /health answers 200 (`healthy=False`: until it answers at all, e.g. 503)."""
        cmd = [sys.executable, "-m", "loglens.cli", "serve", "--host", self.host, "--port", str(self.port)]
        cmd += ["--config", str(self.config_path), "--data-dir", str(self.data_dir)]
        if self.dev:
            cmd.append("--dev")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOGLENS_") and k != "CONFIG_PATH"}
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
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
