"""Query alert rules as config.yaml declares them: the issue's form loads, each kind of mistake stops loading with
a message naming the rule and the key, and summary templates render in a sandbox that refuses escapes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loglens.alerts.rule_message import explore_url, summary
from loglens.alerts.rule_spec import RuleError, check_specs, rule_from_body
from loglens.config import ConfigError, load

ISSUE_FORM = """
alerting:
  rules:
    - name: payment-declines
      query: 'service:payment-service "card declined" | stats count()'
      condition: "> 50"
      window: 5m
      every: 30s
      severity: critical
      notify: [am]
"""


def rules_config(tmp_path: Path, **rule: object) -> Path:
    base: dict[str, object] = {"name": "r1", "query": "level:ERROR", "condition": "> 1"}
    base.update(rule)
    import yaml

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"alerting": {"rules": [base]}}), encoding="utf-8")
    return path


def test_the_issues_config_form_loads_with_its_values(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(ISSUE_FORM, encoding="utf-8")
    (spec,) = load(path, env={}).alerting.rules
    assert (spec.name, spec.condition, spec.window, spec.every, spec.severity) == (
        "payment-declines",
        "> 50",
        "5m",
        "30s",
        "critical",
    )
    assert spec.notify == ("am",) and spec.for_ == "0s" and spec.no_data == "ok"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"fro": "1m"}, "unknown key alerting.rules[r1].fro (did you mean for?)"),
        (
            {"query": "level:ERROR | stats"},
            "alerting.rules[r1].query: expected a function such as count() at column 20",
        ),
        ({"query": "level:ERROR | timechart count()"}, "alerting.rules[r1].query: a rule takes one `| stats"),
        (
            {"query": "| stats count(), p95(metadata.ms)"},
            "alerting.rules[r1].query: a rule's stats stage has exactly one",
        ),
        ({"condition": "== 3"}, "alerting.rules[r1].condition: expected >, <, >= or <= and a number"),
        ({"window": "5 minutes"}, "alerting.rules[r1].window: expected a duration such as 30s"),
        ({"every": "0s"}, "alerting.rules[r1].every: must be longer than zero"),
        ({"every": "500ms"}, "alerting.rules[r1].every: at least 1s"),
        ({"for": "soon"}, "alerting.rules[r1].for: expected a duration"),
        ({"severity": "page"}, "alerting.rules[r1].severity: must be one of info, warning, critical"),
        ({"no_data": "ignore"}, "alerting.rules[r1].no_data: must be one of ok, fire, keep"),
        ({"name": "error_rate"}, "alerting.rules[error_rate].name: 'error_rate' is a built-in rule's name"),
        ({"summary": "{{ value "}, "alerting.rules[r1].summary: not a valid template"),
        ({"labels": {"team": 3}}, "alerting.rules[r1].labels.team: expected text"),
        ({"saved_search": "s"}, "alerting.rules[r1].saved_search: a rule has a query or a saved search, not both"),
        ({"query": " "}, "alerting.rules[r1].query: required (or saved_search, the name of a saved search)"),
        ({"query": "", "saved_search": ""}, "alerting.rules[r1].query: required (or saved_search"),
    ],
)
def test_a_bad_rule_stops_loading_naming_the_rule_and_the_key(
    tmp_path: Path, rule: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):  # the loader's checks, then the rule's (as serve)
        check_specs(load(rules_config(tmp_path, **rule), env={}).alerting.rules)


def test_two_rules_with_one_name_are_refused(tmp_path: Path) -> None:
    rule = {"name": "twice", "query": "x", "condition": "> 1"}
    with pytest.raises(RuleError, match=re.escape("alerting.rules[twice].name: two rules are named 'twice'")):
        check_specs(load(env={}, overrides={"alerting": {"rules": [rule, rule]}}).alerting.rules)


def test_a_rule_without_a_name_is_refused_by_position() -> None:
    with pytest.raises(ConfigError, match=re.escape("alerting.rules[0].name: required")):
        load(env={}, overrides={"alerting": {"rules": [{"query": "x", "condition": "> 1"}]}})


def test_a_rule_naming_a_saved_search_loads_without_reading_it_and_is_evaluated_only_once_resolved(
    tmp_path: Path,
) -> None:
    """At startup the store may not hold the saved search yet: the rule loads; its query is read when evaluated."""
    (rule,) = check_specs(load(rules_config(tmp_path, query="", saved_search=" timeouts "), env={}).alerting.rules)
    assert rule.saved_search == "timeouts" and not rule.resolved and rule.resolved_query == ""
    own = rule_from_body({"name": "r", "query": "level:ERROR", "condition": "> 1"})
    assert own.resolved and own.saved_search == "" and own.resolved_query == "level:ERROR"


def test_a_filter_alone_counts_its_entries() -> None:
    rule = rule_from_body({"name": "r", "query": "level:ERROR", "condition": ">= 2"})
    assert rule.agg.func == "count" and rule.by == ()
    assert rule.condition.holds(2) and not rule.condition.holds(1)


def test_the_summary_template_sees_value_threshold_group_window_rule_and_the_explore_link() -> None:
    rule = rule_from_body(
        {
            "name": "declines",
            "query": '"card declined" | stats count() by service',
            "condition": "> 50",
            "window": "5m",
            "summary": "{{ rule }}: {{ value }} {{ condition }} for {{ group }} in {{ window }} ({{ threshold }}) "
            "{{ explore_url }}",
        }
    )
    text = summary(rule, "service=pay", 51.0, {"service": "pay"})
    url = explore_url(rule, {"service": "pay"})
    assert text == f"declines: 51 > 50 for service=pay in 5m (50.0) {url}"
    assert url == "/explore?q=%22card+declined%22+service%3A%22pay%22&from=5m"


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ value.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    ],
)
def test_a_template_escaping_the_sandbox_is_refused_and_the_alert_still_says_what_fired(escape: str) -> None:
    rule = rule_from_body({"name": "r", "query": "x", "condition": "> 1", "summary": escape})
    text = summary(rule, "", 5.0, {})
    assert "uid=" not in text and "subclasses" not in text and "<class" not in text
    assert text.startswith("r: the summary template was refused") or text.startswith("r: the summary template failed")
    assert "value 5.0" in text
