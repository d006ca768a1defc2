"""Client text in the server's own log stays on one line: control characters are escaped."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from loglens.alerts.notifiers.log import LogNotifier
from loglens.logsafe import EscapingFilter, escape, install

FORGED = "api\n2026-01-01 00:00:00,000 CRITICAL loglens: disk failing, wipe the store\r\x1b[2K"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("tests.logsafe")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_escape_renders_line_breaks_and_controls_visibly() -> None:
    assert escape("a\nb\r\t\x00\x1b\x7f\x85\u2028c") == "a\\nb\\r\\t\\x00\\x1b\\x7f\\x85\\u2028c"
    assert escape("plain: ünïcode ok") == "plain: ünïcode ok"
    assert escape(42) == "42"


def test_alert_log_handler_writes_one_line_per_alert(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    alert = {"state": "firing", "severity": "CRITICAL", "rule": "error_rate", "service": FORGED, "message": FORGED}
    LogNotifier(logger).handle(alert)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("WARNING tests.logsafe: ALERT FIRING [CRITICAL] error_rate api\\n2026")


def test_filter_escapes_every_record_after_formatting(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    install(logger)
    install(logger)  # once is enough: a second call adds nothing
    assert sum(isinstance(f, EscapingFilter) for f in logger.handlers[0].filters) == 1
    logger.info("store error: %s", FORGED)
    logger.info("no arguments\nsecond line")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed for %s", "svc\nFAKE")
    text = stream.getvalue()
    assert "INFO tests.logsafe: store error: api\\n2026-01-01" in text
    assert "no arguments\\nsecond line" in text
    assert "failed for svc\\nFAKE" in text and "Traceback (most recent call last):\n" in text  # ours keeps lines
    assert not any(line.startswith(("2026", "FAKE", "second")) for line in text.splitlines())
