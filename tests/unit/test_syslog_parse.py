"""The syslog parser and mapping: RFC 5424 to the letter, RFC 3164 as senders write it, entries as documented."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loglens.ingest.levels import normalize_level
from loglens.ingest.syslog.mapping import to_entry
from loglens.ingest.syslog.parse import SyslogError, SyslogMessage, parse
from loglens.validation import Validator

NOW = datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)
RECEIVED = "2026-12-06T12:00:00.000Z"
VALIDATOR = Validator()  # compiling the schema takes longer than a Hypothesis example may


def entry(data: bytes, now: datetime = NOW) -> dict[str, Any]:
    return to_entry(parse(data, now=now), RECEIVED)


def test_rfc5424_example_with_structured_data_maps_every_field() -> None:
    data = (
        b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 4711 ID47 [exampleSDID@32473 iut="3" '
        b'eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] \xef\xbb\xbfAn application'
        b" event log entry..."
    )
    got = entry(data)
    assert got == {
        "timestamp": "2003-10-11T22:14:15.003Z",
        "level": "INFO",  # severity 5 (notice)
        "service": "evntslog",
        "message": "An application event log entry...",
        "metadata": {
            "hostname": "mymachine.example.com",
            "procid": "4711",
            "msgid": "ID47",
            "facility": "local4",
            "structured_data": {
                "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"},
                "examplePriority@32473": {"class": "high"},
            },
        },
    }
    assert VALIDATOR.problems(got) == []


@pytest.mark.parametrize(
    ("severity", "level"),
    [(0, "CRITICAL"), (1, "CRITICAL"), (2, "CRITICAL"), (3, "ERROR"), (4, "WARNING"), (5, "INFO"), (6, "INFO"),
     (7, "DEBUG")],
)  # fmt: skip
def test_severity_becomes_the_documented_level(severity: int, level: str) -> None:
    assert entry(f"<{8 + severity}>1 - - app - - - text".encode())["level"] == level


def test_nil_fields_are_left_out_and_the_arrival_time_stands_in() -> None:
    got = entry(b"<14>1 - - - - - - just text")
    assert got == {
        "timestamp": RECEIVED,
        "level": "INFO",
        "service": "syslog",
        "message": "just text",
        "metadata": {"facility": "user"},
    }


def test_structured_data_escapes_are_undone() -> None:
    got = entry(rb'<14>1 - h a - - [x@1 q="say \"hi\" \\ \]" e=""] m')
    assert got["metadata"]["structured_data"] == {"x@1": {"q": 'say "hi" \\ ]', "e": ""}}


def test_a_message_told_only_in_structured_data_keeps_it_as_its_message() -> None:
    got = entry(b'<14>1 - h a - - [x@1 k="v"]')
    assert got["message"] == '{"x@1":{"k":"v"}}'


def test_json_body_is_merged_like_a_loki_line() -> None:
    body = b'{"msg": "payment failed", "level": "err", "user_id": "u42", "order": 7, "hostname": "spoof"}'
    got = entry(b"<14>1 2026-12-06T11:00:00Z web pay 77 - - " + body)
    assert got["message"] == "payment failed"
    assert got["level"] == "ERROR"  # the body's level wins over severity 6
    assert got["user_id"] == "u42"
    assert got["metadata"] == {"order": 7, "hostname": "web", "procid": "77", "facility": "user"}


def test_json_body_with_an_unknown_level_keeps_the_severity_and_the_value() -> None:
    got = entry(b'<11>1 - - a - - - {"message": "m", "level": "loud"}')
    assert got["level"] == "ERROR" and got["metadata"]["level"] == "loud"


@pytest.mark.parametrize(
    ("value", "level"),
    [("warn", "WARNING"), ("WARNING", "WARNING"), ("fatal", "CRITICAL"), ("crit", "CRITICAL"), ("err", "ERROR"),
     ("notice", "INFO"), ("trace", "DEBUG"), (3, "ERROR"), ("7", "DEBUG"), (9, None), ("loud", None), (True, None)],
)  # fmt: skip
def test_level_spellings_are_normalised(value: Any, level: str | None) -> None:
    assert normalize_level(value) == level


def test_rfc3164_with_hostname_tag_and_pid() -> None:
    got = entry(b"<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8")
    assert got == {
        "timestamp": "2026-10-11T22:14:15+00:00",
        "level": "CRITICAL",
        "service": "su",
        "message": "'su root' failed for lonvick on /dev/pts/8",
        "metadata": {"hostname": "mymachine", "procid": "230", "facility": "auth"},
    }


def test_rfc3164_without_hostname_and_with_a_space_padded_day() -> None:
    msg = parse(b"<13>Feb  5 01:02:03 cron: job done", now=NOW)
    assert (msg.hostname, msg.app_name, msg.message) == (None, "cron", "job done")
    assert msg.timestamp == "2026-02-05T01:02:03+00:00"


def test_rfc3164_times_are_read_in_the_servers_zone_and_never_far_ahead() -> None:
    zone = timezone(timedelta(hours=2))
    now = datetime(2027, 1, 1, 0, 30, tzinfo=zone)
    assert parse(b"<13>Dec 31 23:59:00 h t: m", now=now).timestamp == "2026-12-31T23:59:00+02:00"
    assert parse(b"<13>Jan  1 00:29:00 h t: m", now=now).timestamp == "2027-01-01T00:29:00+02:00"


def test_rfc3164_with_rfc3339_timestamp_as_rsyslog_forwards_it() -> None:
    msg = parse(b"<30>2026-12-06T11:59:58.123456+00:00 host1 nginx[9]: GET /", now=NOW)
    assert (msg.timestamp, msg.hostname, msg.app_name, msg.procid, msg.message) == (
        "2026-12-06T11:59:58.123456+00:00",
        "host1",
        "nginx",
        "9",
        "GET /",
    )


def test_rfc3164_with_only_a_priority_is_a_message_without_service() -> None:
    got = entry(b"<11>disk almost full")
    assert (got["service"], got["level"], got["message"]) == ("syslog", "ERROR", "disk almost full")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"no priority", "no <PRI>"),
        (b"<192>1 - - - - - - m", "0..191"),
        (b"<013>1 - - - - - - m", "leading zeros"),
        (b"<14>1 2026-12-06 12:00:00Z h a - - - m", "TIMESTAMP"),
        (b"<14>1 2026-13-06T12:00:00Z h a - - - m", "TIMESTAMP"),
        (b"<14>1 2026-12-06T12:00:00.1234567Z h a - - - m", "TIMESTAMP"),
        (b"<14>1 -  h a - - - m", "empty"),
        (b"<14>1 - h " + b"a" * 49 + b" - - - m", "APP-NAME"),
        (b"<14>1 - h a - " + b"m" * 33 + b" - m", "MSGID"),
        (b"<14>1 - h a - - x m", "STRUCTURED-DATA"),
        (b'<14>1 - h a - - [x@1 k="v] m', "closing quote"),
        (b"<14>1 - h a - - [x@1 k=v] m", "SD-PARAM"),
        (b'<14>1 - h a - - [x@1 k="v"', "not closed"),
        (b"<14>1 - h a - - [x@1][x@1] m", "twice"),
        (b"<14>1 - h a - - [x@1]m", "space must follow"),
        (b"<14>1 - h a", "ends before"),
        (b"<14>Feb 30 01:02:03 h t: m", "not a date"),
    ],
)
def test_malformed_messages_say_what_is_wrong(data: bytes, says: str) -> None:
    with pytest.raises(SyslogError, match=says):
        parse(data, now=NOW)


# -- properties --------------------------------------------------------------------------------------------------

printable = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1)
sd_name = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters='= ]"'), min_size=1, max_size=32
)
field = st.one_of(st.none(), printable)


@st.composite
def messages(draw: st.DrawFn) -> SyslogMessage:
    stamp = draw(
        st.one_of(
            st.none(),
            st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)).map(
                lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            ),
        )
    )
    sd = draw(st.dictionaries(sd_name, st.dictionaries(sd_name, st.text(max_size=20), max_size=3), max_size=3))
    return SyslogMessage(
        facility=draw(st.integers(0, 23)),
        severity=draw(st.integers(0, 7)),
        timestamp=stamp,
        hostname=draw(st.one_of(st.none(), printable.filter(lambda s: s != "-" and len(s) <= 255))),
        app_name=draw(st.one_of(st.none(), printable.filter(lambda s: s != "-" and len(s) <= 48))),
        procid=draw(st.one_of(st.none(), printable.filter(lambda s: s != "-" and len(s) <= 128))),
        msgid=draw(st.one_of(st.none(), printable.filter(lambda s: s != "-" and len(s) <= 32))),
        structured_data=sd,
        message=draw(st.text().filter(lambda s: s == s.rstrip("\r\n\0") and not s.startswith("\ufeff"))),
        rfc=5424,
    )


def format_5424(m: SyslogMessage) -> bytes:
    def nil(value: str | None) -> str:
        return "-" if value is None else value

    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")

    sd = "".join(
        "[" + name + "".join(f' {k}="{escape(v)}"' for k, v in params.items()) + "]"
        for name, params in m.structured_data.items()
    )
    head = f"<{m.facility * 8 + m.severity}>1 {nil(m.timestamp)} {nil(m.hostname)} {nil(m.app_name)}"
    head += f" {nil(m.procid)} {nil(m.msgid)} {sd or '-'}"
    return (head + (" " + m.message if m.message else "")).encode()


@given(messages())
def test_any_well_formed_rfc5424_message_reads_back_as_written(m: SyslogMessage) -> None:
    assert parse(format_5424(m), now=NOW) == m


@given(st.binary(max_size=300))
def test_any_bytes_either_parse_or_raise_syslog_error(data: bytes) -> None:
    try:
        msg = parse(data, now=NOW)
    except SyslogError:
        return
    got = to_entry(msg, RECEIVED)
    assert got["level"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"} and got["service"]


@settings(deadline=None)  # a slow example on a busy machine is not a failure
@given(messages())
def test_every_mapped_message_with_text_passes_the_schema(m: SyslogMessage) -> None:
    got = to_entry(parse(format_5424(m), now=NOW), RECEIVED)
    if got["message"]:  # an empty message (no MSG, no structured data) is rejected by the schema, as it should be
        assert VALIDATOR.problems(got) == []
    else:
        assert [p.kind for p in VALIDATOR.problems(got)] == ["minLength"]
