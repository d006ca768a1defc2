"""Query alert rules on every backend: a rule's value is what brute force over the same entries gives (late
entries and equal timestamps included), its alerts are stored with their group and labels and resolve, and the
rules made through the API are kept."""

from __future__ import annotations

import random
from collections.abc import Callable

from loglens.alerts.query_engine import QueryRuleEngine
from loglens.alerts.rule_spec import rule_from_body
from loglens.config import AlertingSettings
from loglens.model import MINUTE_MS, Entry, StatsDelta
from loglens.store import Store
from tests.support.entries import T0
from tests.support.wait import wait_until

SERVICES = ("api", "payment-service", "worker")
NOW_MS = T0 + 30 * MINUTE_MS


def traffic() -> list[list[Entry]]:
    """Batches as they arrive: 30 minutes of entries, a burst sharing one millisecond, then late entries (event
    times inside the window, received minutes later) in a batch of their own."""
    rng = random.Random(24)
    batches: list[list[Entry]] = []
    for minute in range(30):
        batch = []
        for i in range(rng.randint(5, 25)):
            ts = T0 + minute * MINUTE_MS + rng.randint(0, MINUTE_MS - 1)
            level = rng.choice(("INFO", "INFO", "ERROR", "WARNING"))
            service = rng.choice(SERVICES)
            message = "card declined" if rng.random() < 0.3 else f"request {i} done"
            batch.append(Entry(ts, ts, f"t{minute}-{i}", level, service, message, None, {"ms": rng.randint(1, 900)}))
        batches.append(batch)
    same_ms = T0 + 27 * MINUTE_MS + 123
    batches.append(
        [Entry(same_ms, same_ms, "same", "ERROR", "api", "card declined", None, {"ms": 5}) for _ in range(7)]
    )
    late = NOW_MS - 2 * MINUTE_MS
    batches.append(
        [
            Entry(late + i, NOW_MS + 5 * MINUTE_MS, "late", "ERROR", "worker", "card declined", None, {"ms": 999})
            for i in range(4)
        ]
    )
    return batches


def stored(make_store: Callable[..., Store]) -> tuple[Store, list[Entry]]:
    store = make_store()
    everything: list[Entry] = []
    for batch in traffic():
        store.write(batch, StatsDelta())
        everything += batch
    store.refresh()
    return store, everything


def engine(store: Store, **settings: object) -> QueryRuleEngine:
    return QueryRuleEngine(store, [], AlertingSettings(**settings), clock=lambda: NOW_MS / 1000, max_buckets=60)  # type: ignore[arg-type]


def in_window(e: Entry, window_ms: int) -> bool:
    return NOW_MS - window_ms <= e.ts_ms < NOW_MS


def test_a_rules_value_per_group_is_the_brute_force_count(make_store: Callable[..., Store]) -> None:
    store, entries = stored(make_store)
    rule = rule_from_body(
        {"name": "declines", "query": '"card declined" | stats count() by service', "condition": "> 3", "window": "5m"}
    )
    values, fields, folded = engine(store).values(rule, NOW_MS)
    want: dict[str, float] = {}
    for e in entries:
        if in_window(e, 5 * MINUTE_MS) and "card declined" in e.message:
            want[f"service={e.service}"] = want.get(f"service={e.service}", 0) + 1
    assert values == want and folded == 0
    assert fields["service=worker"] == {"service": "worker"}
    assert want["service=api"] >= 7 and want["service=worker"] >= 4  # the equal timestamps and the late ones count


def test_an_ungrouped_numeric_rule_is_the_brute_force_maximum_and_no_matches_is_no_data(
    make_store: Callable[..., Store],
) -> None:
    store, entries = stored(make_store)
    rule = rule_from_body({"name": "slow", "query": "level:ERROR | stats max(metadata.ms)", "condition": "> 900"})
    values, _, _ = engine(store).values(rule, NOW_MS)
    want = max(float(e.metadata["ms"]) for e in entries if in_window(e, 5 * MINUTE_MS) and e.level == "ERROR")  # type: ignore[index]
    assert values == {"": want} and want == 999
    nothing = rule_from_body({"name": "n", "query": "service:nobody | stats max(metadata.ms)", "condition": "> 1"})
    assert engine(store).values(nothing, NOW_MS)[0] == {"": None}
    counted = rule_from_body({"name": "c", "query": "service:nobody", "condition": "< 1"})
    assert engine(store).values(counted, NOW_MS)[0] == {"": 0.0}


def test_groups_past_the_bound_are_reported_not_alerted_on(make_store: Callable[..., Store]) -> None:
    store, _ = stored(make_store)
    rule = rule_from_body({"name": "all", "query": "| stats count() by service", "condition": "> 0", "window": "30m"})
    eng = engine(store, max_groups_per_rule=2)
    values, _, folded = eng.values(rule, NOW_MS)
    assert len(values) == 2 and folded == 1
    fired = eng.evaluate(rule, NOW_MS)
    assert len(fired) == 2 and eng.status["all"].folded == 1


def test_fired_alerts_carry_group_service_and_labels_and_resolve_when_the_window_empties(
    make_store: Callable[..., Store],
) -> None:
    store, _ = stored(make_store)
    rule = rule_from_body(
        {
            "name": "declines",
            "query": '"card declined" | stats count() by service',
            "condition": "> 3",
            "window": "5m",
            "labels": {"team": "payments"},
            "severity": "critical",
        }
    )
    eng = engine(store)
    fired = eng.evaluate(rule, NOW_MS)
    assert fired and all(a.state == "firing" and a.severity == "CRITICAL" for a in fired)
    listed = {a.group: a for a in store.alerts("firing")}
    for alert in fired:
        again = listed[alert.group]
        assert again.service == alert.group.removeprefix("service=")
        assert again.labels == {"team": "payments"} and again.rule == "declines"
    assert eng.evaluate(rule, NOW_MS + MINUTE_MS) == []  # still firing: no new rows
    resolved = eng.evaluate(rule, NOW_MS + 60 * MINUTE_MS)  # nothing in that window: no data, resolves
    assert {a.group for a in resolved} == {a.group for a in fired}
    assert all(a.state == "resolved" and "no longer > 3" in (a.resolved_reason or "") for a in resolved)
    assert store.alerts("firing") == []


def test_a_new_engine_takes_the_stored_firing_alerts_as_firing(make_store: Callable[..., Store]) -> None:
    store, _ = stored(make_store)
    rule = rule_from_body(
        {"name": "declines", "query": '"card declined" | stats count() by service', "condition": "> 3"}
    )
    fired = engine(store).evaluate(rule, NOW_MS)
    assert fired
    restarted = engine(store)
    assert restarted.evaluate(rule, NOW_MS + 1000) == []  # no second fire for what is firing already
    assert {g for g, s in restarted.status["declines"].groups.items() if s["state"] == "firing"} == {
        a.group for a in fired
    }


def test_rules_saved_through_the_api_are_kept_replaced_and_deleted(make_store: Callable[..., Store]) -> None:
    store = make_store()
    body = {"name": "r1", "query": "level:ERROR", "condition": "> 1"}
    store.save_alert_rule("r1", body, T0)
    store.save_alert_rule("r2", {**body, "name": "r2"}, T0)
    store.save_alert_rule("r1", {**body, "condition": "> 9"}, T0)  # same millisecond: still the newer one
    rules = store.alert_rules()
    assert [(r.name, r.body["condition"]) for r in rules] == [("r1", "> 9"), ("r2", "> 1")]
    assert store.delete_alert_rule("r1", T0 + 1) and not store.delete_alert_rule("r1", T0 + 2)
    assert [r.name for r in store.alert_rules()] == ["r2"]
    store.save_alert_rule("r1", body, T0 + 3)  # made again after its deletion
    assert [r.name for r in store.alert_rules()] == ["r1", "r2"]


def test_only_the_elected_node_evaluates(backend: str, make_store: Callable[..., Store]) -> None:
    """Two nodes on one store: on ClickHouse only the lease holder evaluates (one alert, one notification); an
    embedded SQLite store is its own leader in every process."""
    first = make_store(lease_seconds=1) if backend.startswith("clickhouse") else make_store()
    for batch in traffic():
        first.write(batch, StatsDelta())
    first.refresh()
    wait_until(first.is_leader, 10, "the first node to hold the lease")
    if backend.startswith("clickhouse"):
        second = make_store(lease_seconds=1)
    else:  # a second process on the file; in memory, a second engine on the one store
        second = make_store() if backend == "sqlite-file" else first
    rule = rule_from_body({"name": "declines", "query": '"card declined"', "condition": "> 3", "every": "1s"})
    engines = [
        QueryRuleEngine(s, [rule], AlertingSettings(), clock=lambda: NOW_MS / 1000, max_buckets=60)
        for s in (first, second)
    ]
    if backend.startswith("clickhouse"):
        assert second.lease.wait_beats(2, 10)  # type: ignore[attr-defined]
        assert not second.is_leader()
        assert engines[1].tick() == [] and engines[1].status == {}
        fired = engines[0].tick()
        assert [a.rule for a in fired] == ["declines"]
    else:
        assert second.is_leader()
        fired = engines[1].tick()
        assert [a.rule for a in fired] == ["declines"] and engines[0].tick() == []  # firing already: adopted
    assert [a.rule for a in first.alerts("firing")] == ["declines"]
