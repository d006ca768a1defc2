"""A minimal Server-Sent Events client on a raw socket, for tests: every read has a deadline."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

import orjson


@dataclass
class Event:
    id: str | None = None
    event: str = "message"
    data: str = ""
    comments: list[str] = field(default_factory=list)

    def json(self) -> dict[str, object]:
        value: dict[str, object] = orjson.loads(self.data)
        return value


class SSEStream:
    def __init__(self, port: int, path: str, *, last_event_id: str | None = None, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        headers = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        if last_event_id is not None:
            headers += f"Last-Event-ID: {last_event_id}\r\n"
        self.sock.sendall((headers + "\r\n").encode())
        self.buffer = b""
        self.status = 0
        self.headers: dict[str, str] = {}
        self.chunked = False
        self._raw = b""
        self._read_head(time.monotonic() + timeout)

    def _recv(self, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no data from the stream before the deadline")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            raise TimeoutError("no data from the stream before the deadline") from None
        if not data:
            raise ConnectionError("the server closed the stream")
        return data

    def _read_head(self, deadline: float) -> None:
        while b"\r\n\r\n" not in self._raw:
            self._raw += self._recv(deadline)
        head, self._raw = self._raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"

    def body(self, deadline: float) -> bytes:
        """Whatever body bytes arrive next (de-chunked)."""
        if not self.chunked:
            if not self._raw:
                self._raw = self._recv(deadline)
            data, self._raw = self._raw, b""
            return data
        out = b""
        while not out:
            while b"\r\n" not in self._raw:
                self._raw += self._recv(deadline)
            size_line, rest = self._raw.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                raise ConnectionError("the server ended the stream")
            while len(rest) < size + 2:
                rest += self._recv(deadline)
            out, self._raw = rest[:size], rest[size + 2 :]
        return out

    def next_event(self, timeout: float = 10.0) -> Event:
        """The next event or comment block (a heartbeat is an Event with only comments)."""
        deadline = time.monotonic() + timeout
        while b"\n\n" not in self.buffer:
            self.buffer += self.body(deadline)
        block, self.buffer = self.buffer.split(b"\n\n", 1)
        event = Event()
        for line in block.decode().split("\n"):
            if line.startswith(":"):
                event.comments.append(line[1:].strip())
            elif line.startswith("id:"):
                event.id = line[3:].strip()
            elif line.startswith("event:"):
                event.event = line[6:].strip()
            elif line.startswith("data:"):
                event.data += line[5:].strip()
        return event

    def next_log(self, timeout: float = 10.0) -> Event:
        """The next `log` event, skipping heartbeats and the greeting."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next_event(max(0.01, deadline - time.monotonic()))
            if event.event == "log":
                return event

    def close(self) -> None:
        self.sock.close()
