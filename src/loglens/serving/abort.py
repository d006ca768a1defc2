"""Ending a streamed response so that the client can tell it is incomplete, on Granian.

Gunicorn closes the connection when a WSGI body raises after its headers went out: the chunked body never gets
its last (empty) chunk, and the client reports an incomplete read. Granian's RSGI stream cannot say that: however
the application ends (returns or raises), Granian ends the body cleanly. So the RSGI bridge shuts the connection's
socket down itself: it finds the socket among the process's descriptors by the connection's two addresses and
shuts it down (both directions); Granian's next write fails and it drops the connection without the last chunk.
"""

from __future__ import annotations

import contextlib
import os
import socket

FD_DIR = "/proc/self/fd"


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def abort_connection(client: str, server: str) -> bool:
    """Shut down the TCP connection between `client` and `server` ("host:port" as RSGI's scope gives them);
    False when no socket of this process has those addresses (the client has gone already)."""
    try:
        peer, local = _address(client), _address(server)
    except ValueError:
        return False
    try:
        names = os.listdir(FD_DIR)
    except OSError:
        return False
    for name in names:
        try:
            if not os.readlink(f"{FD_DIR}/{name}").startswith("socket:"):
                continue
            sock = socket.socket(fileno=os.dup(int(name)))  # a duplicate: closing it leaves Granian's open
        except (OSError, ValueError):
            continue
        with contextlib.closing(sock):
            try:
                if sock.getpeername()[:2] == peer and sock.getsockname()[:2] == local:
                    sock.shutdown(socket.SHUT_RDWR)  # acts on the connection, not only on this descriptor
                    return True
            except OSError:
                continue
    return False
