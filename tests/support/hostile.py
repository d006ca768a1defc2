"""Hostile and broken HTTP clients on raw sockets: stalled bodies, slowloris heads, abandoned HTTP/2 streams."""

from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any

ENTRY = {"timestamp": "2026-01-15T10:00:00Z", "level": "INFO", "service": "hostile", "message": "m"}
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_RECEIVED: dict[int, bytes] = {}  # by id() of the socket: sockets take no attributes


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def stalled_body(port: int, path: str = "/api/logs/bulk") -> socket.socket:
    """A POST that declares 1,000 body bytes, sends 5, then nothing (and keeps the connection open)."""
    sock = connect(port)
    head = request_head("POST", path, {"Content-Type": "application/x-ndjson", "Content-Length": "1000"})
    sock.sendall(head + b'{"tim')
    return sock


def slowloris(port: int) -> socket.socket:
    """A request head that never ends; `drip` sends one more byte of it."""
    sock = connect(port)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def drip(sock: socket.socket) -> bool:
    """One more header byte; False once the server has closed the connection."""
    try:
        sock.send(b"a")
        return True
    except OSError:
        return False


def _hpack_literal(name: str, value: str) -> bytes:
    """One header field as an HPACK literal without indexing, new name, no Huffman (lengths below 127)."""
    n, v = name.encode(), value.encode()
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v


def h2_frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def h2_stalled_post(port: int, path: str = "/api/logs/bulk") -> socket.socket:
    """Cleartext HTTP/2 (prior knowledge): a POST stream declaring 1,000 body bytes that sends 5 and stops."""
    sock = connect(port)
    fields = [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", path),
        (":authority", "127.0.0.1"),
        ("content-type", "application/x-ndjson"),
        ("content-length", "1000"),
    ]
    block = b"".join(_hpack_literal(k, v) for k, v in fields)
    sock.sendall(
        H2_PREFACE
        + h2_frame(0x4, 0, 0, b"")  # SETTINGS
        + h2_frame(0x1, 0x4, 1, block)  # HEADERS, END_HEADERS, stream open
        + h2_frame(0x0, 0, 1, b'{"tim')  # 5 body bytes, no END_STREAM
    )
    return sock


def h2_frames(data: bytes) -> list[tuple[int, int, int]]:
    """(type, flags, stream) of each whole frame in `data` (after the server's preface-less start)."""
    frames = []
    at = 0
    while at + 9 <= len(data):
        length = int.from_bytes(data[at : at + 3], "big")
        frames.append((data[at + 3], data[at + 4], int.from_bytes(data[at + 5 : at + 9], "big") & 0x7FFFFFFF))
        at += 9 + length
    return frames


def h2_read_until(sock: socket.socket, marker: bytes, seconds: float) -> bytes:
    """What the server sends on an HTTP/2 connection until `marker` appears, it closes, or `seconds` pass."""
    sock.settimeout(0.2)
    data = b""
    deadline = time.monotonic() + seconds
    while marker not in data and time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            break
        data += chunk
    return data


def closed_by_server(sock: socket.socket) -> bool:
    """True when the server has closed the connection (EOF or reset), keeping whatever it answered first."""
    sock.setblocking(False)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
            _RECEIVED[id(sock)] = received(sock) + data
    except BlockingIOError:
        return False
    except OSError:  # reset by the server
        return True


def received(sock: socket.socket) -> bytes:
    """What the server sent on `sock` before closing it (as read by closed_by_server)."""
    return _RECEIVED.get(id(sock), b"")


def wait_all_closed(socks: list[socket.socket], seconds: float, *, dripping: int = 0) -> list[int]:
    """Poll until the server has closed every socket or `seconds` pass; the indexes still open.

    The last `dripping` sockets are slowloris heads: each poll sends them one more byte.
    """
    deadline = time.monotonic() + seconds
    open_ = list(range(len(socks)))
    while open_ and time.monotonic() < deadline:
        open_ = [i for i in open_ if not closed_by_server(socks[i])]
        for i in open_:
            if i >= len(socks) - dripping:
                drip(socks[i])
        if open_:
            time.sleep(0.2)
    return open_


def http(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Any:
    """One ordinary HTTP/1.1 request on a fresh connection: (status, JSON body)."""
    head = {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
    with connect(port) as sock:
        sock.sendall(request_head(method, path, head) + body)
        return read_response(sock)


def read_response(sock: socket.socket) -> tuple[int, Any]:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return parse_response(data)


def parse_response(data: bytes) -> tuple[int, Any]:
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body
