"""LogLensHandler and BulkSender against a scripted local HTTP receiver (no LogLens server needed)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from loglens.client import BulkSender, LogLensHandler
from loglens.client.handler import level_name, record_to_entry
from tests.support.bulk_receiver import BulkReceiver, Reply, accept
from tests.support.live import free_port
from tests.support.wait import wait_until


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    log = logging.getLogger(f"test.client.{time.monotonic_ns()}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    yield log
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()


def make_record(level: int = logging.INFO, msg: str = "hello %s", *args: Any, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("app.orders", level, __file__, 10, msg, args or ("world",), None)
    record.__dict__.update(extra)
    return record


@pytest.mark.parametrize(
    ("levelno", "level"),
    [
        (0, "DEBUG"),
        (5, "DEBUG"),
        (10, "DEBUG"),
        (20, "INFO"),
        (25, "INFO"),
        (30, "WARNING"),
        (40, "ERROR"),
        (50, "CRITICAL"),
    ],
)
def test_levels_map_by_number(levelno: int, level: str) -> None:
    assert level_name(levelno) == level


def test_record_becomes_an_entry_with_extras_in_metadata() -> None:
    entry = record_to_entry(make_record(logging.WARNING, "paid %s", "42", order=7, user_id=99, request_id="r-1"))
    assert entry["level"] == "WARNING" and entry["service"] == "app.orders" and entry["message"] == "paid 42"
    assert entry["user_id"] == "99"
    assert entry["metadata"] == {"logger": "app.orders", "order": 7, "request_id": "r-1"}
    assert entry["timestamp"].endswith("+00:00")
    assert record_to_entry(make_record(), service="checkout")["service"] == "checkout"


def test_custom_level_names_are_kept_in_metadata() -> None:
    entry = record_to_entry(make_record(5))
    assert entry["level"] == "DEBUG" and entry["metadata"]["levelname"] == "Level 5"


def test_exception_traceback_goes_into_metadata() -> None:
    try:
        raise ValueError("card expired")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = record_to_entry(record)["metadata"]["exception"]
    assert text.startswith("Traceback") and "ValueError: card expired" in text


def test_handler_ships_batches_as_gzip_ndjson(logger: logging.Logger) -> None:
    with BulkReceiver() as receiver:
        handler = LogLensHandler(receiver.url, service="svc", batch_size=10, flush_interval=0.05)
        logger.addHandler(handler)
        for i in range(25):
            logger.info("n=%d", i, extra={"obj": object()})
        assert handler.drain(10)

        lines = receiver.lines()
        assert [line["message"] for line in lines] == [f"n={i}" for i in range(25)]
        assert all(line["service"] == "svc" and line["metadata"]["obj"].startswith("<object") for line in lines)
        assert all(len(r["lines"]) <= 10 for r in receiver.requests)
        first = receiver.requests[0]
        assert first["path"] == "/api/logs/bulk" and first["headers"]["Content-Encoding"] == "gzip"
        assert first["headers"]["Content-Type"] == "application/x-ndjson"
        assert handler.sent == 25 and handler.dropped == 0


def test_a_lone_record_is_sent_after_flush_interval(logger: logging.Logger) -> None:
    with BulkReceiver() as receiver:
        handler = LogLensHandler(receiver.url, batch_size=100, flush_interval=0.05)
        logger.addHandler(handler)
        logger.info("alone")
        wait_until(lambda: len(receiver.lines()) == 1, 5, "the entry arrived", interval=0.01)
        assert receiver.lines()[0]["message"] == "alone"


def test_handler_retries_503_and_429_honouring_retry_after(logger: logging.Logger) -> None:
    def reply(number: int, lines: list[Any]) -> Reply:
        if number == 1:
            return 503, {"Retry-After": "0"}, b'{"status": "error"}'
        if number == 2:
            return 429, {}, b""
        return accept(lines)

    with BulkReceiver(reply) as receiver:
        handler = LogLensHandler(receiver.url, flush_interval=0.01, max_backoff=0.1)
        logger.addHandler(handler)
        logger.error("once")
        assert handler.drain(10)
        assert len(receiver.requests) == 3
        assert [r["lines"][0]["message"] for r in receiver.requests] == ["once"] * 3
        assert handler.sent == 1 and handler.dropped == 0


def test_permanent_errors_drop_the_batch_without_retrying(logger: logging.Logger) -> None:
    with BulkReceiver(lambda n, lines: (400, {}, b'{"error": "bad"}')) as receiver:
        handler = LogLensHandler(receiver.url, flush_interval=0.01)
        logger.addHandler(handler)
        logger.info("doomed")
        assert handler.drain(10)
        assert len(receiver.requests) == 1 and handler.dropped == 1
        assert handler.last_error is not None and "HTTP 400" in handler.last_error


def test_413_splits_the_batch(logger: logging.Logger) -> None:
    def reply(number: int, lines: list[Any]) -> Reply:
        return (413, {}, b"") if len(lines) > 3 else accept(lines)

    with BulkReceiver(reply) as receiver:
        handler = LogLensHandler(receiver.url, batch_size=10, flush_interval=5)
        logger.addHandler(handler)
        for i in range(10):
            logger.info("m%d", i)
        assert handler.drain(10)
        taken = [line["message"] for r in receiver.requests if len(r["lines"]) <= 3 for line in r["lines"]]
        assert sorted(taken) == sorted(f"m{i}" for i in range(10))
        assert handler.sent == 10 and [len(r["lines"]) for r in receiver.requests][:2] == [10, 5]


def test_rejections_reported_by_the_server_are_counted(logger: logging.Logger) -> None:
    def reply(number: int, lines: list[Any]) -> Reply:
        report = {"accepted": 1, "rejected": 1, "errors": [{"line": 2, "errors": ["bad"]}], "errors_truncated": 0}
        return 200, {}, orjson.dumps(report)

    with BulkReceiver(reply) as receiver:
        handler = LogLensHandler(receiver.url, flush_interval=5)
        logger.addHandler(handler)
        logger.info("a")
        logger.info("b")
        assert handler.drain(10)
        assert handler.sent == 1 and handler.rejected == 1 and "line" in (handler.last_error or "")


def test_full_queue_drops_new_records_without_blocking(logger: logging.Logger) -> None:
    handler = LogLensHandler(f"http://127.0.0.1:{free_port()}", queue_size=50, batch_size=10, close_timeout=0.2)
    logger.addHandler(handler)
    started = time.perf_counter()
    for i in range(2000):
        logger.info("burst %d", i)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0  # well under a millisecond per call, even with nobody listening
    assert 2000 - 50 - 10 <= handler.dropped <= 2000 - 50


def test_close_sends_what_is_queued(logger: logging.Logger) -> None:
    with BulkReceiver() as receiver:
        handler = LogLensHandler(receiver.url, flush_interval=60, batch_size=1000)
        logger.addHandler(handler)
        for i in range(7):
            logger.warning("w%d", i)
        logger.removeHandler(handler)
        handler.close()
        assert [line["message"] for line in receiver.lines()] == [f"w{i}" for i in range(7)]


def test_close_gives_up_after_close_timeout_when_the_server_is_down(logger: logging.Logger) -> None:
    handler = LogLensHandler(f"http://127.0.0.1:{free_port()}", close_timeout=0.5, max_backoff=0.1)
    logger.addHandler(handler)
    logger.info("lost")
    logger.removeHandler(handler)
    started = time.monotonic()
    handler.close()
    assert time.monotonic() - started < 3.0
    assert handler.dropped == 1 and handler.sent == 0
    logger.info("after close")  # no handler left, and a closed handler would just count it


def test_bulk_sender_gives_up_at_the_deadline() -> None:
    sender = BulkSender(f"http://127.0.0.1:{free_port()}", max_backoff=0.05)
    outcome = sender.send([b"{}"], deadline=time.monotonic() + 0.3)
    assert outcome.unsent == 1 and outcome.error is not None and "cannot reach" in outcome.error


def test_bulk_sender_accepts_a_full_bulk_url() -> None:
    assert BulkSender("http://h:1/prefix/api/logs/bulk").path == "/prefix/api/logs/bulk"
    assert BulkSender("h:1/prefix/").path == "/prefix/api/logs/bulk"
    with pytest.raises(ValueError):
        BulkSender("ftp://h")
