"""Alert history reads (store.alert_history) on every backend, against a brute-force filter of every alert."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from loglens.store import Alert, AlertQuery, NewAlert, Store

RULES = ("error_rate", "high_volume", "service_down")
SERVICES = tuple(f"svc-{i}" for i in range(6))
T0 = 1_767_225_600_000
GROUPS = ("", "", "level=ERROR", "level=WARNING")  # built-in rules' alerts have none; a query rule's may
TIMES = (T0, T0 + 60_000, T0 + 120_000)  # few distinct times: many alerts share a fired_at and a resolved_at


def fill(store: Store, count: int, seed: int = 7) -> list[Alert]:
    """`count` alerts over rules x services, fired at a few equal times, most of them resolved (some at a time
    equal to another alert's firing); returns every alert as stored."""
    rnd = random.Random(seed)
    fired = 0
    while fired < count:
        rule, service, group = rnd.choice(RULES), rnd.choice(SERVICES), rnd.choice(GROUPS)
        severity = rnd.choice(("CRITICAL", "WARNING", "critical"))
        at = rnd.choice(TIMES)
        alert = store.fire_alert(NewAlert(rule, service, severity, f"m{fired}", 1.0, 0.5, group), at, 0)
        if alert is None:  # one is firing for this rule, service and group (resolve it, or leave it), or fired later
            firing = store.alerts("firing", 1000)
            current = [a for a in firing if (a.rule, a.service, a.group) == (rule, service, group)]
            if current and rnd.random() < 0.8:
                store.resolve_alert(current[0].id, max(current[0].fired_at_ms, rnd.choice(TIMES)))
            continue
        fired += 1
    every = store.alerts("all", 1000)
    assert len(every) == count
    return every


def brute(every: list[Alert], q: AlertQuery) -> list[Alert]:
    def keep(a: Alert) -> bool:
        return (
            (q.state == "all" or a.state == q.state)
            and q.rule in (None, a.rule)
            and q.service in (None, a.service)
            and q.group in (None, a.group)
            and (q.severity is None or a.severity.upper() == q.severity.upper())
            and (q.to_ms is None or a.fired_at_ms < q.to_ms)
            and (q.from_ms is None or a.resolved_at_ms is None or a.resolved_at_ms >= q.from_ms)
            and (q.before_id is None or a.id < q.before_id)
        )

    return sorted(filter(keep, every), key=lambda a: -a.id)[: q.limit]


QUERIES = [
    AlertQuery(),
    AlertQuery(state="firing", limit=1000),
    AlertQuery(state="resolved", limit=1000),
    AlertQuery(rule="error_rate", limit=1000),
    AlertQuery(service="svc-3", state="resolved", limit=1000),
    AlertQuery(severity="critical", limit=1000),
    AlertQuery(severity="WARNING", rule="service_down", limit=1000),
    AlertQuery(from_ms=TIMES[1], limit=1000),
    AlertQuery(to_ms=TIMES[1], limit=1000),
    AlertQuery(from_ms=TIMES[1], to_ms=TIMES[2], limit=1000),
    AlertQuery(from_ms=TIMES[2] + 1, to_ms=TIMES[2] + 2, state="resolved", limit=1000),
    AlertQuery(group="level=ERROR", limit=1000),
    AlertQuery(group="", rule="high_volume", state="firing", limit=1000),
    AlertQuery(rule="nope", limit=1000),
    AlertQuery(limit=5),
]


def test_history_filters_match_a_brute_force_filter_of_every_alert(store: Store) -> None:
    every = fill(store, 240)
    assert len({a.fired_at_ms for a in every}) <= len(TIMES)  # equal timestamps, as promised
    for query in QUERIES:
        assert store.alert_history(query) == brute(every, query), query
    assert any(store.alert_history(q) for q in QUERIES[1:5])  # the filters do select something


@pytest.mark.parametrize("page", [3, 50])
def test_history_pages_by_id_cursor_without_gaps_or_repeats(store: Store, page: int) -> None:
    every = fill(store, 120, seed=page)
    for base in (AlertQuery(), AlertQuery(state="resolved"), AlertQuery(from_ms=TIMES[1], severity="critical")):
        walked: list[Alert] = []
        before: int | None = None
        for _ in range(len(every) + 1):  # bounded: each page moves the cursor down by at least one id
            got = store.alert_history(replace(base, before_id=before, limit=page))
            walked += got
            if len(got) < page:
                break
            before = got[-1].id
        whole = replace(base, before_id=None, limit=1000)
        assert walked == brute(every, whole)
