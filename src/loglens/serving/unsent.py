"""How much of a streamed response a client has taken, asked of the kernel: Granian cannot tell us.

Granian's RSGI stream transport queues every `send_bytes` in an unbounded channel and resolves the awaitable at
once, whether or not the socket can take the bytes (granian 2.8, src/rsgi/io.rs): awaiting it is no backpressure,
and a client that never reads made the worker hold the whole response. What has left the process for a connection is
what the kernel holds or has delivered: `tcpi_bytes_acked` (bytes the peer acknowledged) plus the send queue, for
the TCP socket with the connection's addresses. Linux answers that over a sock_diag netlink socket (what `ss -ti`
uses; no privilege needed, no file descriptor of Granian's touched). Dropping a connection does need its descriptor:
found in /proc/self/fd by the socket's inode (serving/sockets.py), duplicated, checked to be that socket still, set
to reset on close (SO_LINGER 0) and shut down, so Granian's next write fails and it frees the connection and
everything queued for it.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from typing import Protocol

from .sockets import address, find_socket

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 1
NLMSG_ERROR = 2
INET_DIAG_INFO = 2
ESTABLISHED, CLOSE_WAIT = 1, 8  # TCP states in which the socket can still send
_HEADER = struct.Struct("=IHHII")  # nlmsghdr
_NO_COOKIE = 0xFFFFFFFF
_BYTES_ACKED = struct.Struct("=Q")  # struct tcp_info: tcpi_bytes_acked at offset 120 (Linux 4.1+)
_BYTES_ACKED_AT = 120


class Unavailable(OSError):
    """The kernel cannot say (not Linux, sock_diag missing or forbidden): the bound cannot be enforced."""


class Probe(Protocol):
    def sent(self, server: str, client: str) -> tuple[int, int] | None:
        """(bytes that left the process for this connection so far, the socket's inode); None when it is gone."""

    def drop(self, inode: int) -> bool:
        """Reset the connection whose socket has this inode; False when it is already gone."""


def _packed(family: int, host: str) -> bytes:
    return socket.inet_pton(family, host).ljust(16, b"\0")


class KernelProbe:
    """sock_diag over one netlink socket, made on first use; used from one thread (the event loop)."""

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        self._seq = 0

    def _netlink(self) -> socket.socket:
        if self._sock is None:
            try:
                self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)  # type: ignore[attr-defined,unused-ignore]
            except (AttributeError, OSError) as exc:
                raise Unavailable(f"no sock_diag netlink socket: {exc}") from None
        return self._sock

    def sent(self, server: str, client: str) -> tuple[int, int] | None:
        local, remote = address(server), address(client)
        families = [(socket.AF_INET6, local[0], remote[0])] if ":" in local[0] else []
        if ":" not in local[0]:
            # an IPv4 client of a socket bound to `::` has an IPv6 (v4-mapped) socket
            families = [(socket.AF_INET, local[0], remote[0])]
            families.append((socket.AF_INET6, "::ffff:" + local[0], "::ffff:" + remote[0]))
        for family, here, there in families:
            found = self._ask(family, (here, local[1]), (there, remote[1]))
            if found is not None:
                return found
        return None

    def _ask(self, family: int, local: tuple[str, int], remote: tuple[str, int]) -> tuple[int, int] | None:
        try:
            sockid = struct.pack("!HH", local[1], remote[1]) + _packed(family, local[0]) + _packed(family, remote[0])
        except OSError:
            return None  # not an address of this family
        sockid += struct.pack("=III", 0, _NO_COOKIE, _NO_COOKIE)
        states = (1 << ESTABLISHED) | (1 << CLOSE_WAIT)
        request = struct.pack("=BBBBI", family, socket.IPPROTO_TCP, 1 << (INET_DIAG_INFO - 1), 0, states) + sockid
        self._seq += 1
        sock = self._netlink()
        try:
            sock.send(
                _HEADER.pack(_HEADER.size + len(request), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, self._seq, 0) + request
            )
            data = sock.recv(65536)
        except OSError as exc:
            raise Unavailable(f"sock_diag failed: {exc}") from None
        length, kind, _, _, _ = _HEADER.unpack_from(data)
        if kind == NLMSG_ERROR:
            code = -struct.unpack_from("=i", data, _HEADER.size)[0]
            if code in (errno.ENOENT, errno.ESRCH, 0):
                return None
            raise Unavailable(f"sock_diag answered {errno.errorcode.get(code, code)}")
        at = _HEADER.size
        _, state, _, _ = struct.unpack_from("=BBBB", data, at)
        sport, dport = struct.unpack_from("!HH", data, at + 4)
        dst = data[at + 24 : at + 40]
        # without an exact match the kernel answers with the listening socket: only that connection counts
        if state not in (ESTABLISHED, CLOSE_WAIT) or (sport, dport) != (local[1], remote[1]):
            return None
        if dst != _packed(family, remote[0]):
            return None
        _, _, wqueue, _, inode = struct.unpack_from("=IIIII", data, at + 52)
        offset = at + 72
        while offset + 4 <= length:
            size, kind = struct.unpack_from("=HH", data, offset)
            if size < 4:
                break
            if kind == INET_DIAG_INFO and size - 4 >= _BYTES_ACKED_AT + 8:
                acked = _BYTES_ACKED.unpack_from(data, offset + 4 + _BYTES_ACKED_AT)[0]
                return int(acked) + int(wqueue), int(inode)
            offset += (size + 3) & ~3
        raise Unavailable("sock_diag gave no tcp_info with tcpi_bytes_acked (Linux 4.1 or later needed)")

    def drop(self, inode: int) -> bool:
        target = f"socket:[{inode}]"
        sock = find_socket(lambda link, s: link == target and os.fstat(s.fileno()).st_ino == inode)
        if sock is None:  # gone (or the number was reused meanwhile)
            return False
        with sock:  # our duplicate only; Granian's own descriptor fails its next write and closes
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return True

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
