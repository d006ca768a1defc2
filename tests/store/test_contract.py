"""The store contract: every backend must pass these (picked by the `backend` fixture parameter)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from loglens.model import Entry
from loglens.store import NewAlert, Store, StoreBusy
from loglens.validation import StatsDelta
from tests.support.entries import DAY, M0, T0, entry


def write(store: Store, entries: list[Entry]) -> None:
    store.write(entries, StatsDelta(valid=len(entries)))


def test_written_entries_count_in_totals(store: Store) -> None:
    write(store, [entry(), entry(level="ERROR"), entry(level="CRITICAL")])
    totals = store.totals()
    assert (totals.total_logs, totals.total_errors, totals.stored) == (3, 2, 3)


def test_minute_counts_come_from_rollups_per_minute(store: Store) -> None:
    write(store, [entry(0), entry(0, level="ERROR"), entry(2), entry(2, service="db", level="CRITICAL")])
    rows = store.minute_counts(M0, M0 + 5)
    assert [(r.minute - M0, r.total, r.errors) for r in rows] == [(0, 2, 1), (2, 2, 1)]
    only_db = store.minute_counts(M0, M0 + 5, service="db")
    assert [(r.minute - M0, r.total, r.errors) for r in only_db] == [(2, 1, 1)]
    assert store.minute_counts(M0 + 3, M0 + 5) == []


def test_service_window_sums_totals_and_errors(store: Store) -> None:
    write(store, [entry(0, level="ERROR"), entry(1), entry(5, level="ERROR"), entry(1, service="db")])
    assert store.service_window(M0, M0 + 1) == {"api": (2, 1), "db": (1, 0)}


def test_services_track_arrival_time_and_counts(store: Store) -> None:
    write(store, [entry(0, received=T0 + 10), entry(9, level="ERROR", received=T0 + 5)])
    write(store, [entry(1, received=T0 + 99)])
    [info] = store.services()
    assert (info.service, info.first_seen_ms, info.last_seen_ms) == ("api", T0 + 5, T0 + 99)
    assert (info.log_count, info.error_count) == (3, 1)


def test_top_users_and_services_rank_by_count(store: Store) -> None:
    write(
        store,
        [entry(0, user="u1"), entry(0, user="u2"), entry(1, user="u2"), entry(1, service="db", user="u3")]
        + [entry(1, service="db") for _ in range(3)],
    )
    assert store.top_users(M0, M0 + 1, 10) == [("u2", 2), ("u1", 1), ("u3", 1)]
    assert store.top_users(M0, M0 + 1, 10, service="db") == [("u3", 1)]
    assert store.top_users(M0, M0 + 1, 1) == [("u2", 2)]
    assert store.top_services(M0, M0 + 1, 10) == [("db", 4), ("api", 3)]


def test_recent_logs_newest_first_with_metadata_and_filter(store: Store) -> None:
    write(store, [entry(message="first", user="u1", metadata={"request_id": "r1", "nested": {"a": [1, 2]}})])
    write(store, [entry(message="second", service="db"), entry(message="third")])
    recent = store.recent_logs(10)
    assert [r["message"] for r in recent] == ["third", "second", "first"]
    assert recent[2]["metadata"] == {"request_id": "r1", "nested": {"a": [1, 2]}}
    assert recent[2]["user_id"] == "u1" and "user_id" not in recent[0]
    assert [r["message"] for r in store.recent_logs(10, service="db")] == ["second"]
    assert [r["message"] for r in store.recent_logs(1)] == ["third"]


def test_validation_stats_accumulate_error_types(store: Store) -> None:
    delta = StatsDelta(valid=2, invalid=3)
    delta.error_types.update({"required": 2, "enum": 1})
    store.write([entry(), entry()], delta)
    again = StatsDelta(invalid=1)
    again.error_types.update({"required": 1})
    store.write([], again)
    assert store.validation_stats() == {
        "total": 6,
        "valid": 2,
        "invalid": 4,
        "error_types": {"enum": 1, "required": 3},
    }


def test_oldest_entries_beyond_max_logs_are_evicted(make_store: Callable[..., Store]) -> None:
    """At most max_logs stay, the newest; a backend that evicts whole days may keep up to one day's fewer."""
    store = make_store(max_logs=5)
    for day in range(4):
        write(store, [entry(day * DAY, message=f"d{day}-a"), entry(day * DAY, message=f"d{day}-b")])
    store.apply_retention(0)  # where eviction is a maintenance job rather than part of the write
    totals = store.totals()
    assert totals.total_logs == 8
    assert 5 - 2 < totals.stored <= 5
    newest_first = ["d3-b", "d3-a", "d2-b", "d2-a", "d1-b", "d1-a", "d0-b", "d0-a"]
    assert [r["message"] for r in store.recent_logs(10)] == newest_first[: totals.stored]


def test_retention_deletes_entries_and_rollups_of_days_before_the_cutoff(store: Store) -> None:
    write(store, [entry(-2 * DAY), entry(-DAY + 10), entry(0), entry(5, user="u")])
    deleted = store.apply_retention(T0)  # midnight: every backend's unit (a row, a day) ends there
    assert deleted == 2
    assert store.totals().stored == 2 and store.totals().total_logs == 4
    assert [r.minute - M0 for r in store.minute_counts(M0 - 3 * DAY, M0 + 20)] == [0, 5]
    assert store.minute_range() == (M0, M0 + 5)
    assert store.top_users(M0 - 3 * DAY, M0 + 20, 10) == [("u", 1)]


def test_minute_range_spans_stored_rollups(store: Store) -> None:
    assert store.minute_range() is None
    write(store, [entry(3), entry(-2)])
    assert store.minute_range() == (M0 - 2, M0 + 3)


ALERT = NewAlert("error_rate", "api", "CRITICAL", "too many errors", 0.5, 0.1)


def test_alert_fires_once_while_firing(store: Store) -> None:
    first = store.fire_alert(ALERT, T0, cooldown_ms=0)
    assert first is not None and first.state == "firing" and first.fired_at_ms == T0
    assert store.fire_alert(ALERT, T0 + 1000, cooldown_ms=0) is None
    assert [a.id for a in store.alerts("firing")] == [first.id]


def test_alert_cooldown_blocks_refire_after_resolve(store: Store) -> None:
    fired = store.fire_alert(ALERT, T0, cooldown_ms=300_000)
    assert fired is not None
    resolved = store.resolve_alert(fired.id, T0 + 1000)
    assert resolved is not None and resolved.state == "resolved" and resolved.resolved_at_ms == T0 + 1000
    assert store.resolve_alert(fired.id, T0 + 2000) is None  # already resolved
    assert store.fire_alert(ALERT, T0 + 299_000, cooldown_ms=300_000) is None
    again = store.fire_alert(ALERT, T0 + 301_000, cooldown_ms=300_000)
    assert again is not None and again.id != fired.id
    other = store.fire_alert(NewAlert("high_volume", "api", "WARNING", "m", 200, 100), T0 + 1, 300_000)
    assert other is not None


def test_alerts_list_newest_first_by_state(store: Store) -> None:
    a = store.fire_alert(ALERT, T0, 0)
    b = store.fire_alert(NewAlert("service_down", "db", "CRITICAL", "silent", 3, 2), T0 + 1, 0)
    assert a is not None and b is not None
    store.resolve_alert(a.id, T0 + 2)
    assert [x.id for x in store.alerts("all")] == [b.id, a.id]
    assert [x.id for x in store.alerts("firing")] == [b.id]
    assert [x.id for x in store.alerts("resolved")] == [a.id]
    assert len(store.alerts("all", limit=1)) == 1
    as_dict = store.alerts("resolved")[0].to_dict()
    assert as_dict["state"] == "resolved" and as_dict["fired_at"].startswith("2026-01-01T00:00:00")
    assert as_dict["resolved_at"] is not None


def test_concurrent_writers_lose_nothing(store: Store) -> None:
    def worker(n: int) -> None:
        for i in range(25):
            write(store, [entry(i % 3, service=f"s{n}"), entry(i % 3, service=f"s{n}", level="ERROR")])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    totals = store.totals()
    assert (totals.total_logs, totals.total_errors, totals.stored) == (400, 200, 400)
    assert sum(r.total for r in store.minute_counts(M0, M0 + 3)) == 400
    assert {s.service: s.log_count for s in store.services()} == {f"s{n}": 50 for n in range(8)}


def test_write_refuses_when_pending_queue_is_full(make_store: Callable[..., Store]) -> None:
    store = make_store(max_pending_entries=10)
    gate = threading.Event()
    started = threading.Event()
    writer = store._writer  # type: ignore[attr-defined]

    def block(conn: object) -> None:
        started.set()
        gate.wait(10)

    blocker = threading.Thread(target=writer.submit, args=(block,), kwargs={"entries": 8})
    blocker.start()
    started.wait(5)
    try:
        with pytest.raises(StoreBusy) as info:
            write(store, [entry() for _ in range(5)])
        assert info.value.retry_after >= 1
    finally:
        gate.set()
        blocker.join()
    write(store, [entry() for _ in range(5)])
    assert store.totals().total_logs == 5


def test_top_users_over_long_ranges_use_whole_hours(store: Store) -> None:
    write(store, [entry(5, user="early"), entry(70, user="late"), entry(71, user="late"), entry(200, user="gone")])
    assert store.top_users(M0, M0 + 119, 10) == [("late", 2), ("early", 1)]
    assert store.top_users(M0 + 60, M0 + 179, 10, service="api") == [("late", 2)]


def test_fields_offer_metadata_keys_of_older_entries_not_only_the_latest(store: Store) -> None:
    # an old batch carries region; 3,000 later entries (more than the latest-entries sample) do not
    old = [entry(i % 60, metadata={"region": "eu", "ip_address": "10.0.0.1"}) for i in range(300)]
    new = [entry(2 * 1440 + i % 600, metadata={"request_id": f"r{i}"}) for i in range(3000)]
    for k in range(0, len(old), 1000):
        write(store, old[k : k + 1000])
    for k in range(0, len(new), 1000):
        write(store, new[k : k + 1000])
    found = store.fields(3)
    assert found["region"] == ["eu"] and found["ip_address"] == ["10.0.0.1"]
    assert len(found["request_id"]) == 3
