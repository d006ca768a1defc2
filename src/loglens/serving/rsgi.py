"""Granian's RSGI interface in front of our WSGI app: the body is read on the event loop, the app runs on threads.

Granian's own WSGI interface hands a request to a Python thread as soon as its head has arrived, and that
thread then reads the body with no deadline: a client that stops sending (or an HTTP/2 stream abandoned by a
closed connection) held the thread forever, and four such clients stopped the server. Here the event loop reads
the whole body first, within server.max_body_bytes, waiting at most server.client_timeout_seconds for each next
piece, and answers 408 / 413 / 400 (JSON) itself; only a complete request takes one of server.threads request
threads. An ordinary single-entry POST /api/logs takes none: `fast` (api/fast.py) answers it on the loop, which
awaits its commit (a thread hop there and back cost about half the single-POST rate). A response with a
Content-Length is built on the thread and sent in one piece; one without (a stream, e.g. Server-Sent Events) is
pulled from the app's iterable chunk by chunk, with no time limit while the client takes it. Granian queues what
a stream sends without bound (serving/unsent.py), so the bridge itself keeps count: once more than
server.max_unsent_bytes of a response has not left the process, the iterable is not advanced until the kernel
has taken enough of it, and a client that takes nothing for server.client_timeout_seconds is dropped.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..answer import Answer, too_large
from . import responses
from .abort import abort_connection
from .responses import Refused
from .unsent import KernelProbe, Probe, Unavailable

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Answers a request on the event loop itself, or None to leave it to the WSGI app (api/fast.py: POST /api/logs)
FastPath = Callable[[dict[str, Any], bytes], Awaitable[Answer | None]]
_END = object()
LONGEST_POLL = 0.25  # seconds between two looks at a connection whose client has not taken enough yet


def _check_header_values(headers: Any) -> None:
    """Refused (400) when a request header arrived with no value Granian hands on: it passes only values of visible
    ASCII, tabs and spaces, and leaves out any other (a byte past 0x7F: UTF-8 or Latin-1 text), though it keeps the
    name (emmett-framework/granian#335, closed as wontfix). Answering as if the header had not been sent would
    change what the request means (a Last-Event-ID, a key, a cookie, a Content-Encoding silently gone), so the
    client is told which header to encode instead. A name also sent with one readable value is not detectable."""
    passed = {name for name, _ in headers.items()}
    for name in headers.keys():
        if name not in passed:
            raise Refused(
                400,
                f"request header {name}: its value has bytes outside visible ASCII; send header values as ASCII"
                " (percent-encode other text)",
            )


@dataclass
class _Unsent:
    """One streamed response's count: what it pushed to Granian, and what of the connection left the process."""

    server: str
    client: str
    inode: int
    base: int  # bytes of the connection that had left the process before this response (its head counts as gone)
    pushed: int = 0
    left: int = 0

    @property
    def held(self) -> int:
        return self.pushed - self.left


class BufferedWSGI:
    """An RSGI application (Granian `--interface rsgi`) serving a WSGI app from a thread pool."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        threads: int,
        max_body_bytes: int,
        client_timeout: float,
        max_unsent_bytes: int | None = None,
        fast: FastPath | None = None,
        probe: Probe | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.on_close = on_close  # closes the app once the worker has drained (RSGI's __rsgi_del__)
        self.fast = fast
        self.max_body_bytes = max_body_bytes
        self.client_timeout = client_timeout
        self.max_unsent_bytes = max_unsent_bytes  # None: streams are not bounded (tests of the bridge alone)
        self.probe: Probe = probe if probe is not None else KernelProbe()
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="loglens-request")
        # The body reads in progress and when each must have its next piece by; a watchdog on the event loop
        # cancels the late ones (an asyncio.timeout per request cost 7% of a single POST's GIL time, py-spy).
        self._reads: dict[asyncio.Task[Any], float] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._watchdog: asyncio.AbstractEventLoop | None = None
        self.base_environ: dict[str, Any] = {
            "SCRIPT_NAME": "",
            "wsgi.version": (1, 0),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }

    # Granian's lifecycle hooks, on the worker's event loop.
    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        pass

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.executor.shutdown(wait=True)
        if self.on_close is not None:
            self.on_close()

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        if scope.proto != "http":  # websockets are off; nothing else is routed here
            return
        headers = scope.headers
        length = headers.get("content-length")
        try:
            _check_header_values(headers)
            if length is None and scope.http_version != "2" and "transfer-encoding" not in headers:
                body = b""  # HTTP/1.x: a request with neither header has no body
            else:
                body = await self._read_body(length, proto)
        except Refused as refused:
            proto.response_bytes(*responses.refusal(refused.status, refused.message))
            return
        environ = self._environ(scope, headers, body)
        if self.fast is not None:
            answer = await self.fast(environ, body)
            if answer is not None:
                proto.response_bytes(*answer)
                return
        loop = asyncio.get_running_loop()
        status, out_headers, payload, stream = await loop.run_in_executor(self.executor, self._call, environ)
        if stream is None:
            proto.response_bytes(status, out_headers, payload)
            return
        await self._stream(loop, proto, scope, status, out_headers, payload, stream)

    async def _read_body(self, length_header: str | None, proto: Any) -> bytes:
        limit = self.max_body_bytes
        declared: int | None = None
        if length_header is not None:
            if not (length_header.isascii() and length_header.isdigit()):
                raise Refused(400, responses.bad_length(length_header))
            declared = int(length_header)
            if declared > limit:
                raise Refused(413, too_large(limit))
            if declared == 0:
                return b""
        # Piece by piece: cancelling Granian's whole-body `await proto()` at a deadline does not end it (measured).
        loop = asyncio.get_running_loop()
        if self._watchdog is not loop:
            self._watch(loop)
        task = asyncio.current_task()
        assert task is not None
        reads = self._reads
        chunks: list[bytes] = []
        size = 0
        pieces = proto.__aiter__()
        reads[task] = loop.time() + self.client_timeout
        try:
            while True:
                try:
                    chunk = await pieces.__anext__()
                except StopAsyncIteration:
                    break
                size += len(chunk)
                if size > limit:
                    raise Refused(413, too_large(limit))
                chunks.append(chunk)
                if size == declared:  # all of it: no need to wait for the end-of-body signal
                    break
                reads[task] = loop.time() + self.client_timeout
        except asyncio.CancelledError:
            if task not in self._expired:
                raise
            self._expired.discard(task)
            task.uncancel()
            raise Refused(408, responses.stalled(self.client_timeout)) from None
        except Refused:
            raise
        except Exception as exc:  # the connection broke mid-body (Granian raises its protocol errors)
            log.debug("request body read failed: %r", exc)
            if declared is not None:
                raise Refused(400, responses.short_body(size, declared)) from None
            raise Refused(400, responses.unreadable_body()) from None
        finally:
            del reads[task]
        if declared is not None and size != declared:
            raise Refused(400, responses.short_body(size, declared))
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the watchdog on `loop`: every quarter of server.client_timeout_seconds (at most every second),
        it cancels each body read whose next piece is overdue, so a stalled read ends within 1.25 timeouts."""
        self._watchdog = loop
        self._reads.clear()
        self._expired.clear()
        interval = min(1.0, self.client_timeout / 4)

        def sweep() -> None:
            if self._watchdog is not loop:
                return
            now = loop.time()
            for task, deadline in list(self._reads.items()):
                if deadline <= now and task not in self._expired:
                    self._expired.add(task)
                    task.cancel()
            loop.call_later(interval, sweep)

        loop.call_later(interval, sweep)

    def _environ(self, scope: Any, headers: Any, body: bytes) -> dict[str, Any]:
        # Granian hands the path percent-decoded, as UTF-8 text (`/%E2%82%AC` arrives as '/€'); WSGI wants its bytes
        # as Latin-1 text, as Gunicorn gives them. Decoding it again would turn `/%2541` into '/A'.
        path = scope.path
        if not path.isascii():
            path = path.encode().decode("latin-1")
        server_host, _, server_port = scope.server.rpartition(":")
        client_host, _, client_port = scope.client.rpartition(":")
        environ = self.base_environ.copy()
        environ.update(
            {
                "REQUEST_METHOD": scope.method,
                "PATH_INFO": path,
                "QUERY_STRING": scope.query_string,
                "SERVER_NAME": server_host,
                "SERVER_PORT": server_port,
                "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
                "REMOTE_ADDR": client_host,
                "REMOTE_PORT": client_port,
                "wsgi.url_scheme": scope.scheme,
                "wsgi.input": io.BytesIO(body),
                "CONTENT_LENGTH": str(len(body)),
            }
        )
        for name, value in headers.items():
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
            elif name in ("content-length", "transfer-encoding"):
                continue  # the body is complete and de-chunked: CONTENT_LENGTH above says its size
            elif "_" in name:
                # `X-API_Key` would become HTTP_X_API_KEY, the key header; like Gunicorn (header_map "drop"), a name
                # with an underscore is dropped, so that no header can pass for another
                continue
            else:
                key = "HTTP_" + name.upper().replace("-", "_")
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        if "HTTP_HOST" not in environ and scope.authority:
            environ["HTTP_HOST"] = scope.authority
        return environ

    def _call(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes, Iterator[bytes] | None]:
        """Run the app on a request thread: (status, headers, body, None), or the first chunk and the rest."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return _no_write

        result = self.app(environ, start_response)
        iterator = iter(result)
        try:
            first = next(iterator, _END)
            status, headers = int(started[0].split(" ", 1)[0]), started[1]
            if first is _END:
                _close(result)
                return status, headers, b"", None
            if isinstance(result, list) or any(k.lower() == "content-length" for k, _ in headers):
                payload = first + b"".join(iterator)  # type: ignore[operator]
                _close(result)
                return status, headers, payload, None
        except BaseException:
            _close(result)
            raise
        return status, headers, first, _Closing(iterator, result)  # type: ignore[return-value]

    async def _stream(
        self,
        loop: asyncio.AbstractEventLoop,
        proto: Any,
        scope: Any,
        status: int,
        headers: list[tuple[str, str]],
        first: bytes,
        stream: Iterator[bytes],
    ) -> None:
        unsent = self._count(scope)  # before the head goes out
        transport = proto.response_stream(status, headers)
        chunk: Any = first
        del first  # held as `chunk` only, which lets it go once Granian has its copy
        try:
            while chunk is not _END:
                if chunk:
                    await transport.send_bytes(chunk)
                    if unsent is not None:
                        unsent.pushed += len(chunk)
                        chunk = None  # Granian has its copy: hold none while waiting
                        if unsent.held > self.max_unsent_bytes and not await self._drain(loop, unsent):  # type: ignore[operator]
                            break
                try:
                    chunk = await loop.run_in_executor(self.executor, next, stream, _END)
                except Exception:  # the app's body failed midway: as Gunicorn does, log it and cut the connection
                    log.exception("Error handling request %s", scope.path)
                    abort_connection(scope.client, scope.server)  # no last chunk: the client sees it incomplete
                    return
        except Exception as exc:  # the client went away mid-stream
            log.debug("response stream ended: %r", exc)
        finally:
            await loop.run_in_executor(self.executor, _close, stream)

    def _count(self, scope: Any) -> _Unsent | None:
        """Start counting a stream's unsent bytes; None when they are not bounded or cannot be seen."""
        if self.max_unsent_bytes is None:
            return None
        try:
            found = self.probe.sent(scope.server, scope.client)
        except Unavailable as exc:
            self._unbounded(exc)
            return None
        if found is None:  # gone already, or not a TCP connection the kernel can tell about
            log.debug("no TCP connection %s -> %s: its stream is not bounded", scope.client, scope.server)
            return None
        return _Unsent(scope.server, scope.client, inode=found[1], base=found[0])

    def _unbounded(self, why: Unavailable) -> None:
        """The kernel cannot tell what a connection has sent (not Linux): say so once, and bound no stream."""
        log.warning("server.max_unsent_bytes cannot be enforced, streams are not bounded: %s", why)
        self.max_unsent_bytes = None

    async def _drain(self, loop: asyncio.AbstractEventLoop, unsent: _Unsent) -> bool:
        """Wait until no more than server.max_unsent_bytes of the response are still in the process; False when
        the client went away, or took nothing for server.client_timeout_seconds and was dropped."""
        bound = self.max_unsent_bytes
        assert bound is not None
        delay = 0.002
        progress_at = loop.time()
        while True:
            try:
                found = self.probe.sent(unsent.server, unsent.client)
            except Unavailable as exc:
                self._unbounded(exc)
                return True
            if found is None or found[1] != unsent.inode:
                return False  # closed: Granian frees what it queued for it
            left = found[0] - unsent.base
            if left != unsent.left:  # the client is taking it: look again soon
                unsent.left = left
                progress_at = loop.time()
                delay = 0.002
            if unsent.held <= bound:
                return True
            if loop.time() - progress_at >= self.client_timeout:
                self.probe.drop(unsent.inode)
                log.info(
                    "dropped %s: it took nothing for %g s (server.client_timeout_seconds) with %d bytes unsent",
                    unsent.client,
                    self.client_timeout,
                    unsent.held,
                )
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, LONGEST_POLL, self.client_timeout / 4)


class _Closing(Iterator[bytes]):
    """The rest of a streamed response; close() reaches the app's iterable (WSGI requires it)."""

    def __init__(self, iterator: Iterator[bytes], result: Iterable[bytes]) -> None:
        self.iterator = iterator
        self.result = result

    def __next__(self) -> bytes:
        return next(self.iterator)

    def close(self) -> None:
        _close(self.result)


def _close(result: Any) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def _no_write(data: bytes) -> None:
    raise RuntimeError("the WSGI write() callable is not supported; return an iterable")
