"""The notification outbox on every backend: rows queued with the alert transition, claimed with a lease, retried,
held and finished; a row recorded delivered is never claimed again."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from loglens.store import NewAlert, Store, StoreError
from loglens.store.sqlite import SQLiteStore

T0 = 1_700_000_000_000
LEASE = 60_000
FINDING = NewAlert("error_rate", "pay", "CRITICAL", "Error rate for pay is 50%", 0.5, 0.1)


def test_fire_and_resolve_queue_one_row_per_named_notifier_with_stable_ids(store: Store) -> None:
    fired = store.fire_alert(FINDING, T0, 0, notify=["hook", "am"])
    assert fired is not None
    resolved = store.resolve_alert(fired.id, T0 + 1000, "resolved: back to 1%", notify=["hook"])
    assert resolved is not None
    rows = store.notifications(fired.id)
    assert [(n.id, n.notifier, n.event, n.status, n.attempts) for n in rows] == [
        (f"{fired.id}-firing-am", "am", "firing", "pending", 0),
        (f"{fired.id}-firing-hook", "hook", "firing", "pending", 0),
        (f"{fired.id}-resolved-hook", "hook", "resolved", "pending", 0),
    ]
    assert rows[0].payload == fired.to_dict() and rows[2].payload == resolved.to_dict()
    assert rows[2].payload["resolved_reason"] == "resolved: back to 1%"
    assert store.notification_counts() == {("am", "pending"): 1, ("hook", "pending"): 2}
    other = store.fire_alert(NewAlert("high_volume", "pay", "WARNING", "m", 1, 0), T0, 0)  # no notify: no rows
    assert other is not None and store.notifications(other.id) == []


def test_a_claim_holds_its_rows_until_the_lease_ends_and_only_its_owner_records_the_outcome(store: Store) -> None:
    fired = store.fire_alert(FINDING, T0, 0, notify=["hook"])
    assert fired is not None
    (claimed,) = store.claim_notifications("hook", "a", T0, LEASE, 10)
    assert (claimed.id, claimed.attempts, claimed.status) == (f"{fired.id}-firing-hook", 1, "pending")
    assert store.claim_notifications("hook", "b", T0 + LEASE - 1, LEASE, 10) == []  # held by a
    assert store.claim_notifications("am", "b", T0, LEASE, 10) == []  # another notifier's rows are its own
    (again,) = store.claim_notifications("hook", "b", T0 + LEASE, LEASE, 10)  # a died: b takes it over
    assert again.attempts == 2 and again.status == "delivering"
    assert not store.finish_notification(claimed.id, "a", "delivered", T0 + LEASE + 1, None)  # a lost it
    assert store.finish_notification(claimed.id, "b", "delivered", T0 + LEASE + 2, None)
    row = store.notification(claimed.id)
    assert row is not None and (row.status, row.finished_ms, row.attempts) == ("delivered", T0 + LEASE + 2, 2)
    assert store.claim_notifications("hook", "c", T0 + 10 * LEASE, LEASE, 10) == []  # delivered: never again


def test_retry_waits_for_its_time_and_keeps_the_reason(store: Store) -> None:
    fired = store.fire_alert(FINDING, T0, 0, notify=["hook"])
    assert fired is not None
    (row,) = store.claim_notifications("hook", "a", T0, LEASE, 10)
    assert store.retry_notification(row.id, "a", T0 + 5000, "http://x answered 503")
    assert store.claim_notifications("hook", "a", T0 + 4999, LEASE, 10) == []
    (again,) = store.claim_notifications("hook", "a", T0 + 5000, LEASE, 10)
    assert (again.attempts, again.last_error) == (2, "http://x answered 503")
    assert store.finish_notification(row.id, "a", "failed", T0 + 6000, "http://x answered 400")
    shown = store.notification(row.id)
    assert shown is not None and (shown.status, shown.last_error) == ("failed", "http://x answered 400")
    assert store.notification_counts() == {("hook", "failed"): 1}


def test_a_resolved_row_waits_for_the_firing_row_of_the_same_alert_and_notifier(store: Store) -> None:
    fired = store.fire_alert(FINDING, T0, 0, notify=["hook"])
    assert fired is not None and store.resolve_alert(fired.id, T0 + 1000, None, notify=["hook"]) is not None
    (first,) = store.claim_notifications("hook", "a", T0 + 2000, LEASE, 10)
    assert first.event == "firing"
    assert store.retry_notification(first.id, "a", T0 + 3000, "503")
    assert [n.event for n in store.claim_notifications("hook", "a", T0 + 2500, LEASE, 10)] == []
    (again,) = store.claim_notifications("hook", "a", T0 + 3000, LEASE, 10)
    assert again.event == "firing" and store.finish_notification(again.id, "a", "delivered", T0 + 3000, None)
    (second,) = store.claim_notifications("hook", "a", T0 + 3000, LEASE, 10)
    assert second.event == "resolved"


def test_a_held_row_is_claimed_again_when_due_and_says_it_was_held(store: Store) -> None:
    fired = store.fire_alert(FINDING, T0, 0, notify=["hook"])
    assert fired is not None
    (row,) = store.claim_notifications("hook", "a", T0, LEASE, 10)
    assert store.hold_notification(row.id, "a", T0 + 1000)
    held = store.notification(row.id)
    assert held is not None and (held.status, held.attempts) == ("held", 0)  # holding is not an attempt
    assert store.claim_notifications("hook", "a", T0 + 999, LEASE, 10) == []
    (again,) = store.claim_notifications("hook", "a", T0 + 1000, LEASE, 10)
    assert (again.status, again.attempts) == ("held", 1)  # the status before this claim


def test_repeats_are_queued_for_alerts_still_firing_once_per_interval(store: Store) -> None:
    fired = store.fire_alert(FINDING, T0, 0, notify=["am"])
    other = store.fire_alert(NewAlert("service_down", "db", "CRITICAL", "m", 3, 2), T0, 0, notify=["am"])
    assert fired is not None and other is not None
    assert store.resolve_alert(other.id, T0 + 1000, None, notify=["am"]) is not None
    for row in store.claim_notifications("am", "a", T0 + 1000, LEASE, 10):  # Alertmanager took them all
        assert store.finish_notification(row.id, "a", "delivered", T0 + 1000, None)
    assert store.claim_notifications("am", "a", T0 + 1000, LEASE, 10) != []  # the resolved one, after its firing one
    assert store.queue_repeats("am", T0 + 59_999, 60_000) == 0  # not due yet
    assert store.queue_repeats("am", T0 + 60_000, 60_000) == 1  # the firing one only
    assert store.queue_repeats("am", T0 + 60_001, 60_000) == 0  # the repeat just queued is the newest row now
    repeat = [n for n in store.notifications(fired.id) if n.event == "repeat"]
    assert [(n.id, n.status, n.created_ms, n.payload["state"]) for n in repeat] == [
        (f"{fired.id}-repeat-am", "pending", T0 + 60_000, "firing")
    ]
    (sent,) = store.claim_notifications("am", "a", T0 + 60_000, LEASE, 10)
    assert store.finish_notification(sent.id, "a", "delivered", T0 + 60_000, None)
    assert store.queue_repeats("am", T0 + 120_000, 60_000) == 1  # the next repeat: the same row, pending again
    rows = [n for n in store.notifications(fired.id) if n.event == "repeat"]
    assert [(n.id, n.status, n.attempts, n.created_ms, n.finished_ms) for n in rows] == [
        (f"{fired.id}-repeat-am", "pending", 0, T0 + 120_000, None)
    ]
    assert store.queue_repeats("hook", T0 + 10**7, 60_000) == 0  # never queued for that notifier: no repeats


def test_outbox_rows_survive_a_reopen(make_store: Callable[..., Store], backend: str) -> None:
    first = make_store()
    fired = first.fire_alert(FINDING, T0, 0, notify=["hook"])
    assert fired is not None
    first.close()
    rows = make_store().claim_notifications("hook", "a", T0, LEASE, 10)
    if backend == "sqlite-memory":  # a new, empty store
        assert rows == []
    else:
        assert [(r.id, r.payload) for r in rows] == [(f"{fired.id}-firing-hook", fired.to_dict())]


def test_no_repeat_is_queued_while_the_last_one_is_unfinished(store: Store) -> None:
    fired = store.fire_alert(FINDING, T0, 0, notify=["am"])
    assert fired is not None
    (row,) = store.claim_notifications("am", "a", T0, LEASE, 10)
    assert store.retry_notification(row.id, "a", T0 + 1000, "unreachable")  # Alertmanager is down
    assert store.queue_repeats("am", T0 + 60_000, 60_000) == 0  # the firing row is still being retried
    (again,) = store.claim_notifications("am", "a", T0 + 60_000, LEASE, 10)
    assert store.finish_notification(again.id, "a", "delivered", T0 + 60_000, None)
    assert store.queue_repeats("am", T0 + 60_000, 60_000) == 1


def test_a_node_whose_clock_ran_ahead_does_not_freeze_the_rows_it_claimed(
    make_store: Callable[..., Store], backend: str
) -> None:
    """ClickHouse versions a row's changes by the writer's clock: a leader whose clock was ahead must not leave
    versions its successor cannot pass (every backend runs the same steps)."""
    ahead = make_store()
    fired = ahead.fire_alert(FINDING, T0, 0, notify=["hook"])
    assert fired is not None
    if hasattr(ahead, "_outbox_version"):
        ahead._outbox_version = 10**18  # this node's clock is far ahead
    (row,) = ahead.claim_notifications("hook", "ahead", T0, LEASE, 10)  # then it dies holding the row
    successor = ahead if backend == "sqlite-memory" else make_store()  # a second node on the same store
    (again,) = successor.claim_notifications("hook", "next", T0 + LEASE, LEASE, 10)
    assert again.id == row.id and again.attempts == 2
    assert successor.finish_notification(row.id, "next", "delivered", T0 + LEASE, None)
    done = successor.notification(row.id)
    assert done is not None and done.status == "delivered"


@pytest.mark.sqlite_only
def test_sqlite_stores_an_alert_and_its_notifications_in_one_transaction_or_neither(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "store.db"))
    try:
        with sqlite3.connect(tmp_path / "store.db") as other:  # the outbox cannot take rows now
            other.execute("ALTER TABLE notifications RENAME TO notifications_away")
        with pytest.raises(StoreError):
            store.fire_alert(FINDING, T0, 0, notify=["hook"])
        assert store.alerts("all") == []  # the transition went with its notifications
        with sqlite3.connect(tmp_path / "store.db") as other:
            other.execute("ALTER TABLE notifications_away RENAME TO notifications")
        fired = store.fire_alert(FINDING, T0, 0, notify=["hook"])
        assert fired is not None and [n.event for n in store.notifications(fired.id)] == ["firing"]
    finally:
        store.close()


def test_renotify_queues_a_repeat_once_the_last_is_finished_and_a_missed_transition_once(store: Store) -> None:
    fired = store.fire_alert(FINDING, T0, 0, notify=["hook"])
    assert fired is not None
    assert store.renotify(fired, ["hook"], T0 + 1000) == 1  # a query rule's repeat
    assert store.renotify(fired, ["hook"], T0 + 2000) == 0  # the last repeat is not delivered yet: not again
    claimed = {n.event: n for n in store.claim_notifications("hook", "a", T0 + 3000, LEASE, 10)}
    assert set(claimed) == {"firing"}  # the repeat waits for the firing row of its alert
    assert store.finish_notification(claimed["firing"].id, "a", "delivered", T0 + 3000, None)
    (repeat,) = store.claim_notifications("hook", "a", T0 + 3000, LEASE, 10)
    assert (repeat.id, repeat.event) == (f"{fired.id}-repeat-hook", "repeat")
    assert store.finish_notification(repeat.id, "a", "delivered", T0 + 4000, None)
    assert store.renotify(fired, ["hook"], T0 + 5000) == 1  # delivered: the next repeat is the same row again
    again = store.notification(repeat.id)
    assert again is not None and (again.status, again.attempts) == ("pending", 0)
    # a flapping rule resolved without telling anyone, then settled: the resolved row is queued once
    resolved = store.resolve_alert(fired.id, T0 + 6000, None)
    assert resolved is not None and store.notification(f"{fired.id}-resolved-hook") is None
    assert store.renotify(resolved, ["hook"], T0 + 7000, "resolved") == 1
    assert store.renotify(resolved, ["hook"], T0 + 8000, "resolved") == 0
    row = store.notification(f"{fired.id}-resolved-hook")
    assert row is not None and row.payload["state"] == "resolved" and row.status == "pending"
