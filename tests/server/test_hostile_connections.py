"""Connections that must not take the server down, against a real `loglens serve` (Granian and Gunicorn).

Stalled bodies, slowloris heads and abandoned HTTP/2 streams are buffered off the request threads and closed
after server.client_timeout_seconds (small here, to keep the tests fast); a body cut short is a 400 and a
chunked body over server.max_body_bytes a 413, and neither stores anything.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.support import hostile
from tests.support.live import LiveServer

pytestmark = pytest.mark.server
TIMEOUT = 2.0  # server.client_timeout_seconds in these tests
# Gunicorn's reaper runs once a second; the machine may be busy: closed within the timeout plus this.
CLOSE_SLACK = 4.0
SERVERS = {
    "granian": {"http_server": "granian"},
    "granian-h2": {"http_server": "granian", "http2": True},
    "gunicorn": {"http_server": "gunicorn"},
}
LINE = orjson.dumps(hostile.ENTRY) + b"\n"


def serve(tmp_path: Path, name: str, **server: Any) -> LiveServer:
    settings = {**SERVERS[name], "client_timeout_seconds": TIMEOUT, **server}
    return LiveServer(tmp_path / name, {"server": settings})


def total_logs(port: int) -> int:
    status, body = hostile.http(port, "GET", "/health")
    assert status == 200, body
    return int(body["total_logs"])


@pytest.mark.parametrize("name", list(SERVERS))
def test_serves_others_while_hostile_connections_are_open_and_closes_them(tmp_path: Path, name: str) -> None:
    server = serve(tmp_path, name).start()
    socks: list[socket.socket] = []
    try:
        port = server.port
        stalled = [hostile.stalled_body(port) for _ in range(50)]
        abandoned = [hostile.h2_stalled_post(port) for _ in range(50)]
        for sock in abandoned:  # the client goes away with its stream open
            sock.close()
        slow = [hostile.slowloris(port) for _ in range(200)]
        socks = stalled + slow
        h2_open = hostile.h2_stalled_post(port) if SERVERS[name].get("http2") else None  # one that stays

        started = time.monotonic()
        status, body = hostile.http(port, "POST", "/api/logs", LINE, {"Content-Type": "application/json"})
        served_in = time.monotonic() - started
        assert status == 201, body
        assert served_in < 1.0, f"a normal client waited {served_in:.2f} s"
        still_open = [s for s in socks if not hostile.closed_by_server(s)]
        assert len(still_open) == len(socks), "the hostile connections were not all open while the client was served"

        for sock in slow:
            hostile.drip(sock)  # slowloris keeps sending (faster than the timeout): the head deadline still ends it
        left = hostile.wait_all_closed(socks, TIMEOUT + CLOSE_SLACK, dripping=len(slow))
        assert left == [], f"{len(left)} stalled connections still open after {TIMEOUT + CLOSE_SLACK} s"
        answered = [hostile.parse_response(hostile.received(s)) for s in stalled if hostile.received(s)]
        assert answered, "no stalled body got an answer"
        wrong = [(code, b) for code, b in answered if code != 408 or "client_timeout_seconds" not in str(b)]
        assert wrong == [], wrong[:3]
        if h2_open is not None:  # its stream is answered 408 (HTTP/2 keeps the connection)
            data = hostile.h2_read_until(h2_open, b"server.client_timeout_seconds", CLOSE_SLACK)
            assert (0x1, 1) in [(t, s) for t, _, s in hostile.h2_frames(data)], "no response HEADERS on stream 1"
            h2_open.close()
        assert total_logs(port) == 1  # the partial bodies stored nothing
    finally:
        for sock in socks:
            sock.close()
        server.kill()


BIG = 9 * 1024 * 1024  # a body near the default server.max_body_bytes (10 MiB)


def post_big(port: int, body: bytes, sent: threading.Event) -> tuple[int, Any]:
    with hostile.connect(port, timeout=30) as sock:
        head = {"Content-Type": "application/x-ndjson", "Content-Length": str(len(body)), "Connection": "close"}
        sock.sendall(hostile.request_head("POST", "/api/logs/bulk", head) + body)
        sent.set()
        return hostile.read_response(sock)


@pytest.mark.parametrize("name", ["granian", "gunicorn"])
def test_bodies_near_the_size_limit_are_answered_while_others_are_served(tmp_path: Path, name: str) -> None:
    # Gunicorn's body readers once copied a whole buffered body for every 1 KiB they took: 16 s per 8 MB body
    body = b'{"message": "' + b"x" * BIG + b'"}\n' + LINE * 10  # the first line is over ingest.max_entry_bytes
    server = serve(tmp_path, name, client_timeout_seconds=30).start()
    try:
        sent = [threading.Event() for _ in range(4)]
        with ThreadPoolExecutor(len(sent)) as pool:
            uploads = [pool.submit(post_big, server.port, body, event) for event in sent]
            assert all(event.wait(30) for event in sent), "the big bodies were not all sent within 30 s"
            started = time.monotonic()
            status, answer = hostile.http(server.port, "POST", "/api/logs", LINE, {"Content-Type": "application/json"})
            served_in = time.monotonic() - started
            assert status == 201, answer
            assert served_in < 5.0, f"a normal client waited {served_in:.2f} s behind four big bodies"
            results = [upload.result(timeout=30) for upload in uploads]
        for status, answer in results:
            assert status == 200, answer
            assert (answer["accepted"], answer["rejected"]) == (10, 1)
        assert total_logs(server.port) == 41
    finally:
        server.kill()


LIMIT = 64 * 1024  # server.max_body_bytes of the shared servers


@pytest.fixture(scope="module", params=["granian", "gunicorn"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server of each kind for the tests below; each checks that it stored nothing by counting before/after."""
    name = request.param
    settings = {**SERVERS[name], "client_timeout_seconds": TIMEOUT, "max_body_bytes": LIMIT}
    server = LiveServer(tmp_path_factory.mktemp(name), {"server": settings}).start()
    yield server
    server.kill()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api/logs", "application/json"), ("/api/logs/bulk", "application/x-ndjson"), ("/v1/logs", "application/json")],
)
def test_body_shorter_than_its_content_length_is_a_400_and_stores_nothing(
    shared: LiveServer, path: str, content_type: str
) -> None:
    before = total_logs(shared.port)
    body = LINE if path != "/v1/logs" else b'{"resourceLogs": []}'
    with hostile.connect(shared.port) as sock:
        head = {"Content-Type": content_type, "Content-Length": str(len(body) + 20)}
        sock.sendall(hostile.request_head("POST", path, head) + body)
        sock.shutdown(socket.SHUT_WR)  # the client half-closes: the last 20 bytes never come
        status, answer = hostile.read_response(sock)
    assert status == 400, answer
    assert f"ended after {len(body)} of its Content-Length {len(body) + 20}" in str(answer)
    assert total_logs(shared.port) == before


def chunked(body: bytes, piece: int = 4096) -> bytes:
    pieces = [body[i : i + piece] for i in range(0, len(body), piece)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def post_chunked(port: int, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
    with hostile.connect(port) as sock:
        head = {"Content-Type": content_type, "Transfer-Encoding": "chunked", "Connection": "close"}
        try:
            sock.sendall(hostile.request_head("POST", path, head) + chunked(body))
        except OSError:
            pass  # the server may answer and close before the whole body is sent
        return hostile.read_response(sock)


def test_chunked_body_over_the_limit_is_a_413_and_stores_nothing(shared: LiveServer) -> None:
    before = total_logs(shared.port)
    over = LINE * (LIMIT // len(LINE) + 50)
    for path, content_type, body in [
        ("/api/logs/bulk", "application/x-ndjson", over),
        ("/api/logs/bulk", "application/json", b"[" + b",".join(over.splitlines()) + b"]"),
        ("/api/logs", "application/json", b'{"message": "' + b"x" * LIMIT + b'"}'),
        ("/v1/logs", "application/json", b'{"resourceLogs": [], "pad": "' + b"x" * LIMIT + b'"}'),
    ]:
        status, answer = post_chunked(shared.port, path, content_type, body)
        assert status == 413, (path, answer)
        assert answer["error"] == f"request body is larger than server.max_body_bytes ({LIMIT} bytes)"
    assert total_logs(shared.port) == before
    status, answer = post_chunked(shared.port, "/api/logs/bulk", "application/x-ndjson", LINE * 10)
    assert (status, answer["accepted"]) == (200, 10)  # a chunked body within the limit is whole
    assert total_logs(shared.port) == before + 10


def test_malformed_chunked_body_is_a_json_400_and_stores_nothing(shared: LiveServer) -> None:
    before = total_logs(shared.port)
    with hostile.connect(shared.port) as sock:
        head = {"Content-Type": "application/x-ndjson", "Transfer-Encoding": "chunked", "Connection": "close"}
        sock.sendall(hostile.request_head("POST", "/api/logs/bulk", head) + b"zz\r\n" + LINE + b"\r\n0\r\n\r\n")
        status, answer = hostile.read_response(sock)
    assert status == 400 and answer["status"] == "error", answer
    assert total_logs(shared.port) == before


def test_client_that_waits_for_100_continue_gets_it_before_sending_its_body(shared: LiveServer) -> None:
    continue_ = b"HTTP/1.1 100 Continue\r\n\r\n"
    with hostile.connect(shared.port, timeout=TIMEOUT + CLOSE_SLACK) as sock:
        head = {"Content-Type": "application/json", "Content-Length": str(len(LINE)), "Expect": "100-continue"}
        head["Connection"] = "close"
        sock.sendall(hostile.request_head("POST", "/api/logs", head))
        interim = sock.recv(4096)  # a server that never says 100 would answer 408 after the timeout instead
        assert interim.startswith(continue_), interim
        sock.sendall(LINE)
        rest = interim[len(continue_) :] + b"".join(iter(lambda: sock.recv(65536), b""))
        while rest.startswith(continue_):  # Gunicorn says it once more when it parses the head: clients accept it
            rest = rest[len(continue_) :]
        assert hostile.parse_response(rest) == (201, {"status": "accepted"})


def test_a_request_the_http_server_cannot_parse_gets_a_400(shared: LiveServer) -> None:
    """Gunicorn's answer is our JSON; Granian's comes from its Rust HTTP stack, empty, before Python sees it."""
    with hostile.connect(shared.port) as sock:
        sock.sendall(b"NOT AN HTTP REQUEST\r\n\r\n")
        status, answer = hostile.read_response(sock)
    assert status == 400
    if shared.data_dir.name.startswith("gunicorn"):  # (the fixture names the data dir after the server)
        assert answer["status"] == "error" and "malformed HTTP request" in answer["error"]
    else:
        assert answer == b""


def test_speaks_http1_only_unless_http2_is_configured(shared: LiveServer) -> None:
    with hostile.h2_stalled_post(shared.port) as sock:
        assert hostile.wait_all_closed([sock], TIMEOUT + CLOSE_SLACK) == []
        reply = hostile.received(sock)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 ")  # closed, or an HTTP/1.1 error: no HTTP/2 frames
