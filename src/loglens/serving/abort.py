"""Ending a streamed response so that the client can tell it is incomplete, on Granian.

Gunicorn closes the connection when a WSGI body raises after its headers went out: the chunked body never gets
its last (empty) chunk, and the client reports an incomplete read. Granian's RSGI stream cannot say that: however
the application ends (returns or raises), Granian ends the body cleanly. So the RSGI bridge shuts the connection's
socket down itself: it finds the socket among the process's descriptors by the connection's two addresses and
shuts it down (both directions); Granian's next write fails and it drops the connection without the last chunk.
"""

from __future__ import annotations

import socket

from .sockets import address, find_socket


def abort_connection(client: str, server: str) -> bool:
    """Shut down the TCP connection between `client` and `server` ("host:port" as RSGI's scope gives them);
    False when no socket of this process has those addresses (the client has gone already)."""
    try:
        peer, local = address(client), address(server)
    except ValueError:
        return False
    sock = find_socket(lambda _, s: s.getpeername()[:2] == peer and s.getsockname()[:2] == local)
    if sock is None:
        return False
    with sock:  # a duplicate: closing it leaves Granian's open
        try:
            sock.shutdown(socket.SHUT_RDWR)  # acts on the connection, not only on this descriptor
        except OSError:
            return False
    return True
