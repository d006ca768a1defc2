"""alerts/silences.py: what a matcher matches, when a silence holds, and which silence `silencing` names."""

from __future__ import annotations

import random

import pytest

from loglens.alerts.silences import ActiveSilences, Matcher, Silence, SilenceError, mark, matchers_from, silencing

T0 = 1_767_225_600_000
ALERT = {"rule": "error_rate", "service": "payment-service", "severity": "CRITICAL", "state": "firing"}


def s(sid: str, *matchers: Matcher, starts: int = T0, ends: int = T0 + 1000) -> Silence:
    return Silence(sid, matchers, starts, ends, "c", "alice", T0)


@pytest.mark.parametrize(
    ("matcher", "matches"),
    [
        (Matcher("service", "=", "payment-service"), True),
        (Matcher("service", "=", "payment"), False),  # equality is the whole value
        (Matcher("service", "=~", "payment"), False),  # and so is a regular expression: anchored at both ends
        (Matcher("service", "=~", "pay.*"), True),
        (Matcher("service", "=~", "(payment|search)-service"), True),
        (Matcher("rule", "=~", "error_rate|high_volume"), True),
        (Matcher("severity", "=", "critical"), True),  # severity: any case
        (Matcher("severity", "=~", "crit.*"), True),
        (Matcher("rule", "=", "ERROR_RATE"), False),  # other fields: exact
        (Matcher("labels.team", "=", "core"), False),  # no labels: the value is ""
        (Matcher("labels.team", "=~", "core|"), True),
    ],
)
def test_a_matcher_compares_the_whole_value(matcher: Matcher, matches: bool) -> None:
    assert matcher.matches(ALERT) is matches


def test_labels_match_through_the_alerts_label_dict() -> None:
    alert = {**ALERT, "labels": {"team": "core", "env": "prod"}}
    assert Matcher("labels.team", "=", "core").matches(alert)
    assert Matcher("labels.env", "=~", "prod|staging").matches(alert)
    assert not Matcher("labels.env", "=", "staging").matches(alert)
    assert Matcher("labels.region", "=", "").matches(alert)


def test_a_pathological_pattern_is_matched_by_re2_without_backtracking() -> None:
    # (a|aa)*b against many a's backtracks exponentially in Python's re; RE2 answers in linear time
    assert not Matcher("service", "=~", "(a|aa)*b").matches({**ALERT, "service": "a" * 5000})


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ([], "non-empty"),
        ([{"name": "host", "value": "x"}], "name must be"),
        ([{"name": "service", "op": "==", "value": "x"}], "op must be"),
        ([{"name": "service", "op": "=~", "value": "[z-a]"}], "invalid"),
        ([{"name": "service", "op": "=~", "value": "x*"}], "every alert"),
        ([{"name": "service", "op": "=~", "value": "x*"}, {"name": "rule", "value": ""}], "every alert"),
    ],
)
def test_bad_matchers_say_what_is_wrong(raw: object, says: str) -> None:
    with pytest.raises(SilenceError, match=says):
        matchers_from(raw)


def test_one_matcher_that_needs_a_value_is_enough() -> None:
    found = matchers_from([{"name": "service", "op": "=~", "value": "x*"}, {"name": "rule", "value": "error_rate"}])
    assert [str(m) for m in found] == ["service=~x*", "rule=error_rate"]


def test_a_silence_holds_from_its_start_to_just_before_its_end() -> None:
    silence = s("a", Matcher("service", "=", "payment-service"))
    assert [silence.state(t) for t in (T0 - 1, T0, T0 + 999, T0 + 1000)] == ["pending", "active", "active", "expired"]
    assert [silence.covers(ALERT, t) for t in (T0 - 1, T0, T0 + 999, T0 + 1000)] == [False, True, True, False]


def test_every_matcher_must_match() -> None:
    silence = s("a", Matcher("service", "=", "payment-service"), Matcher("rule", "=", "high_volume"))
    assert silencing([silence], ALERT, T0) is None


def test_silencing_names_the_covering_silence_that_ends_last() -> None:
    short = s("short", Matcher("service", "=~", "pay.*"), ends=T0 + 10)
    long = s("long", Matcher("rule", "=", "error_rate"), ends=T0 + 5000)
    other = s("other", Matcher("service", "=", "search"), ends=T0 + 9000)
    later = s("later", Matcher("service", "=~", "pay.*"), starts=T0 + 1, ends=T0 + 9000)
    tie = s("zz", Matcher("rule", "=", "error_rate"), ends=T0 + 5000)
    assert silencing([short, long, other, later], ALERT, T0) == long
    assert silencing([short, long, tie], ALERT, T0) == tie  # the same end: by id
    assert silencing([short], ALERT, T0 + 10) is None
    assert silencing([], ALERT, T0) is None


def test_mark_sets_silenced_by_on_firing_alerts_only() -> None:
    held = s("held", Matcher("service", "=", "payment-service"))
    resolved = {**ALERT, "state": "resolved"}
    marked = mark([ALERT, resolved], [held], T0)
    assert [m["silenced_by"] for m in marked] == [held.summary(), None]
    assert marked[0]["silenced_by"]["id"] == "held"
    assert "silenced_by" not in ALERT  # the input is left alone


def test_the_index_agrees_with_checking_every_matcher_of_every_silence() -> None:
    """ActiveSilences (equality index, one RE2 set per field) against the definition: all matchers match."""
    rnd = random.Random(24)
    values = {
        "rule": ["error_rate", "high_volume", "service_down"],
        "service": ["payment", "payment-service", "search", "", "Pay"],
        "severity": ["CRITICAL", "warning", "Critical"],
        "labels.team": ["core", "", "edge"],
    }
    patterns = ["pay.*", ".*-service", "error_.*|high_volume", "crit.*", "(core|edge)", "[a-z]+", "x*y"]
    held = 0
    for _ in range(50):
        silences = []
        for i in range(rnd.randint(0, 30)):
            matchers = []
            for _ in range(rnd.randint(1, 3)):
                name = rnd.choice(list(values))
                op = rnd.choice(["=", "=~"])
                value = rnd.choice(values[name]) if op == "=" else rnd.choice(patterns)
                matchers.append(Matcher(name, op, value))  # type: ignore[arg-type]
            starts = T0 + rnd.choice([-10, 0, 1])
            silences.append(s(f"s{i}", *matchers, starts=starts, ends=T0 + rnd.choice([0, 1, 500, 1000])))
        active = ActiveSilences(silences, T0)
        for _ in range(20):
            alert = {name: rnd.choice(options) for name, options in values.items() if not name.startswith("labels.")}
            if rnd.random() < 0.5:
                alert["labels"] = {"team": rnd.choice(values["labels.team"])}
            covering = [x for x in silences if x.state(T0) == "active" and all(m.matches(alert) for m in x.matchers)]
            expected = max(covering, key=lambda x: (x.ends_at_ms, x.id)) if covering else None
            assert active.covering(alert) == expected, (alert, silences)
            held += expected is not None
    assert 100 < held < 900  # of 1000 alerts: both answers are exercised
