"""TCP framing (RFC 6587) and the ingest.syslog setting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loglens.config import ConfigError, load
from loglens.ingest.syslog.framing import Framer, Oversize
from loglens.ingest.syslog.settings import SyslogSettings, read_settings

MSG = st.binary(min_size=1, max_size=200).map(lambda b: b"<14>" + b.replace(b"\n", b" "))


def counted(message: bytes) -> bytes:
    return str(len(message)).encode() + b" " + message


@given(st.lists(st.tuples(MSG, st.booleans()), max_size=20), st.lists(st.integers(1, 50), max_size=30))
def test_frames_come_out_whole_however_the_stream_is_cut(messages: list[tuple[bytes, bool]], cuts: list[int]) -> None:
    stream = b"".join(counted(m) if octet else m + b"\n" for m, octet in messages)
    framer = Framer(max_frame=1000)
    out: list[bytes | Oversize] = []
    at = 0
    for cut in cuts:
        out += framer.feed(stream[at : at + cut])
        at += cut
    out += framer.feed(stream[at:]) + framer.finish()
    expected = [m if octet else m.rstrip(b"\r") for m, octet in messages]
    assert out == expected


def test_an_unterminated_last_line_counts_at_the_end_of_the_stream() -> None:
    framer = Framer(100)
    assert framer.feed(b"<14>a\n<14>b") == [b"<14>a"]
    assert framer.finish() == [b"<14>b"]


def test_oversize_frames_are_skipped_and_reported_without_being_held() -> None:
    framer = Framer(max_frame=10)
    out = framer.feed(b"24 <14>0123456789012345") + framer.feed(b"6789<14>ok\n")
    assert out == [Oversize(24, b"<14>0123456789012345"), b"<14>ok"]
    out = framer.feed(b"<14>" + b"x" * 30) + framer.feed(b"yyy\n<14>next\n")
    assert out == [Oversize(37, b"<14>" + b"x" * 30), b"<14>next"]
    assert len(framer._buf) == 0


def test_a_broken_octet_count_stops_the_stream() -> None:
    with pytest.raises(ValueError, match="octet count"):
        Framer(100).feed(b"12345678901234 <14>x")
    with pytest.raises(ValueError, match="octet count"):
        Framer(100).feed(b"12a <14>x")


def test_syslog_setting_is_off_by_default_and_read_from_yaml_or_environment() -> None:
    assert read_settings(load(env={})) == SyslogSettings()
    cfg = load(env={"LOGLENS_INGEST_SYSLOG": '{tcp: "127.0.0.1:5514"}'})
    assert read_settings(cfg).tcp == ("127.0.0.1", 5514) and read_settings(cfg).udp is None
    cfg = load(env={}, overrides={"ingest": {"syslog": {"udp": "[::1]:6514", "tcp": "localhost:6514"}}})
    assert read_settings(cfg).udp == ("::1", 6514) and read_settings(cfg).tcp == ("127.0.0.1", 6514)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"tcp": "0.0.0.0:5514"}, "refusing to listen on '0.0.0.0'"),
        ({"udp": "192.0.2.1:514"}, "allow_remote"),
        ({"tcp": "127.0.0.1"}, "HOST:PORT"),
        ({"tcp": "logs.example.com:514"}, "not an IP address"),
        ({"tcp": "127.0.0.1:5514", "tls_cert": "c.pem"}, "both tls_cert and tls_key"),
        ({"udp": "127.0.0.1:5514", "tls_cert": "c.pem", "tls_key": "k.pem"}, "set tcp"),
        ({"tcp": "127.0.0.1:1", "port": 5}, "unknown key 'port'"),
        ({"tcp": "127.0.0.1:1", "max_connections": 0}, "max_connections"),
        ("127.0.0.1:5514", "expected dict"),
    ],
)
def test_bad_syslog_settings_stop_loading_naming_the_key(value: object, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        load(env={}, overrides={"ingest": {"syslog": value}})


def test_a_remote_address_is_accepted_when_said_to_be_meant() -> None:
    cfg = load(env={}, overrides={"ingest": {"syslog": {"tcp": "0.0.0.0:5514", "allow_remote": True}}})
    assert read_settings(cfg).tcp == ("0.0.0.0", 5514)


def test_rejections_are_logged_at_most_once_per_interval_saying_how_many_were_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from loglens.ingest.syslog.listener import RateLimitedLog

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
    from loglens.ingest.syslog.listener import decode
    from loglens.validation import Undecodable

    items = decode([b"<11>1 - h app - - - ok", b"junk", Oversize(70_000, b"<14>...")], 1_796_000_000.0, 65_536)
    assert items[0]["service"] == "app" and items[0]["timestamp"] == "2026-11-30T00:53:20.000Z"
    assert isinstance(items[1], Undecodable) and items[1].kind == "syslog" and "b'junk'" in items[1].reason
    assert isinstance(items[2], Undecodable) and items[2].kind == "max_entry_bytes" and "70000 bytes" in items[2].reason
