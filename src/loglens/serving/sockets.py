"""This process's own sockets, found among its descriptors: the RSGI bridge needs a connection's socket that Granian
holds (to cut it off, serving/abort.py; to reset a client that takes nothing, serving/unsent.py), and Granian does
not hand it over. Linux only (/proc); elsewhere nothing is found.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable

FD_DIR = "/proc/self/fd"


def address(text: str) -> tuple[str, int]:
    """("host", port) of an RSGI scope's "host:port" (IPv6 hosts may come in brackets)."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def find_socket(matches: Callable[[str, socket.socket], bool]) -> socket.socket | None:
    """A duplicate of the first socket descriptor of this process that `matches` (given the descriptor's /proc link,
    `socket:[INODE]`, and the duplicate), or None. The caller closes the duplicate; the original stays open."""
    try:
        names = os.listdir(FD_DIR)
    except OSError:
        return None
    for name in names:
        try:
            link = os.readlink(f"{FD_DIR}/{name}")
            if not link.startswith("socket:"):
                continue
            sock = socket.socket(fileno=os.dup(int(name)))
        except (OSError, ValueError):
            continue
        try:
            if matches(link, sock):
                return sock
        except OSError:
            pass
        with contextlib.suppress(OSError):
            sock.close()
    return None
