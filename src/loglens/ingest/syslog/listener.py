"""The syslog listeners of one worker process: one thread running an event loop for its TCP connections and its
UDP socket, handing each batch of messages to the pipeline on a few threads of its own, as HTTP ingest does.

Memory is bounded however fast senders send. A TCP connection is read in chunks of READ_BYTES; one chunk's
entries are parsed and validated while the chunk before commits, and the next is read only once that one is
committed (two batches per connection at most, so parsing and the store's commits overlap). While the store is
slow or busy (StoreBusy: the writer's queue is full) the listener retries with a growing pause and reads nothing
meanwhile, so the kernel's buffers fill and TCP's flow control makes the sender wait. Connections past
max_connections wait in the kernel's backlog. UDP has no flow control: datagrams that arrive while the listener
waits for the store stay in the socket's receive buffer, and past it the kernel drops them (counted in /metrics).
Nothing is acknowledged to a sender: what was read but not committed when the worker ends is lost (counted as
dropped when it stops cleanly).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from ...store import StoreError
from ...validation import Undecodable
from .counters import SyslogCounters
from .framing import Framer, Oversize
from .mapping import to_entry
from .parse import SyslogError, parse
from .sockets import SyslogSockets

if TYPE_CHECKING:
    from ...pipeline import IngestResult, Pipeline

log = logging.getLogger(__name__)

READ_BYTES = 128 * 1024  # one TCP read, and so at most this much of one connection's messages per batch
DATAGRAM_BYTES = 65_535
MAX_DATAGRAMS = 1000  # datagrams read in one go (one batch)
RETRY_FIRST, RETRY_LONGEST = 0.05, 1.0  # seconds between attempts while the store refuses a batch
LOG_EVERY = 10.0  # seconds: at most one line about rejected messages (and one about store refusals) per this
STOP_SECONDS = 10.0  # how long a stopping listener waits for batches already handed to the store


class RateLimitedLog:
    """One warning per `every` seconds at most, saying how many were left unsaid since the last one."""

    def __init__(self, every: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self.last = -every
        self.suppressed = 0

    def warning(self, message: str, *args: Any) -> None:
        now = self.clock()
        if now - self.last < self.every:
            self.suppressed += 1
            return
        if self.suppressed:
            message += f" (and {self.suppressed} more since the last such line)"
        log.warning("syslog: " + message, *args)
        self.last, self.suppressed = now, 0


def decode(frames: list[bytes | Oversize], received: float, max_entry_bytes: int) -> list[Any]:
    """Frames as pipeline items: an entry dict, or an Undecodable saying why the frame is no message."""
    received_iso = datetime.fromtimestamp(received, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    now = datetime.fromtimestamp(received).astimezone()  # RFC 3164 times are in the server's zone
    items: list[Any] = []
    for frame in frames:
        if isinstance(frame, Oversize):
            items.append(
                Undecodable(
                    f"a syslog message of {frame.size} bytes is over ingest.max_entry_bytes ({max_entry_bytes})",
                    "max_entry_bytes",
                )
            )
            continue
        try:
            items.append(to_entry(parse(frame, now=now), received_iso))
        except SyslogError as exc:
            items.append(Undecodable(f"{exc}: {frame[:80]!r}", "syslog"))
    return items


class Inbox(asyncio.Protocol):
    """One connection's received bytes, at most about `limit` of them: past it the transport stops reading
    until `read` takes them (so the kernel's buffers fill and TCP makes the sender wait). Unlike asyncio's
    StreamReader it hands over what arrived before a connection broke (a TLS peer that closes without
    close_notify) before it reports the end."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buffer = bytearray()
        self.ended = False
        self.error: BaseException | None = None
        self.transport: asyncio.Transport | None = None
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= self.limit and not self._paused and self.transport is not None:
            self.transport.pause_reading()
            self._paused = True
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def read(self) -> bytes:
        """What has arrived (waiting for something), or b"" once the connection has ended and all was read."""
        while not self.buffer and not self.ended:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        data = bytes(self.buffer)
        self.buffer.clear()
        if self._paused and self.transport is not None and not self.ended:
            self._paused = False
            self.transport.resume_reading()
        return data


class SyslogListener:
    def __init__(
        self,
        sockets: SyslogSockets,
        pipeline: Pipeline,
        counters: SyslogCounters,
        *,
        max_entry_bytes: int,
        max_connections: int,
        tls: ssl.SSLContext | None = None,
        handshake_seconds: float = 30.0,
        threads: int = 4,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sockets = sockets
        self.pipeline = pipeline
        self.counters = counters
        self.max_entry_bytes = max_entry_bytes
        self.max_connections = max_connections
        self.tls = tls
        self.handshake_seconds = handshake_seconds
        self.clock = clock
        self.rejections = RateLimitedLog(LOG_EVERY)
        self.refusals = RateLimitedLog(LOG_EVERY)
        self._thread = threading.Thread(target=self._run, name="loglens-syslog", daemon=True)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stopping = False
        self._readers: set[asyncio.Task[None]] = set()  # accept loop, UDP loop, one per connection
        self._batches: set[asyncio.Task[None]] = set()  # batches handed to the pipeline
        # parsing, validation and the wait for the commit run on these threads, as HTTP ingest runs on the request
        # threads: the schema validator gives the GIL up, so batches of several connections validate in parallel
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="loglens-syslog-batch")

    # -- start and stop (any thread) --------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def close(self) -> None:
        """Stop reading, wait for batches already read to commit (or be counted as dropped), close the sockets."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop has ended already
                loop.call_soon_threadsafe(stop.set)
            self._thread.join(STOP_SECONDS + 5)
        self.sockets.close()

    # -- the loop's thread --------------------------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except Exception:
            log.exception("syslog: the listener failed")
        finally:
            loop.close()
            self._pool.shutdown(wait=True)
            self._ready.set()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        if self.sockets.tcp is not None:
            self._spawn(self._accept(self.sockets.tcp))
        if self.sockets.udp is not None:
            self._spawn(self._datagrams(self.sockets.udp))
        self._ready.set()
        await self._stop.wait()
        self._stopping = True
        for task in list(self._readers):
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        if self._batches:
            await asyncio.wait(self._batches, timeout=STOP_SECONDS)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)

    def _submit(self, frames: list[bytes | Oversize], transport: str, peer: str) -> asyncio.Task[None] | None:
        """Start handing one batch to the pipeline (None for no frames). Its reader awaits it shielded, so that
        a stopping listener cancels its readers without abandoning a batch half way."""
        if not frames:
            return None
        batch = asyncio.get_running_loop().create_task(self._store(frames, transport, peer))
        self._batches.add(batch)
        batch.add_done_callback(self._batches.discard)
        return batch

    async def _store(self, frames: list[bytes | Oversize], transport: str, peer: str) -> None:
        self.counters.received.labels(transport).inc(len(frames))
        loop = asyncio.get_running_loop()
        items = await loop.run_in_executor(self._pool, decode, frames, self.clock(), self.max_entry_bytes)
        nbytes = sum(len(f) if isinstance(f, bytes) else 0 for f in frames)
        ingest = partial(self.pipeline.ingest, items, nbytes=nbytes, endpoint="syslog")
        pause = RETRY_FIRST
        while True:
            try:
                result = await loop.run_in_executor(self._pool, ingest)
            except StoreError as exc:
                if self._stopping:
                    self.counters.dropped.labels(transport, "stopping").inc(len(items))
                    log.warning("syslog: %d messages from %s not stored, stopping: %s", len(items), peer, exc)
                    return
                self.refusals.warning("the store refused a batch (%s); not reading until it takes it", exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_LONGEST)
                continue
            self._report(result, peer)
            return

    def _report(self, result: IngestResult, peer: str) -> None:
        for _, problems in result.rejected:
            reason = problems[0].message if problems else "invalid"
            self.rejections.warning("rejected a message from %s: %s", peer, reason)

    async def _accept(self, listening: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(self.max_connections)
        while True:
            await slots.acquire()
            try:
                conn, peer = await loop.sock_accept(listening)
            except OSError as exc:  # e.g. out of descriptors: wait, do not spin
                slots.release()
                self.refusals.warning("cannot accept a connection: %s", exc)
                await asyncio.sleep(0.1)
                continue
            self._spawn(self._connection(conn, _peer(peer), slots))

    async def _connection(self, conn: socket.socket, peer: str, slots: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        inbox = Inbox(READ_BYTES)
        self.counters.connections.inc()
        try:
            await loop.connect_accepted_socket(
                lambda: inbox,
                conn,
                ssl=self.tls,
                ssl_handshake_timeout=self.handshake_seconds if self.tls else None,
            )
            framer = Framer(self.max_entry_bytes)
            in_flight: asyncio.Task[None] | None = None  # the batch before: read one ahead, never more
            while True:
                data = await inbox.read()
                try:
                    frames = framer.feed(data) if data else framer.finish()
                except ValueError as exc:  # a broken octet count: the rest of the stream cannot be framed
                    self.rejections.warning("closing the connection from %s: %s", peer, exc)
                    await self._ingest_broken(str(exc), peer)
                    return
                batch = self._submit(frames, "tcp", peer)
                if in_flight is not None:
                    await asyncio.shield(in_flight)
                in_flight = batch
                if not data:
                    if in_flight is not None:
                        await asyncio.shield(in_flight)
                    if inbox.error is not None:
                        log.info("syslog: connection from %s ended: %s", peer, inbox.error)
                    return
        except (ConnectionError, ssl.SSLError, TimeoutError, OSError) as exc:
            log.info("syslog: connection from %s ended: %s", peer, exc)
        finally:
            self.counters.connections.dec()
            slots.release()
            if inbox.transport is not None:
                inbox.transport.close()
            else:
                conn.close()

    async def _ingest_broken(self, reason: str, peer: str) -> None:
        """Count a stream that cannot be framed as one rejected message (kind syslog_framing)."""
        try:
            await self.pipeline.ingest_async([Undecodable(reason, "syslog_framing")], endpoint="syslog")
        except StoreError as exc:
            log.info("syslog: the broken stream from %s was not counted: %s", peer, exc)

    async def _datagrams(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        in_flight: asyncio.Task[None] | None = None  # the batch before: read one ahead, never more
        while True:
            first, sender = await loop.sock_recvfrom(sock, DATAGRAM_BYTES)
            frames: list[bytes | Oversize] = [first]
            while len(frames) < MAX_DATAGRAMS:  # whatever else has arrived, without waiting
                try:
                    frames.append(sock.recv(DATAGRAM_BYTES))
                except (BlockingIOError, InterruptedError):
                    break
            frames = [
                Oversize(len(f), f[:80]) if isinstance(f, bytes) and len(f) > self.max_entry_bytes else f
                for f in frames
            ]
            batch = self._submit([_unframed(f) for f in frames], "udp", _peer(sender))
            if in_flight is not None:
                await asyncio.shield(in_flight)
            in_flight = batch


def _unframed(frame: bytes | Oversize) -> bytes | Oversize:
    return frame.rstrip(b"\r\n\0") if isinstance(frame, bytes) else frame


def _peer(address: Any) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)
