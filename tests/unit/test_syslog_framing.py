"""TCP framing (RFC 6587): octet counting and newline framing, told apart per frame, bounded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loglens.ingest.syslog.framing import Framer, Oversize

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
