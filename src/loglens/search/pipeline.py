"""The pipeline after a filter: the stages that turn matching entries into an answer about many of them.

    level>=ERROR | stats count() by service
    service:payment-service | stats count(), p95(metadata.processing_time_ms) as p95 by level | sort -p95
    level:ERROR | timechart span=1m count() by service
    "card declined" | top 10 user_id

A query is a filter (the language of `query.py`, unchanged) followed by stages, each after a `|` outside a quoted
phrase. Grammar of one stage (Lark, LALR):

    stage     : "stats" aggs by?                 one row per group
              | "timechart" span? aggs by?       one series per group, one point per time bucket
              | "top" INT? field                 the most frequent values of a field (10 by default)
              | "sort" key ("," key)*            after stats or top; `-col` descending, `+col` or `col` ascending
              | "limit" INT                      after stats or top
    aggs      : agg ("," agg)*
    agg       : FUNC "(" field? ")" ("as" NAME)?  count(), count_distinct(f), sum|avg|min|max|p50|p90|p95|p99(f)
    by        : "by" field ("," field)*          service, level, user_id, metadata.<key>
    span      : "span" "=" DURATION              30s, 1m, 15m, 1h, 1d

A query has at most one aggregating stage (stats, timechart or top), first after the filter; sort and limit may
follow stats or top. A numeric function takes `metadata.<key>` (entries whose value there is not a number are left
out of it); service, level, user_id and message are text. A column is named by its alias (`as name`), else
`count` for count() and `func(field)` for the others; a sort key may also name a column by its function alone
(`p95`, `count_distinct`) when one column has it, and `count` names the one counting column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.exceptions import VisitError

from .query import MAX_QUERY_LENGTH, Node, QueryError, parse

STAGE_GRAMMAR = r"""
start: _STATS aggs by?                -> stats
     | _TIMECHART span? aggs by?      -> timechart
     | _TOP INT? FIELD                -> top
     | _SORT key (_COMMA key)*        -> sort
     | _LIMIT INT                     -> limit

aggs: agg (_COMMA agg)*
agg: FUNC _LPAR FIELD? _RPAR (_AS NAME)?
by: _BY FIELD (_COMMA FIELD)*
span: _SPAN _EQ DURATION
key: SIGN? (COLUMN | FIELD)

_STATS.2: "stats"
_TIMECHART.2: "timechart"
_TOP.2: "top"
_SORT.2: "sort"
_LIMIT.2: "limit"
_BY.2: "by"
_AS.2: "as"
_SPAN.2: "span"
FUNC.3: /(count_distinct|count|sum|avg|min|max|p50|p90|p95|p99)(?=\s*\()/
DURATION.2: /[0-9]+[smhd]/
INT.2: /[0-9]+/
SIGN: "-" | "+"
COLUMN.1: /[A-Za-z_][A-Za-z0-9_.\-]*\([A-Za-z0-9_.\-]*\)/
FIELD: /[A-Za-z_][A-Za-z0-9_.\-]*/
NAME: FIELD
_COMMA: ","
_LPAR: "("
_RPAR: ")"
_EQ: "="

%ignore /\s+/
"""

Func = Literal["count", "count_distinct", "sum", "avg", "min", "max", "p50", "p90", "p95", "p99"]
NUMERIC_FUNCS: frozenset[str] = frozenset({"sum", "avg", "min", "max", "p50", "p90", "p95", "p99"})
PERCENTILES: dict[str, float] = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
TEXT_FIELDS = ("service", "level", "user_id")
DEFAULT_TOP = 10
MAX_TOP = 1000
MAX_LIMIT = 10_000
MAX_AGGS = 10
MAX_BY = 3
SPAN_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}

# -- AST ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Agg:
    """One aggregate column: `func` over `field` (None for count()), shown as `name`."""

    func: Func
    field: str | None
    name: str


@dataclass(frozen=True, slots=True)
class Stats:
    """One row per combination of the `by` fields (one row in all when there are none)."""

    aggs: tuple[Agg, ...]
    by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Timechart:
    """One series per value of `by` (one series when None), one point per bucket of `span_seconds` (None: chosen
    from the range)."""

    aggs: tuple[Agg, ...]
    by: str | None
    span_seconds: int | None


@dataclass(frozen=True, slots=True)
class SortKey:
    column: str
    descending: bool


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A parsed query: the filter, what aggregates it (None: a plain search) and how the rows are ordered and cut.
    `top N f` is read as `stats count() by f | sort -count | limit N`."""

    filter: Node
    aggregate: Stats | Timechart | None = None
    sort: tuple[SortKey, ...] = ()
    limit: int | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of a stats answer: the group fields, then the aggregates."""
        if self.aggregate is None:
            return ()
        by = self.aggregate.by if isinstance(self.aggregate, Stats) else ()
        return (*by, *(agg.name for agg in self.aggregate.aggs))


# -- splitting the filter from the stages ------------------------------------------------------------------------


def split_stages(text: str) -> list[tuple[str, int]]:
    """The filter and each stage's text with the 0-based offset where it starts: `|` outside a quoted phrase
    separates them (inside one it is part of the phrase)."""
    parts: list[tuple[str, int]] = []
    start = 0
    quoted = False
    i = 0
    while i < len(text):
        char = text[i]
        if quoted and char == "\\":
            i += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char == "|" and not quoted:
            parts.append((text[start:i], start))
            start = i + 1
        i += 1
    parts.append((text[start:], start))
    return parts


# -- parsing -----------------------------------------------------------------------------------------------------

_parser = Lark(STAGE_GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=False)

_SHOWN = {
    "_STATS": "stats",
    "_TIMECHART": "timechart",
    "_TOP": "top",
    "_SORT": "sort",
    "_LIMIT": "limit",
    "_BY": "'by'",
    "_AS": "'as'",
    "_SPAN": "span=",
    "FUNC": "a function such as count()",
    "FIELD": "a field",
    "INT": "a whole number",
    "DURATION": "a duration such as 1m",
    "COLUMN": "a column",
    "SIGN": "'-'",
    "_COMMA": "','",
    "_LPAR": "'('",
    "_RPAR": "')'",
    "_EQ": "'='",
    "NAME": "a name",
}
_STAGE_NAMES = "stats, timechart, top, sort or limit"


@dataclass(frozen=True, slots=True)
class _Sort:
    keys: tuple[tuple[str, bool, int], ...]  # column, descending, column in the query


@dataclass(frozen=True, slots=True)
class _Limit:
    n: int
    column: int


@dataclass(frozen=True, slots=True)
class _Top:
    n: int
    field: str


_Stage = Stats | Timechart | _Top | _Sort | _Limit


class _Build(Transformer[Token, object]):
    def __init__(self, offset: int) -> None:
        super().__init__()
        self.offset = offset

    def _column(self, token: Token) -> int:
        return (token.column or 1) + self.offset

    def _field(self, token: Token, purpose: str) -> str:
        name = str(token)
        if name in TEXT_FIELDS:
            return name
        if name.startswith("metadata.") and len(name) > len("metadata."):
            return name
        if name == "message":
            raise QueryError(
                f"message cannot be {purpose}; use service, level, user_id or metadata.<key>", self._column(token)
            )
        raise QueryError(f"unknown field {name!r}; use service, level, user_id or metadata.<key>", self._column(token))

    def agg(self, children: list[Token]) -> Agg:
        func = str(children[0])
        rest = children[1:]
        field_token = rest[0] if rest and rest[0].type == "FIELD" else None
        alias = rest[-1] if rest and rest[-1].type == "NAME" else None
        if func == "count":
            if field_token is not None:
                raise QueryError(
                    "count() takes no field; use count_distinct(field) to count values", self._column(field_token)
                )
            return Agg("count", None, str(alias) if alias else "count")
        if field_token is None:
            raise QueryError(
                f"{func}() needs a field, e.g. {func}(metadata.processing_time_ms)", self._column(children[0])
            )
        field = self._field(field_token, "aggregated")
        if func in NUMERIC_FUNCS and not field.startswith("metadata."):
            raise QueryError(
                f"{func}() needs a numeric field; {field} is text, use metadata.<key>", self._column(field_token)
            )
        return Agg(func, field, str(alias) if alias else f"{func}({field})")  # type: ignore[arg-type]

    def aggs(self, children: list[Agg]) -> tuple[Agg, ...]:
        if len(children) > MAX_AGGS:
            raise QueryError(f"at most {MAX_AGGS} aggregates in one stage")
        names = [agg.name for agg in children]
        for name in names:
            if names.count(name) > 1:
                raise QueryError(f"two columns are named {name!r}; give one another name with 'as'")
        return tuple(children)

    def by(self, children: list[Token]) -> tuple[str, ...]:
        fields = tuple(self._field(token, "a group") for token in children)
        if len(fields) > MAX_BY:
            raise QueryError(f"at most {MAX_BY} fields after 'by'", self._column(children[MAX_BY]))
        return fields

    def span(self, children: list[Token]) -> int:
        (token,) = children
        text = str(token)
        seconds = int(text[:-1]) * SPAN_UNITS[text[-1]]
        if seconds <= 0:
            raise QueryError("span must be longer than zero", self._column(token))
        return seconds

    def stats(self, children: list[object]) -> Stats:
        aggs = children[0]
        by = children[1] if len(children) > 1 else ()
        assert isinstance(aggs, tuple) and isinstance(by, tuple)
        _no_clash(aggs, by)
        return Stats(aggs, by)

    def timechart(self, children: list[object]) -> Timechart:
        span = children[0] if isinstance(children[0], int) else None
        rest = children[1:] if span is not None else children
        aggs = rest[0]
        by = rest[1] if len(rest) > 1 else ()
        assert isinstance(aggs, tuple) and isinstance(by, tuple)
        if len(by) > 1:
            raise QueryError("timechart groups by one field at most")
        return Timechart(aggs, by[0] if by else None, span)

    def top(self, children: list[Token]) -> _Top:
        n = int(children[0]) if len(children) == 2 else DEFAULT_TOP
        if not 1 <= n <= MAX_TOP:
            raise QueryError(f"top takes 1 to {MAX_TOP} values", self._column(children[0]))
        return _Top(n, self._field(children[-1], "counted by top"))

    def key(self, children: list[Token]) -> tuple[str, bool, int]:
        column = children[-1]
        descending = len(children) == 2 and str(children[0]) == "-"
        return str(column), descending, self._column(column)

    def sort(self, children: list[tuple[str, bool, int]]) -> _Sort:
        return _Sort(tuple(children))

    def limit(self, children: list[Token]) -> _Limit:
        (token,) = children
        n = int(token)
        if not 1 <= n <= MAX_LIMIT:
            raise QueryError(f"limit takes 1 to {MAX_LIMIT} rows", self._column(token))
        return _Limit(n, self._column(token))


def _no_clash(aggs: tuple[Agg, ...], by: tuple[str, ...]) -> None:
    for agg in aggs:
        if agg.name in by:
            raise QueryError(f"the column {agg.name!r} is also a group field; give it another name with 'as'")


def _parse_stage(text: str, offset: int) -> _Stage:
    if not text.strip():
        raise QueryError(f"expected a stage after '|' ({_STAGE_NAMES})", offset + 1)
    try:
        tree = _parser.parse(text)
    except UnexpectedInput as exc:
        raise _error(exc, text, offset) from None
    try:
        stage = _Build(offset).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, QueryError):
            raise exc.orig_exc from None
        raise
    assert isinstance(stage, Stats | Timechart | _Top | _Sort | _Limit)
    return stage


def parse_pipeline(text: str) -> Pipeline:
    """Parse a query with its stages; raises QueryError saying where (the column counts from the query's start)."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    (filter_text, _), *stage_texts = split_stages(text)
    node = parse(filter_text)
    pipeline = Pipeline(node)
    for stage_text, offset in stage_texts:
        start = offset + len(stage_text) - len(stage_text.lstrip())  # where the stage's first word is
        pipeline = _apply(pipeline, _parse_stage(stage_text, offset), start)
    return pipeline


def _apply(pipeline: Pipeline, stage: _Stage, offset: int) -> Pipeline:
    column = offset + 1
    if isinstance(stage, Stats | Timechart | _Top):
        if pipeline.aggregate is not None:
            raise QueryError("a query has one stats, timechart or top stage", column)
        if isinstance(stage, _Top):
            return Pipeline(
                pipeline.filter,
                Stats((Agg("count", None, "count"),), (stage.field,)),
                (SortKey("count", True),),
                stage.n,
            )
        return Pipeline(pipeline.filter, stage)
    if not isinstance(pipeline.aggregate, Stats):
        raise QueryError(f"{'sort' if isinstance(stage, _Sort) else 'limit'} follows stats or top", column)
    if isinstance(stage, _Limit):
        if pipeline.limit is not None and pipeline.limit < stage.n:
            return pipeline  # a larger limit after a smaller one keeps the smaller
        return Pipeline(pipeline.filter, pipeline.aggregate, pipeline.sort, stage.n)
    if pipeline.limit is not None:
        raise QueryError("sort comes before limit", column)
    keys = tuple(SortKey(_resolve(pipeline, name, at), descending) for name, descending, at in stage.keys)
    return Pipeline(pipeline.filter, pipeline.aggregate, keys, None)


def _resolve(pipeline: Pipeline, name: str, column: int) -> str:
    """The column a sort key names: by its name, else by its function when one column has that function."""
    assert isinstance(pipeline.aggregate, Stats)
    columns = pipeline.columns
    if name in columns:
        return name
    aggs = pipeline.aggregate.aggs
    wanted = ("count", "count_distinct") if name == "count" else (name,)
    matches = [agg.name for agg in aggs if agg.func in wanted]
    if len(matches) == 1:
        return matches[0]
    raise QueryError(f"no column {name!r} to sort by; the columns are {', '.join(columns)}", column)


def _error(exc: UnexpectedInput, text: str, offset: int) -> QueryError:
    column = (exc.column if isinstance(exc.column, int) and exc.column > 0 else len(text) + 1) + offset
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream is not None else "?"
        return QueryError(f"unexpected {char!r}", column)
    if isinstance(exc, UnexpectedToken):
        if exc.token.type == "$END":
            column = len(text.rstrip()) + 1 + offset
        expected = sorted({_SHOWN[name] for name in exc.expected if name in _SHOWN})
        if exc.state == 0 or set(exc.expected) >= {"_STATS", "_TOP"}:
            got = re.match(r"\s*(\S*)", text)
            word = got.group(1) if got else ""
            return QueryError(f"unknown stage {word!r}; use {_STAGE_NAMES}", column)
        shown = " or ".join(expected) or "something else"
        if exc.token.type == "$END":
            return QueryError(f"expected {shown}", column)
        return QueryError(f"expected {shown}, got {str(exc.token)!r}", column)
    return QueryError(str(exc), column)
