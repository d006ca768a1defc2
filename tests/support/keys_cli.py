"""Running the `loglens` command beside a live server, without this shell's LOGLENS_* settings; keys made so."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.live import LiveServer

CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("LOGLENS_") and k != "CONFIG_PATH"}


def loglens(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loglens.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**CLEAN_ENV, **(env or {})},
    )


def create_key(server: LiveServer, role: str) -> str:
    """`loglens keys create` beside the running server, on its store."""
    done = loglens(
        "keys", "create", "--role", role, "--data-dir", str(server.data_dir), "--config", str(server.config_path)
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
