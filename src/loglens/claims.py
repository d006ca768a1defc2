"""What a starting server claims for itself: its store and its port.

A second `loglens serve` on the same SQLite store, or on a port already in use, stops at start with one line and
exit code 2, instead of starting beside the first one.

The store: a lock on `<store file>-server.lock`, beside the SQLite file, taken by the serving process (Granian's
or Gunicorn's master, or the --dev server) before it opens the store, and held until that process exits. It is a
POSIX record lock (`fcntl.lockf`), which forked workers do not inherit: the lock is the master's alone, so it is
gone the moment the master is, even while a killed server's workers are still dying, and the kernel releases it
whatever the way the master ends (no stale lock after `kill -9`). Only `serve` takes it: `loglens keys` and the
other commands open the store beside a running server, as SQLite's own locking allows. The file holds the pid of
the server that holds it, for the message. (A POSIX lock is released when its process closes any descriptor of
the file; only this module opens it.)

ClickHouse keeps no local store: any number of stateless nodes share one database, so there is no lock there.

The port: before the HTTP server binds, a probe binds and listens on the address without SO_REUSEPORT. Granian
binds its workers' sockets with SO_REUSEPORT, so without the probe a second Granian server would silently share
the port with the first (each taking some of the connections), and a second Gunicorn would retry for seconds and
exit 1. A listening socket of any other process on that address makes the probe fail.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from .auth.hosts import bind_address
from .config import Settings, store_path

LOCK_SUFFIX = "-server.lock"
MEMORY = ":memory:"


class Claimed(Exception):
    """Another server holds what this one needs; the message is one line for `loglens serve` to print."""


@dataclass
class StoreLock:
    path: Path
    fd: int

    def release(self) -> None:
        os.close(self.fd)


def claim(config: Settings) -> StoreLock | None:
    """Lock the SQLite store (None for ClickHouse and :memory:), then check the port; Claimed when either is
    taken. The lock is held until this process exits, or `release()`."""
    lock = None
    if config.storage.backend == "sqlite" and store_path(config) != MEMORY:
        lock = lock_store(store_path(config))
    try:
        check_port(config.server.host, config.server.port)
    except Claimed:
        if lock is not None:
            lock.release()
        raise
    return lock


def lock_store(db_path: str) -> StoreLock:
    """Take the server lock of the SQLite store at `db_path`, or raise Claimed naming its directory and the pid
    of the server that holds it."""
    path = Path(db_path + LOCK_SUFFIX)
    directory = path.parent.resolve()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise Claimed(f"cannot lock the store in {directory}: {exc.strerror or exc}") from None
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = _holder(fd)
        os.close(fd)
        if exc.errno not in (errno.EACCES, errno.EAGAIN):
            raise Claimed(f"cannot lock the store in {directory}: {exc.strerror or exc}") from None
        who = f"another LogLens server (pid {holder})" if holder else "another LogLens server"
        raise Claimed(
            f"{who} is already serving the store in {directory}; stop it first, or give this one another --data-dir"
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        pass  # a full disk: the lock holds all the same, and a second server's message just lacks the pid
    return StoreLock(path, fd)


def _holder(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def check_port(host: str, port: int) -> None:
    """Raise Claimed when `host:port` cannot be listened on: in use (by any process, SO_REUSEPORT or not), or
    not allowed. SO_REUSEADDR is set as the servers set it, so a connection of a stopped server lingering in
    TIME_WAIT is no conflict."""
    address = bind_address(host)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    shown = f"[{address}]:{port}" if family == socket.AF_INET6 else f"{address}:{port}"
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
            probe.listen(1)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise Claimed(
                    f"{shown} is already in use (another server?); stop it, or pick another port with --port"
                ) from None
            raise Claimed(f"cannot listen on {shown}: {exc.strerror or exc}") from None
