"""A query alert rule as checked once, wherever it comes from (config.yaml's `alerting.rules` or the API).

`check_rule` turns an `AlertRuleSpec` (types and bounds already checked by the config loader) into a `QueryRule`:
the query parsed with its one aggregating stage, the condition, the durations in milliseconds and the summary
template compiled in a sandbox. Every problem is a RuleError naming the rule and the key.

A rule names either its `query` or a `saved_search`. A saved search's query can change (or the saved search can
be missing) after the rule was checked, so such a rule is checked without its query, and `resolve` gives the rule
with the saved search's current query each time it is evaluated or previewed.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from ..config import AlertRuleSpec, ConfigError
from ..config.load import build_entry
from ..search.pipeline import Agg, Pipeline, Stats, parse_pipeline, split_stages
from ..search.query import QueryError
from ..search.saved import SavedSearches

BUILT_IN_NAMES = frozenset({"error_rate", "high_volume", "service_down"})  # alerts/rules.py
RESERVED_NAME = "preview"  # POST /api/alert-rules/preview
UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
# spaces only (no other whitespace), as the OpenAPI document's patterns say (openapi/base.yaml AlertRule)
DURATION = re.compile(r" *([0-9]+(?:\.[0-9]+)?) *(ms|s|m|h|d) *")
CONDITION = re.compile(r" *(>=|<=|>|<) *(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?) *")
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}
MIN_EVERY_MS = 1000
DEFAULT_SUMMARY = (
    "{{ rule }}{% if group %} ({{ group }}){% endif %}: {{ value if value is not none else 'no data' }}"
    " {{ condition }} over the last {{ window }}"
)


class RuleError(ConfigError):
    """A rule that cannot be used; the message names the rule and the key."""


@dataclass(frozen=True)
class Condition:
    op: str
    threshold: float

    def holds(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.threshold)

    def __str__(self) -> str:
        return f"{self.op} {self.threshold:g}"


@dataclass(frozen=True)
class QueryRule:
    """A checked rule, ready to evaluate."""

    spec: AlertRuleSpec
    pipeline: Pipeline
    agg: Agg
    by: tuple[str, ...]
    condition: Condition
    window_ms: int
    every_ms: int
    for_ms: int
    repeat_ms: int
    source: str = "config"  # or "api"
    template: Any = field(default=None, compare=False, repr=False)  # the compiled summary (jinja2 Template)
    # the query the pipeline was parsed from: the rule's own, or its saved search's once resolved ("" until then)
    resolved_query: str = ""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def saved_search(self) -> str:
        """The saved search the rule evaluates ("" for a rule with its own query)."""
        return self.spec.saved_search.strip()

    @property
    def resolved(self) -> bool:
        """Whether `pipeline`, `agg` and `by` are the query's (always for a rule's own query; for a saved search's,
        once `resolve` has read it)."""
        return bool(self.resolved_query) or not self.saved_search

    @property
    def filter_text(self) -> str:
        """The query's filter part, for the Explore link."""
        return split_stages(self.resolved_query)[0][0].strip()

    @property
    def severity(self) -> str:
        return self.spec.severity.upper()


def sandbox() -> SandboxedEnvironment:
    """The template environment: sandboxed (no attribute access to Python internals), autoescape off (a message is
    text, not HTML; the dashboard escapes what it shows)."""
    return SandboxedEnvironment(autoescape=False)


def parse_duration(text: str, key: str, where: str, *, zero: bool = True, longest: str = "31d") -> int:
    """`30s`, `5m`, `1h`, `1d`, `250ms` in milliseconds, at most `longest`."""
    match = DURATION.fullmatch(text)
    if match is None:
        raise RuleError(f"{where}.{key}: expected a duration such as 30s, 5m, 1h or 1d, got {text!r}")
    ms = float(match.group(1)) * UNITS_MS[match.group(2)]
    if ms < 1 and not zero:
        raise RuleError(f"{where}.{key}: must be longer than zero, got {text!r}")
    limit = DURATION.fullmatch(longest)
    assert limit is not None
    if ms > float(limit.group(1)) * UNITS_MS[limit.group(2)]:
        raise RuleError(f"{where}.{key}: at most {longest}, got {text!r}")
    return int(ms)


def parse_condition(text: str, where: str) -> Condition:
    match = CONDITION.fullmatch(text)
    if match is None:
        raise RuleError(f"{where}.condition: expected >, <, >= or <= and a number (e.g. '> 50'), got {text!r}")
    threshold = float(match.group(2))
    if not math.isfinite(threshold):
        raise RuleError(f"{where}.condition: the number is too large, got {text!r}")
    return Condition(match.group(1), threshold)


def parse_rule_query(
    text: str, where: str, *, key: str = "query", about: str = ""
) -> tuple[Pipeline, Agg, tuple[str, ...]]:
    """The rule's query parsed; RuleError naming `where.key` (and `about`, e.g. which saved search) otherwise."""
    where = f"{where}.{key}: {about}"
    try:
        pipeline = parse_pipeline(text)
    except QueryError as exc:
        raise RuleError(f"{where}{exc}") from None  # the message says the column
    stage = pipeline.aggregate
    if stage is None:
        stage = Stats((Agg("count", None, "count"),), ())
        pipeline = Pipeline(pipeline.filter, stage)
    if not isinstance(stage, Stats) or pipeline.sort or pipeline.limit is not None:
        raise RuleError(f"{where}a rule takes one `| stats AGG [by FIELDS]` stage (no timechart, top, sort or limit)")
    if len(stage.aggs) != 1:
        raise RuleError(f"{where}a rule's stats stage has exactly one aggregate, got {len(stage.aggs)}")
    return pipeline, stage.aggs[0], stage.by


def check_rule(spec: AlertRuleSpec, where: str, *, source: str = "config") -> QueryRule:
    """The rule `spec` checked; RuleError naming `where` (the rule) and the key otherwise."""
    if spec.name in BUILT_IN_NAMES:
        raise RuleError(f"{where}.name: {spec.name!r} is a built-in rule's name; choose another")
    if spec.name == RESERVED_NAME:
        raise RuleError(f"{where}.name: 'preview' names /api/alert-rules/preview; choose another")
    query, saved = spec.query.strip(), spec.saved_search.strip()
    if query and saved:
        raise RuleError(f"{where}.saved_search: a rule has a query or a saved search, not both; remove one")
    if not query and not saved:
        raise RuleError(f"{where}.query: required (or saved_search, the name of a saved search)")
    # a saved search's query is read when the rule is evaluated (resolve); until then the pipeline is a placeholder
    # (a count of everything) that nothing evaluates: `resolved` is false, and the engine and the preview refuse it
    pipeline, agg, by = parse_rule_query(spec.query if query else "", where)
    condition = parse_condition(spec.condition, where)
    window_ms = parse_duration(spec.window, "window", where, zero=False)
    every_ms = parse_duration(spec.every, "every", where, zero=False, longest="1d")
    if every_ms < MIN_EVERY_MS:
        raise RuleError(f"{where}.every: at least 1s, got {spec.every!r}")
    for_ms = parse_duration(spec.for_, "for", where)
    repeat_ms = parse_duration(spec.repeat_interval, "repeat_interval", where)
    for key, value in spec.labels.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise RuleError(f"{where}.labels.{key}: a label name is letters, digits and '_', not starting with a digit")
        if len(value) > 1000:
            raise RuleError(f"{where}.labels.{key}: at most 1000 characters")
    try:
        template = sandbox().from_string(spec.summary or DEFAULT_SUMMARY)
    except TemplateSyntaxError as exc:
        raise RuleError(f"{where}.summary: not a valid template: {exc.message} (line {exc.lineno})") from None
    return QueryRule(
        spec,
        pipeline,
        agg,
        by,
        condition,
        window_ms,
        every_ms,
        for_ms,
        repeat_ms,
        source,
        template,
        spec.query if query else "",
    )


def resolve(rule: QueryRule, saved: SavedSearches, where: str = "rule") -> QueryRule:
    """The rule with its saved search's current query (its range is ignored: the rule's window decides); the rule
    itself when it has its own query. RuleError naming `where.saved_search` when the saved search does not exist or
    its query is not a rule's (a timechart, two aggregates...)."""
    name = rule.saved_search
    if not name:
        return rule
    found = saved.saved_by_name(name)
    if found is None:
        raise RuleError(f"{where}.saved_search: no saved search named {name!r}")
    pipeline, agg, by = parse_rule_query(
        found.query, where, key="saved_search", about=f"the query of the saved search {name!r}: "
    )
    return replace(rule, pipeline=pipeline, agg=agg, by=by, resolved_query=found.query)


def check_specs(
    specs: Sequence[AlertRuleSpec], prefix: str = "alerting.rules", *, notifiers: Collection[str] | None = None
) -> list[QueryRule]:
    """Every rule of the config checked, names unique, `notify` naming `notifiers` (when given); the first
    problem raises RuleError."""
    rules: list[QueryRule] = []
    seen: set[str] = set()
    for spec in specs:
        where = f"{prefix}[{spec.name}]"
        if spec.name in seen:
            raise RuleError(f"{where}.name: two rules are named {spec.name!r}")
        seen.add(spec.name)
        rules.append(check_rule(spec, where))
        check_notify(spec, where, notifiers)
    return rules


def check_notify(spec: AlertRuleSpec, where: str, notifiers: Collection[str] | None) -> None:
    """A rule's `notify` names only handlers that exist: a name of none would leave its notifications waiting."""
    if notifiers is None:
        return
    for name in spec.notify:
        if name not in notifiers:
            known = ", ".join(sorted(notifiers)) or "none"
            raise RuleError(f"{where}.notify: {name!r} names no handler in alerting.handlers (there are: {known})")


def rule_from_body(
    body: Mapping[str, Any], *, source: str = "api", notifiers: Collection[str] | None = None
) -> QueryRule:
    """A rule from a JSON body (the API): checked by the config loader's declarations, then as a config rule."""
    where = "rule"
    spec = build_entry(AlertRuleSpec, body, where)
    rule = check_rule(spec, where, source=source)
    check_notify(spec, where, notifiers)
    return rule


def spec_body(spec: AlertRuleSpec) -> dict[str, Any]:
    """A rule as the JSON the API takes and gives (the config keys, `for` included)."""
    body: dict[str, Any] = {
        "name": spec.name,
        "query": spec.query,
        "condition": spec.condition,
        "window": spec.window,
        "every": spec.every,
        "for": spec.for_,
        "severity": spec.severity,
        "labels": dict(spec.labels),
        "no_data": spec.no_data,
        "repeat_interval": spec.repeat_interval,
        "notify": list(spec.notify),
        "summary": spec.summary,
    }
    if spec.saved_search:  # only then: the bodies of rules with a query stay as they were
        body["saved_search"] = spec.saved_search
    return body
