"""The query grammar: what each form parses to, and errors that say where and what was expected."""

from __future__ import annotations

import pytest

from loglens.search.params import decode_cursor, encode_cursor, parse_time
from loglens.search.query import (
    MAX_QUERY_DEPTH,
    And,
    Everything,
    FieldIs,
    LevelCompare,
    MetaCompare,
    MetaIs,
    Not,
    Or,
    QueryError,
    Words,
    parse,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Everything()),
        ("   ", Everything()),
        ("timeout", Words(("timeout",))),
        ("TimeOut", Words(("timeout",))),
        ('"connection refused"', Words(("connection", "refused"))),
        ("req-42", Words(("req", "42"))),
        ("retr*", Words(("retr",), prefix=True)),
        ("message:retry", Words(("retry",), message_only=True)),
        ('message:"after retry"', Words(("after", "retry"), message_only=True)),
        ("service:auth-service", FieldIs("service", "auth-service")),
        ("service:auth*", FieldIs("service", "auth", prefix=True)),
        ("user_id:user-42", FieldIs("user_id", "user-42")),
        ('user_id:"a b"', FieldIs("user_id", "a b")),
        ("level:error", FieldIs("level", "ERROR")),
        ("level>=WARNING", LevelCompare(">=", 30)),
        ("level<error", LevelCompare("<", 40)),
        ("metadata.request_id:req-42", MetaIs("request_id", "req-42")),
        ("metadata.region:eu*", MetaIs("region", "eu", prefix=True)),
        ("metadata.processing_time_ms>500", MetaCompare("processing_time_ms", ">", 500.0)),
        ("metadata.delta<=-2.5", MetaCompare("delta", "<=", -2.5)),
        ("-timeout", Not(Words(("timeout",)))),
        ("NOT timeout", Not(Words(("timeout",)))),
        ("a b", And((Words(("a",)), Words(("b",))))),
        ("a AND b", And((Words(("a",)), Words(("b",))))),
        ("a OR b c", Or((Words(("a",)), And((Words(("b",)), Words(("c",))))))),
        ("(a OR b) c", And((Or((Words(("a",)), Words(("b",)))), Words(("c",))))),
        ("NOTE ORACLE", And((Words(("note",)), Words(("oracle",))))),
    ],
)
def test_parses_each_form(text: str, expected: object) -> None:
    assert parse(text) == expected


def test_the_issue_example_parses() -> None:
    assert parse("level>=ERROR service:auth-service") == And(
        (LevelCompare(">=", 40), FieldIs("service", "auth-service"))
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("service:auth AND (level:ERROR", "expected ')' at column 30"),
        ("(a OR b", "expected ')' at column 8"),
        ("a )", "unexpected ')' without a matching '(' at column 3"),
        ("a AND", "expected a term at column 6"),
        ('"open', "expected a closing '\"' at column 1"),
        ("foo:bar", "unknown field 'foo'"),
        ("level:LOUD", "level must be one of"),
        ("level>=LOUD", "level must be one of"),
        ("metadata.x>abc", "expected a number"),
        ("metadata.:x", "unknown field"),
        ("---", "column"),
        ("*", "no letters or digits"),
    ],
)
def test_errors_say_where_and_what(text: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_column_of_the_issue_example() -> None:
    text = "level>=ERROR (service:a "
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert str(caught.value) == f"expected ')' at column {len(text) + 1}"


def test_overlong_query_is_refused() -> None:
    with pytest.raises(QueryError):
        parse("a " * 2000)


def test_not_and_or_nest_at_most_max_query_depth_levels_and_bare_parentheses_count_none() -> None:
    assert MAX_QUERY_DEPTH == 16  # documented in the README's query language section
    node = parse("-" * 16 + "a")
    for _ in range(16):
        assert isinstance(node, Not)
        node = node.child
    assert node == Words(("a",))
    assert parse("(" * 500 + "a" + ")" * 500) == Words(("a",))
    assert isinstance(parse("(a OR " * 15 + "(b c)" + ")" * 15), Or)  # 15 Or and one And: 16 levels
    for deeper in ("-" * 17 + "a", "(a OR " * 16 + "(b c)" + ")" * 16, "NOT " * 499 + "a", "-" * 1999 + "a"):
        with pytest.raises(QueryError, match=r"nests NOT, -, AND and OR \d+ levels deep; at most 16 levels"):
            parse(deeper)


@pytest.mark.parametrize(("text", "offset_ms"), [("15m", 900_000), ("2h", 7_200_000), ("7d", 604_800_000)])
def test_relative_times_count_back_from_now(text: str, offset_ms: int) -> None:
    assert parse_time(text, 10_000_000_000) == 10_000_000_000 - offset_ms


def test_rfc3339_times_parse_with_their_offset() -> None:
    assert parse_time("2024-01-15T14:30:00Z", 0) == 1_705_329_000_000
    assert parse_time("2024-01-15T15:30:00+01:00", 0) == 1_705_329_000_000


@pytest.mark.parametrize("text", ["yesterday", "15", "2024-01-15", "2024-01-15T14:30:00", "5y", "-5m"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text, 0)


def test_cursor_round_trips_and_rejects_forgeries() -> None:
    assert decode_cursor(encode_cursor(1_705_329_000_000, 42)) == (1_705_329_000_000, 42)
    for bad in ["", "abc", "!!!", encode_cursor(1, 2)[:-3]]:
        with pytest.raises(ValueError):
            decode_cursor(bad)
