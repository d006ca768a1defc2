"""serving/rsgi.py on its own: how a WSGI app is served over RSGI, with Granian's protocol objects played by fakes
(the real server is tested in tests/server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from loglens.serving.rsgi import BufferedWSGI
from loglens.serving.unsent import Unavailable


class Headers:
    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = {k.lower(): v for k, v in headers.items()}

    def __contains__(self, key: str) -> bool:
        return key in self._headers

    def get(self, key: str, default: Any = None) -> Any:
        return self._headers.get(key, default)

    def items(self) -> list[tuple[str, str]]:
        return list(self._headers.items())

    def keys(self) -> list[str]:
        return list(self._headers)


class Scope:
    proto = "http"
    http_version = "1.1"
    scheme = "http"
    server = "127.0.0.1:5000"
    client = "127.0.0.1:40000"
    authority = None

    def __init__(self, method: str, path: str, headers: dict[str, str], query: str = "") -> None:
        self.method = method
        self.path = path
        self.query_string = query
        self.headers = Headers(headers)


class Proto:
    """Granian's RSGIHTTPProtocol: body pieces in, a response (bytes or stream) out."""

    def __init__(self, pieces: list[bytes], *, stall: bool = False) -> None:
        self.pieces = pieces
        self.stall = stall
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.body = b""
        self.streamed: list[bytes] | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._pieces()

    async def _pieces(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece
        if self.stall:
            await asyncio.Event().wait()

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Proto:
        self.status, self.headers, self.streamed = status, headers, []
        return self

    async def send_bytes(self, data: bytes) -> None:
        assert self.streamed is not None
        self.streamed.append(data)


def echo_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = environ["wsgi.input"].read()
    seen = f"{environ['PATH_INFO']}|{environ['QUERY_STRING']}|{environ['CONTENT_LENGTH']}|{environ.get('HTTP_X_A')}"
    payload = seen.encode() + b"|" + body
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))])
    return [payload]


def serve(app: Any, scope: Scope, proto: Proto, **kwargs: Any) -> Proto:
    bridge = BufferedWSGI(app, threads=2, max_body_bytes=kwargs.pop("limit", 100), client_timeout=0.2, **kwargs)
    try:  # on a thread of its own: the browser tests leave an event loop running on the main thread
        with ThreadPoolExecutor(1) as runner:
            runner.submit(asyncio.run, bridge.__rsgi__(scope, proto)).result(timeout=10)
    finally:
        bridge.executor.shutdown()
    return proto


def test_the_app_sees_a_whole_dechunked_body_and_a_decoded_path() -> None:
    scope = Scope("POST", "/a b", {"Transfer-Encoding": "chunked", "X-A": "1"}, "q=1")  # Granian decodes `%20`
    proto = serve(echo_app, scope, Proto([b"hello ", b"world"]))
    assert (proto.status, proto.body) == (200, b"/a b|q=1|11|1|hello world")


def path_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    payload = environ["PATH_INFO"].encode("latin-1")  # raises, as werkzeug did, unless it is WSGI's Latin-1 text
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))])
    return [payload]


@pytest.mark.parametrize(
    ("granian_path", "wsgi_bytes"),
    [
        ("/€", "/€".encode()),
        ("/é", "/é".encode()),
        ("/%41", b"/%41"),
    ],  # what `/%E2%82%AC`, `/%C3%A9`, `/%2541` arrive as
    ids=["euro", "latin-1", "escaped-percent"],
)
def test_the_path_reaches_the_app_as_its_utf8_bytes_in_latin_1_as_on_gunicorn(
    granian_path: str, wsgi_bytes: bytes
) -> None:
    proto = serve(path_app, Scope("GET", granian_path, {}), Proto([]))
    assert (proto.status, proto.body) == (200, wsgi_bytes)


def test_a_header_name_with_an_underscore_is_dropped_as_on_gunicorn() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        payload = repr(sorted(k for k in environ if k.startswith("HTTP_"))).encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))])
        return [payload]

    proto = serve(app, Scope("GET", "/", {"X-API_Key": "k1", "X_Forwarded_For": "10.0.0.1", "X-A": "1"}), Proto([]))
    assert proto.body == b"['HTTP_X_A']"
    proto = serve(app, Scope("GET", "/", {"X-API-Key": "k1"}), Proto([]))
    assert proto.body == b"['HTTP_X_API_KEY']"


def test_a_body_that_stops_arriving_is_a_408_and_never_reaches_the_app() -> None:
    called: list[bool] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        called.append(True)
        return echo_app(environ, start_response)

    proto = serve(app, Scope("POST", "/", {"Content-Length": "1000"}), Proto([b"12345"], stall=True), limit=2000)
    assert proto.status == 408 and b"client_timeout_seconds" in proto.body
    assert ("Connection", "close") in proto.headers and called == []


@pytest.mark.parametrize(
    ("headers", "pieces", "status", "words"),
    [
        ({"Content-Length": "101"}, [], 413, b"server.max_body_bytes (100 bytes)"),
        ({"Transfer-Encoding": "chunked"}, [b"x" * 60, b"x" * 60], 413, b"server.max_body_bytes (100 bytes)"),
        ({"Content-Length": "10"}, [b"12345"], 400, b"ended after 5 of its Content-Length 10 bytes"),
        ({"Content-Length": "1e3"}, [], 400, b"Content-Length must be a non-negative integer"),
    ],
    ids=["length-over", "chunked-over", "short", "bad-length"],
)
def test_refuses_bodies_the_app_must_not_see(
    headers: dict[str, str], pieces: list[bytes], status: int, words: bytes
) -> None:
    proto = serve(echo_app, Scope("POST", "/", headers), Proto(pieces))
    assert proto.status == status and words in proto.body


def test_a_response_without_length_is_streamed_and_closed() -> None:
    closed: list[bool] = []

    class Events(Iterator[bytes]):
        def __init__(self) -> None:
            self.items = iter([b"data: 1\n\n", b"", b"data: 2\n\n"])

        def __next__(self) -> bytes:
            return next(self.items)

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/event-stream")])
        return Events()

    proto = serve(app, Scope("GET", "/tail", {}), Proto([]))
    assert proto.status == 200 and proto.streamed == [b"data: 1\n\n", b"data: 2\n\n"] and closed == [True]


class Kernel:
    """The probe of serving/unsent.py, played by a fake: the client takes `takes` more bytes at each look."""

    def __init__(self, proto: Proto, *, takes: int = 0, gone_after: int | None = None) -> None:
        self.proto = proto
        self.takes = takes
        self.gone_after = gone_after
        self.taken = 0
        self.looks = 0
        self.dropped: list[int] = []

    def sent(self, server: str, client: str) -> tuple[int, int] | None:
        assert (server, client) == (Scope.server, Scope.client)
        self.looks += 1
        if self.gone_after is not None and self.looks > self.gone_after:
            return None
        pushed = sum(map(len, self.proto.streamed or []))
        self.taken = min(pushed, self.taken + self.takes)
        return 1000 + self.taken, 77  # 1000: what the connection had sent before this response

    def drop(self, inode: int) -> bool:
        self.dropped.append(inode)
        return True


class Endless(Iterator[bytes]):
    """An endless stream of 1,000-byte events that counts how many were produced and whether it was closed."""

    def __init__(self) -> None:
        self.produced = 0
        self.closed = False

    def __next__(self) -> bytes:
        self.produced += 1
        return b"x" * 1000

    def close(self) -> None:
        self.closed = True


def stream_app(body: Iterator[bytes]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/event-stream")])
        return body

    return app


def test_a_stream_whose_client_takes_nothing_stops_being_produced_then_is_dropped_after_the_timeout() -> None:
    body = Endless()
    proto = Proto([])
    kernel = Kernel(proto)
    serve(stream_app(body), Scope("GET", "/tail", {}), proto, max_unsent_bytes=4096, probe=kernel)
    # at most the bound plus the chunk in hand was produced, then nothing until client_timeout (0.2 s) ended it
    assert body.produced <= 6 and len(proto.streamed or []) <= 5
    assert kernel.dropped == [77] and body.closed
    assert kernel.looks >= 3  # it looked again while it waited, and gave up only after the timeout


def test_a_stream_goes_on_while_its_client_takes_it_however_slowly() -> None:
    events = [b"y" * 1000] * 50
    closed: list[bool] = []

    class Finite(Iterator[bytes]):
        def __init__(self) -> None:
            self.items = iter(events)

        def __next__(self) -> bytes:
            return next(self.items)

        def close(self) -> None:
            closed.append(True)

    proto = Proto([])
    kernel = Kernel(proto, takes=700)  # less than one event per look
    serve(stream_app(Finite()), Scope("GET", "/tail", {}), proto, max_unsent_bytes=4096, probe=kernel)
    assert proto.streamed == events and closed == [True] and kernel.dropped == []
    assert kernel.looks > 10  # it did wait for the client along the way


def test_a_stream_ends_when_its_client_goes_away_while_it_waits() -> None:
    body = Endless()
    proto = Proto([])
    kernel = Kernel(proto, gone_after=3)
    serve(stream_app(body), Scope("GET", "/tail", {}), proto, max_unsent_bytes=4096, probe=kernel)
    assert body.closed and kernel.dropped == [] and body.produced <= 6


def test_a_stream_is_not_bounded_when_the_kernel_cannot_tell() -> None:
    class Blind(Kernel):
        def sent(self, server: str, client: str) -> tuple[int, int] | None:
            raise Unavailable("no sock_diag here")

    events = [b"z" * 1000] * 20
    proto = Proto([])
    serve(stream_app(iter(events)), Scope("GET", "/tail", {}), proto, max_unsent_bytes=4096, probe=Blind(proto))
    assert proto.streamed == events
