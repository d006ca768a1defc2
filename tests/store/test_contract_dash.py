"""Contract, every backend: what issues 8, 10 and 11 added to the store (acknowledged and explained alerts, alert
counts, retired services, API keys and auth secrets, health), and issue 22's ended dashboard sessions."""

from __future__ import annotations

from collections.abc import Callable

from loglens.auth.keys import new_key
from loglens.store import NewAlert, Store
from loglens.validation import StatsDelta
from tests.support.entries import T0, entry

RULE = NewAlert("error_rate", "api", "WARNING", "error rate 50% > 10%", 0.5, 0.1)


def test_ack_marks_a_firing_alert_once_and_refuses_a_resolved_one(store: Store) -> None:
    fired = store.fire_alert(RULE, T0, 0)
    assert fired is not None and not fired.acknowledged
    acked = store.ack_alert(fired.id, T0 + 5)
    assert acked is not None and acked.acked_at_ms == T0 + 5 and acked.state == "firing"
    again = store.ack_alert(fired.id, T0 + 9)
    assert again is not None and again.acked_at_ms == T0 + 5  # acknowledging again changes nothing
    assert store.alert(fired.id) == acked
    resolved = store.resolve_alert(fired.id, T0 + 20, "service retired")
    assert resolved is not None and resolved.resolved_reason == "service retired"
    assert resolved.acked_at_ms == T0 + 5 and resolved.resolved_at_ms == T0 + 20
    assert store.ack_alert(fired.id, T0 + 30) is None
    assert store.alert(fired.id) == resolved
    assert store.alerts("resolved")[0].resolved_reason == "service retired"
    assert store.alert(fired.id + 12345) is None and store.ack_alert(fired.id + 12345, T0) is None


def test_alert_counts_are_by_rule_and_current_state(store: Store) -> None:
    assert store.alert_counts() == {}
    first = store.fire_alert(RULE, T0, 0)
    assert first is not None
    store.fire_alert(NewAlert("high_volume", "api", "INFO", "many", 900.0, 500.0), T0, 0)
    store.resolve_alert(first.id, T0 + 1)
    store.fire_alert(RULE, T0 + 2, 0)
    assert store.alert_counts() == {
        ("error_rate", "resolved"): 1,
        ("error_rate", "firing"): 1,
        ("high_volume", "firing"): 1,
    }


def test_retired_service_leaves_the_list_until_it_sends_again(store: Store) -> None:
    store.write([entry(service="old", received=T0), entry(service="alive", received=T0 + 60_000)], StatsDelta(valid=2))
    assert not store.forget_service("alive", T0 + 60_000)  # it has sent since
    assert store.forget_service("old", T0 + 1)
    assert not store.forget_service("old", T0 + 1)  # already gone
    assert [s.service for s in store.services()] == ["alive"]
    store.write([entry(service="old", received=T0 + 120_000)], StatsDelta(valid=1))
    assert [s.service for s in store.services()] == ["alive", "old"]


def test_keys_are_kept_revoked_once_and_auth_secrets_are_stable(store: Store) -> None:
    _, first = new_key("read", "reader", T0)
    _, second = new_key("admin", "admin", T0 + 1)
    store.keys.add_key(first)
    store.keys.add_key(second)
    assert store.keys.get_key(first.id) == first
    assert [k.id for k in store.keys.list_keys()] == [first.id, second.id]
    assert store.keys.revoke_key(first.id, T0 + 5)
    assert not store.keys.revoke_key(first.id, T0 + 6)
    assert not store.keys.revoke_key("nosuchkey", T0 + 6)
    revoked = store.keys.get_key(first.id)
    assert revoked is not None and revoked.revoked_ms == T0 + 5 and not revoked.active
    assert store.keys.get_key("nosuchkey") is None
    secret = store.keys.auth_secret("session", "made-first")
    assert secret == "made-first" and store.keys.auth_secret("session", "made-later") == "made-first"


def test_keys_and_secrets_survive_a_reopen(make_store: Callable[..., Store], backend: str) -> None:
    store = make_store()
    _, key = new_key("ingest", "shipper", T0)
    store.keys.add_key(key)
    store.keys.auth_secret("session", "kept")
    store.close()
    again = make_store()
    if backend == "sqlite-memory":  # a new, empty store
        assert again.keys.get_key(key.id) is None and again.keys.auth_secret("session", "other") == "other"
    else:
        assert again.keys.get_key(key.id) == key and again.keys.auth_secret("session", "other") == "kept"


DAY_MS = 86_400_000


def test_ended_sessions_are_kept_until_long_expired_and_survive_a_reopen(
    make_store: Callable[..., Store], backend: str
) -> None:
    store = make_store()
    assert not store.keys.session_ended("s-old")
    store.keys.end_session("s-old", T0 + 1000, T0)
    store.keys.end_session("s-old", T0 + 1000, T0 + 1)  # ending it twice is harmless
    assert store.keys.session_ended("s-old") and not store.keys.session_ended("s-other")
    store.keys.end_session("s-new", T0 + 3 * DAY_MS, T0 + 2 * DAY_MS)
    store.close()
    store = make_store()
    if backend == "sqlite-memory":  # a new, empty store
        assert not store.keys.session_ended("s-new")
        return
    assert store.keys.session_ended("s-new")
    # a record of a session that expired days ago is dropped (it would be refused anyway); current ones are kept
    store.apply_retention(T0 + 3 * DAY_MS)
    assert not store.keys.session_ended("s-old") and store.keys.session_ended("s-new")


def test_a_working_store_is_healthy_with_nothing_waiting(store: Store) -> None:
    store.write([entry()], StatsDelta(valid=1))
    health = store.health()
    assert health.ok and health.error is None and health.failing_since_ms is None
    assert health.pending_entries == 0
    store.maintain()  # upkeep runs without error on every backend
    assert store.totals().stored == 1
