"""The listener's pieces that run without sockets: decoding frames into pipeline items, the rate-limited log."""

from __future__ import annotations

import pytest

from loglens.ingest.syslog.framing import Oversize
from loglens.ingest.syslog.listener import RateLimitedLog, decode
from loglens.validation import Undecodable


def test_rejections_are_logged_at_most_once_per_interval_saying_how_many_were_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    limited = RateLimitedLog(10.0, clock=lambda: now[0])
    with caplog.at_level("WARNING"):
        for second in range(25):
            now[0] = 100.0 + second
            limited.warning("rejected %s", second)
    assert [r.getMessage() for r in caplog.records] == [
        "syslog: rejected 0",
        "syslog: rejected 10 (and 9 more since the last such line)",
        "syslog: rejected 20 (and 9 more since the last such line)",
    ]


def test_decoded_frames_become_entries_or_say_why_not() -> None:
    items = decode([b"<11>1 - h app - - - ok", b"junk", Oversize(70_000, b"<14>...")], 1_796_000_000.0, 65_536)
    assert items[0]["service"] == "app" and items[0]["timestamp"] == "2026-11-30T00:53:20.000Z"
    assert isinstance(items[1], Undecodable) and items[1].kind == "syslog" and "b'junk'" in items[1].reason
    assert isinstance(items[2], Undecodable) and items[2].kind == "max_entry_bytes" and "70000 bytes" in items[2].reason
