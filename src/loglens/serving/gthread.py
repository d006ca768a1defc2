"""Gunicorn's gthread worker, made to buffer each request before a thread takes it.

Stock gthread gives a connection to a request thread as soon as its first byte arrives; the thread then reads the
head and body with blocking reads and no deadline, so a few clients sending headers one byte at a time
(slowloris) or a body that never ends held every thread. Here the worker's poller (its main thread) reads what
each connection has into a buffer, without blocking, until the head and the whole body (Content-Length or
chunked, within server.max_body_bytes) are in; only then is the request handed to a thread, with the buffer
put back in front of the parser. The head must arrive within server.client_timeout_seconds, and the body may
pause for at most that long; otherwise the connection gets a JSON 408 and is closed. Once on a thread, every
socket read and write still has that timeout (a slow reader of a streamed response keeps its thread only as
long as it keeps reading). Errors that Gunicorn itself answers (a malformed request line or header) are JSON.
"""

from __future__ import annotations

import errno
import selectors
import socket
import time
from functools import partial
from typing import Any

from gunicorn.http import RequestParser
from gunicorn.http import errors as http_errors
from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.gthread import TConn, ThreadWorker

from ..answer import too_large
from . import responses
from .responses import Refused

MAX_HEAD_BYTES = 64 * 1024  # more than Gunicorn's own limits accept: past this the parser answers with its error
RECV_BYTES = 256 * 1024


class RequestBuffer:
    """Says when the bytes received so far hold one complete request: its head, then its whole body."""

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes
        self.data = bytearray()
        self.head_end = -1
        self.length: int | None = None  # Content-Length of the body
        self.chunked = False
        self.scan = 0  # chunked: where the next chunk-size line starts
        self.decoded = 0  # chunked: body bytes seen so far
        self.expects_continue = False  # the client waits for "100 Continue" before it sends the body

    def feed(self, data: bytes) -> bool:
        """Add received bytes; True once the request is complete (or malformed: the parser will say why)."""
        self.data += data
        if self.head_end < 0:
            end = self.data.find(b"\r\n\r\n")
            if end < 0:
                return len(self.data) > MAX_HEAD_BYTES
            self.head_end = end + 4
            if not self._read_head(bytes(self.data[:end])):
                return True
            self.scan = self.head_end
        if self.chunked:
            return self._chunks_done()
        return len(self.data) >= self.head_end + (self.length or 0)

    @property
    def in_body(self) -> bool:
        return self.head_end >= 0

    def _read_head(self, head: bytes) -> bool:
        """Note the body's framing; False when the head cannot be judged here (Gunicorn's parser answers it)."""
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                text = value.strip()
                if not text.isdigit():
                    return False
                self.length = int(text)
                if self.length > self.max_body_bytes:
                    raise Refused(413, too_large(self.max_body_bytes))
            elif name == b"transfer-encoding":
                self.chunked = b"chunked" in value.lower()
            elif name == b"expect":
                self.expects_continue = value.strip().lower() == b"100-continue"
        return True

    def _chunks_done(self) -> bool:
        data = self.data
        while True:
            line_end = data.find(b"\r\n", self.scan)
            if line_end < 0:
                return len(data) - self.scan > 1024  # a chunk-size line this long is malformed: let the parser say
            size_text = bytes(data[self.scan : line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise Refused(400, f"malformed chunked body: bad chunk size {size_text[:20]!r}") from None
            if size == 0:  # the last chunk, then optional trailer fields and an empty line
                rest = line_end + 2
                return data[rest : rest + 2] == b"\r\n" or data.find(b"\r\n\r\n", line_end) >= 0
            self.decoded += size
            if self.decoded > self.max_body_bytes:
                raise Refused(413, too_large(self.max_body_bytes))
            following = line_end + 2 + size + 2
            if following > len(data):
                return False
            if data[following - 2 : following] != b"\r\n":
                raise Refused(400, "malformed chunked body: a chunk does not end with CRLF")
            self.scan = following


class BufferedUnreader(SocketUnreader):  # type: ignore[misc]
    """Gunicorn's socket reader, serving first the bytes the poller buffered, in socket-sized pieces.

    Gunicorn's body readers take 1 KiB at a time and copy all that is left in the unread buffer for each, so
    the whole request unread in one piece made an 8 MB body take 16 s of a thread's time, GIL held (measured).
    """

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self.buffered = b""
        self.offset = 0

    def feed(self, data: bytes) -> None:
        self.buffered = self.buffered[self.offset :] + data
        self.offset = 0

    def chunk(self) -> bytes:
        if self.offset < len(self.buffered):
            piece: bytes = self.buffered[self.offset : self.offset + self.mxchunk]
            self.offset += len(piece)
            return piece
        self.buffered, self.offset = b"", 0
        data: bytes = super().chunk()
        return data


class BufferedConn(TConn):  # type: ignore[misc]
    parser: Any
    initialized: bool
    sock: socket.socket

    def __init__(self, cfg: Any, sock: socket.socket, client: Any, server: Any, *, timeout: float) -> None:
        super().__init__(cfg, sock, client, server)
        self.client_timeout = timeout
        self.pending: RequestBuffer | None = None
        self.deadline = 0.0

    def init(self) -> None:
        """Called as the connection goes to a thread: bounded socket waits, and the buffered bytes in front."""
        self.initialized = True
        self.sock.settimeout(self.client_timeout)
        if self.parser is None:
            self.parser = RequestParser(self.cfg, self.sock, self.client)
            self.parser.unreader = BufferedUnreader(self.sock)
        if self.pending is not None:
            self.parser.unreader.feed(bytes(self.pending.data))
            self.pending = None


class BufferingThreadWorker(ThreadWorker):  # type: ignore[misc]
    """The gthread worker with request buffering in its poller (see the module's docstring)."""

    def init_process(self) -> None:
        server = self.app.loglens_config.server
        self.client_timeout: float = server.client_timeout_seconds
        self.max_body_bytes: int = server.max_body_bytes
        self.buffering: set[BufferedConn] = set()
        super().init_process()

    def accept(self, server: Any, listener: socket.socket) -> None:
        try:
            sock, client = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        conn = BufferedConn(self.cfg, sock, client, server, timeout=self.client_timeout)
        self.nr_conns += 1
        with self._lock:
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn))

    def on_client_socket_readable(self, conn: BufferedConn, client: socket.socket) -> None:
        if conn.pending is None:  # the first bytes of a request (on a new or a kept-alive connection)
            with self._lock:
                if conn.initialized:
                    try:
                        self._keep.remove(conn)
                    except ValueError:  # murder_keepalived closed it meanwhile
                        return
            conn.pending = RequestBuffer(self.max_body_bytes)
            conn.deadline = time.monotonic() + self.client_timeout
            self.buffering.add(conn)
        try:
            data = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(conn)
            return
        if not data:  # the client closed its side: a partial request goes on, for the parser to answer
            if conn.pending.data:
                self._hand_over(conn)
            else:
                self._drop(conn)
            return
        try:
            complete = conn.pending.feed(data)
        except Refused as refused:
            self._refuse(conn, refused.status, refused.message)
            return
        if complete:
            self._hand_over(conn)
            return
        if conn.pending.expects_continue:  # (Gunicorn sends another when it parses the head: clients accept two)
            conn.pending.expects_continue = False
            try:
                conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            except OSError:
                pass
        if conn.pending.in_body:  # the body may pause up to the timeout between pieces
            conn.deadline = time.monotonic() + self.client_timeout

    def _hand_over(self, conn: BufferedConn) -> None:
        self.buffering.discard(conn)
        with self._lock:
            self.poller.unregister(conn.sock)
        self.enqueue_req(conn)

    def _drop(self, conn: BufferedConn) -> None:
        self.buffering.discard(conn)
        with self._lock:
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass
        self.nr_conns -= 1
        conn.close()

    def _refuse(self, conn: BufferedConn, status: int, message: str) -> None:
        """Answer a JSON error without blocking (best effort: the client may not be reading) and close."""
        try:
            conn.sock.send(responses.http1_refusal(status, message))
        except OSError:
            pass
        self._drop(conn)

    def murder_keepalived(self) -> None:
        """Gunicorn's keep-alive reaper, run once a second; it also closes requests that stopped arriving."""
        super().murder_keepalived()
        now = time.monotonic()
        for conn in [c for c in self.buffering if c.deadline <= now]:
            self._refuse(conn, 408, responses.stalled(self.client_timeout))

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        """Gunicorn's answer to a request it cannot parse, as JSON rather than an HTML page."""
        status, message = _error_status(exc)
        if status == 500:
            self.log.exception("Error handling request")
        else:
            self.log.warning("Invalid request from ip=%s: %r", (addr or ("",))[0], str(exc)[:200])
        try:
            client.sendall(responses.http1_refusal(status, message))
        except OSError:
            self.log.debug("Failed to send error message.")


def _error_status(exc: BaseException) -> tuple[int, str]:
    if isinstance(exc, http_errors.LimitRequestHeaders):
        return 431, f"request headers too large: {exc}"
    if isinstance(exc, http_errors.UnsupportedTransferCoding):
        return 501, str(exc)
    if isinstance(exc, http_errors.ForbiddenProxyRequest):
        return 403, "request forbidden"
    if isinstance(exc, http_errors.ParseException) and not isinstance(exc, http_errors.ConfigurationProblem):
        return 400, f"malformed HTTP request: {str(exc)[:200]}"
    if isinstance(exc, (http_errors.InvalidChunkSize, http_errors.ChunkMissingTerminator)):
        return 400, f"malformed chunked body: {str(exc)[:200]}"
    return 500, "internal error; the server log has the details"
