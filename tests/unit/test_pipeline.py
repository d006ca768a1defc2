"""The pipeline after the filter (search/pipeline.py): what each stage means, and errors that say where."""

from __future__ import annotations

import pytest

from loglens.search.pipeline import Agg, SortKey, Stats, Timechart, parse_pipeline, split_stages
from loglens.search.query import FieldIs, LevelCompare, QueryError, Words


def test_reads_the_issue_examples() -> None:
    p = parse_pipeline("level>=ERROR | stats count() by service")
    assert p.filter == LevelCompare(">=", 40) and p.aggregate == Stats((Agg("count", None, "count"),), ("service",))
    p = parse_pipeline(
        "service:payment-service | stats count(), avg(metadata.processing_time_ms), p95(metadata.processing_time_ms)"
        " by level"
    )
    assert p.filter == FieldIs("service", "payment-service")
    assert p.columns == ("level", "count", "avg(metadata.processing_time_ms)", "p95(metadata.processing_time_ms)")
    p = parse_pipeline("level:ERROR | timechart span=1m count() by service")
    assert p.aggregate == Timechart((Agg("count", None, "count"),), "service", 60)
    p = parse_pipeline('"card declined" | top 10 user_id')
    assert p.filter == Words(("card", "declined"))
    assert p.aggregate == Stats((Agg("count", None, "count"),), ("user_id",))
    assert p.sort == (SortKey("count", True),) and p.limit == 10
    p = parse_pipeline("| stats count_distinct(user_id) by service | sort -count | limit 5")
    assert p.sort == (SortKey("count_distinct(user_id)", True),) and p.limit == 5


def test_names_columns_by_alias_and_sorts_by_several_keys() -> None:
    p = parse_pipeline("| stats count() as n, max(metadata.ms) by service, metadata.region | sort -n, +service")
    assert p.columns == ("service", "metadata.region", "n", "max(metadata.ms)")
    assert p.sort == (SortKey("n", True), SortKey("service", False))
    assert parse_pipeline("| stats p95(metadata.ms) | sort p95").sort == (SortKey("p95(metadata.ms)", False),)


def test_a_span_is_optional_and_top_counts_ten_by_default() -> None:
    assert parse_pipeline("| timechart avg(metadata.ms)").aggregate == Timechart(
        (Agg("avg", "metadata.ms", "avg(metadata.ms)"),), None, None
    )
    assert parse_pipeline("| timechart span=2h count()").aggregate.span_seconds == 7200  # type: ignore[union-attr]
    assert parse_pipeline("x | top level").limit == 10


def test_a_pipe_inside_a_quoted_phrase_belongs_to_the_phrase() -> None:
    assert split_stages('"a|b" c | stats count()') == [('"a|b" c ', 0), (" stats count()", 9)]
    assert parse_pipeline('"a|b"').aggregate is None
    assert split_stages(r'"a\"|b" | top level') == [(r'"a\"|b" ', 0), (" top level", 9)]


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("| stats", "expected a function such as count()", 8),
        ("x | foo", "unknown stage 'foo'", 5),
        ("| stats p95(service)", "p95() needs a numeric field; service is text", 13),
        ("| stats sum(level)", "sum() needs a numeric field", 13),
        ("| stats count() by message", "message cannot be a group", 20),
        ("| stats count() by region", "unknown field 'region'", 20),
        ("| stats count(service)", "count() takes no field", 15),
        ("| stats avg()", "avg() needs a field", 9),
        ("| sort -count", "sort follows stats or top", 3),
        ("x | limit 5", "limit follows stats or top", 5),
        ("| stats count() | top level", "one stats, timechart or top stage", 19),
        ("| stats max(metadata.x) by service | sort -nope", "no column 'nope' to sort by", 44),
        ("| stats count() | limit 2 | sort count", "sort comes before limit", 29),
        ("| timechart span=0m count()", "span must be longer than zero", 18),
        ("| timechart count() by service, level", "timechart groups by one field at most", None),
        ("| top 0 service", "top takes 1 to 1000 values", 7),
        ("| stats count() | limit 0", "limit takes 1 to 10000 rows", 25),
        ("x |", "expected a stage after '|'", 4),
        ("x | ", "expected a stage after '|'", 4),
        ("| stats count(", "expected ')' or a field", 15),
        ("| stats count() count()", "expected ',' or 'as' or 'by', got 'count'", 17),
        ("| stats count() as service by service", "also a group field", None),
        ("| stats count(), count()", "two columns are named 'count'", None),
        ("| stats count() by service, level, user_id, metadata.a", "at most 3 fields after 'by'", 45),
        ("level:NOPE | stats count()", "level must be one of", 7),
    ],
)
def test_rejects_what_means_nothing_saying_where(text: str, message: str, column: int | None) -> None:
    with pytest.raises(QueryError) as caught:
        parse_pipeline(text)
    assert message in str(caught.value), str(caught.value)
    assert caught.value.column == column, str(caught.value)


def test_the_whole_query_is_bounded_in_length() -> None:
    with pytest.raises(QueryError, match="longer than 2000"):
        parse_pipeline("| stats count() by service" + " " * 2000)


def test_a_chosen_span_keeps_aligned_buckets_within_the_bound() -> None:
    from loglens.search.stats import bucket_count, choose_span_s

    for start in (0, 1, 59_999, 1_767_225_600_123):
        for length in (1, 999, 3_600_000, 3_600_001, 86_400_000, 7 * 86_400_000 + 5, 400 * 86_400_000):
            for most in (1, 7, 60, 1000):
                span = choose_span_s(start, start + length, most)
                assert bucket_count(start, start + length, span * 1000) <= most, (start, length, most, span)
    assert choose_span_s(1_767_225_600_000, 1_767_225_600_000 + 3_600_000, 60) == 60  # an aligned hour: minutes
    assert choose_span_s(1_767_225_600_001, 1_767_225_600_001 + 3_600_000, 60) == 300  # unaligned: 61 would not fit
