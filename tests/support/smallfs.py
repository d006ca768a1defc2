"""A small real filesystem (a tmpfs mount) for disk-full tests: the OS answers ENOSPC, SQLite SQLITE_FULL."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@contextmanager
def small_filesystem(path: Path, size_bytes: int) -> Iterator[Path]:
    """Mount a tmpfs of `size_bytes` at `path` (root only); unmounted at the end."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path: Path, leave_bytes: int) -> Path:
    """Write a filler file so that about `leave_bytes` stay free on `path`'s filesystem; returns the filler."""
    filler = path / "filler"
    free = shutil.disk_usage(path).free
    with filler.open("wb") as out:
        out.write(b"\0" * max(0, free - leave_bytes))
    return filler
