"""Syslog senders for tests: util-linux `logger`, a foreground `rsyslogd` with its own work directory, free ports,
and waiting (with a deadline) for entries to be searchable."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import terminate

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "syslog.md"


def need(binary: str) -> str:
    """The path of a client the test runs; in CI (CI=true) its absence fails the test instead of skipping it."""
    found = shutil.which(binary) or (f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{binary} is not installed (make system-deps)")
        pytest.skip(f"{binary} is not installed (make system-deps)")
    return found


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_both() -> int:
    """A port free for TCP and UDP alike on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no port free for both TCP and UDP")


def logger(*args: str) -> None:
    subprocess.run([need("logger"), *args], check=True, timeout=20, capture_output=True)


def search(url: str, query: str, limit: int = 1000) -> list[dict[str, Any]]:
    address = f"{url}/api/logs?q={urllib.parse.quote(query)}&limit={limit}"
    with urllib.request.urlopen(address, timeout=10) as response:
        logs: list[dict[str, Any]] = json.loads(response.read())["logs"]
        return logs


def wait_for(url: str, query: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The entries matching `query` once there are `count` of them; fails after `timeout` seconds, showing what
    had arrived."""
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = search(url, query)
        if len(found) >= count:
            return sorted(found, key=lambda e: e["message"])
        time.sleep(0.1)
    raise AssertionError(f"{len(found)} of {count} entries for {query!r} arrived within {timeout}s: {found}")


def metric(url: str, name: str) -> float:
    """The sum of a metric's samples whose line starts with `name` (labels included in `name` if given)."""
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


def doc_snippet(name: str) -> str:
    """The code block that follows `<!-- tested: NAME -->` in docs/syslog.md."""
    match = re.search(rf"<!-- tested: {re.escape(name)} -->\s*```[a-z]*\n(.*?)```", DOC.read_text(), re.S)
    assert match is not None, f"docs/syslog.md has no tested snippet {name!r}"
    return match.group(1)


class Rsyslogd:
    """`rsyslogd -n` (foreground) with its own config, work directory and pid file under `root`; its input is
    imtcp on a free loopback port."""

    def __init__(self, root: Path, forwarding: str) -> None:
        self.root = root
        self.work = root / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.input_port = free_port_both()
        self.config = root / "rsyslog.conf"
        self.config.write_text(
            f'global(workDirectory="{self.work}")\n'
            'module(load="imtcp")\n'
            f'input(type="imtcp" address="127.0.0.1" port="{self.input_port}")\n' + forwarding
        )
        self.pidfile = root / "rsyslogd.pid"
        self.log = root / "rsyslogd.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15.0) -> Rsyslogd:
        binary = need("rsyslogd")
        check = subprocess.run([binary, "-N1", "-f", str(self.config)], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, f"rsyslogd rejects the config:\n{check.stdout}{check.stderr}"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [binary, "-n", "-f", str(self.config), "-i", str(self.pidfile)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"rsyslogd exited: {self.log.read_text(errors='replace')}"
            try:
                socket.create_connection(("127.0.0.1", self.input_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError(f"rsyslogd did not listen within {timeout}s: {self.log.read_text(errors='replace')}")

    def stop(self, timeout: float = 15.0) -> None:
        terminate(self.proc, timeout)
