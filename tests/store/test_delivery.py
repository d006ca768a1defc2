"""The delivery loop on every backend, against real receivers on loopback: retries with backoff, permanent
failures, one thread per notifier, the silence seam, leadership, and transitions that were never stored."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from loglens.alerts.delivery import Delivery, Policy
from loglens.alerts.notifiers.build import Channel
from loglens.alerts.notifiers.webhook import WebhookNotifier
from loglens.store import Alert, NewAlert, Notification, Store
from tests.support.receiver import Receiver
from tests.support.wait import wait_until

FAST = Policy(backoff_seconds=0.05, backoff_max_seconds=0.2, lease_seconds=30, poll_seconds=0.05, grace_seconds=0.5)
FINDING = NewAlert("error_rate", "pay", "CRITICAL", "Error rate for pay is 50%", 0.5, 0.1)


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(statuses: list[int] | None = None) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def deliveries() -> Iterator[Callable[..., Delivery]]:
    made: list[Delivery] = []

    def make(store: Store, channels: list[Channel], **kwargs: Any) -> Delivery:
        kwargs.setdefault("policy", FAST)
        made.append(Delivery(store, channels, **kwargs))
        return made[-1]

    yield make
    for d in made:
        d.close()


def fire(store: Store, notify: list[str], service: str = "pay") -> Alert:
    alert = store.fire_alert(NewAlert(**{**_fields(FINDING), "service": service}), now(), 0, notify=notify)
    assert alert is not None
    return alert


def _fields(a: NewAlert) -> dict[str, Any]:
    return {f: getattr(a, f) for f in ("rule", "service", "severity", "message", "value", "threshold")}


def now() -> int:
    return int(time.time() * 1000)


def row(store: Store, notification_id: str) -> Notification:
    found = store.notification(notification_id)
    assert found is not None
    return found


def finished(store: Store, notification_id: str, timeout: float = 15) -> Notification:
    return wait_until(
        lambda: (n := store.notification(notification_id)) is not None and n.finished_ms is not None and n,
        timeout,
        f"{notification_id} is finished",
    )


def test_a_receiver_answering_500_for_a_while_gets_the_notification_once_with_the_same_id(
    store: Store, receivers: Callable[..., Receiver], deliveries: Callable[..., Delivery]
) -> None:
    hook = receivers([500, 503, 500])
    deliveries(store, [Channel("hook", WebhookNotifier(hook.url))])
    alert = fire(store, ["hook"])
    done = finished(store, f"{alert.id}-firing-hook")
    assert (done.status, done.attempts) == ("delivered", 4)
    assert done.last_error is not None and "answered 500" in done.last_error  # the last failure's reason
    assert [r.status for r in hook.all()] == [500, 503, 500, 200]
    assert {r.notification_id for r in hook.all()} == {f"{alert.id}-firing-hook"}
    assert hook.accepted() == {f"{alert.id}-firing-hook": 1}
    assert hook.all()[-1].json == alert.to_dict()  # today's payload: the alert as GET /api/alerts shows it


def test_a_400_is_not_retried_and_is_recorded_failed_with_the_reason(
    store: Store, receivers: Callable[..., Receiver], deliveries: Callable[..., Delivery]
) -> None:
    hook = receivers([400])
    deliveries(store, [Channel("hook", WebhookNotifier(hook.url))])
    alert = fire(store, ["hook"])
    done = finished(store, f"{alert.id}-firing-hook")
    assert (done.status, done.attempts) == ("failed", 1)
    assert done.last_error == f"{hook.url} answered 400"
    assert len(hook.all()) == 1  # recorded failed: the loop is done with it


def test_retries_stop_after_the_max_time_and_say_why(
    store: Store, receivers: Callable[..., Receiver], deliveries: Callable[..., Delivery]
) -> None:
    hook = receivers([503] * 1000)
    policy = Policy(backoff_seconds=0.05, backoff_max_seconds=0.1, poll_seconds=0.05, max_seconds=1.5)
    deliveries(store, [Channel("hook", WebhookNotifier(hook.url))], policy=policy)
    alert = fire(store, ["hook"])
    done = finished(store, f"{alert.id}-firing-hook")
    assert done.status == "failed" and done.attempts >= 2  # retried, then given up
    assert done.finished_ms is not None and done.finished_ms - done.created_ms < 1500 + 1000  # stopped at the time
    assert done.last_error is not None and done.last_error.startswith(f"gave up after {done.attempts} attempt(s)")
    assert done.last_error.endswith("answered 503")
    assert len(hook.all()) == done.attempts


def test_a_hanging_receiver_does_not_delay_another_notifier(
    store: Store, receivers: Callable[..., Receiver], deliveries: Callable[..., Delivery]
) -> None:
    slow, quick = receivers(), receivers()
    slow.hang.set()
    channels = [
        Channel("slow", WebhookNotifier(slow.url, timeout_seconds=30)),
        Channel("quick", WebhookNotifier(quick.url)),
    ]
    deliveries(store, channels)
    first, second = fire(store, ["slow", "quick"], "a"), fire(store, ["slow", "quick"], "b")
    for alert in (first, second):
        assert finished(store, f"{alert.id}-firing-quick").status == "delivered"
    assert not slow.release.is_set() and slow.all() == []  # the slow one is still stuck on its first POST
    assert row(store, f"{first.id}-firing-slow").status == "delivering"
    slow.release.set()
    for alert in (first, second):
        assert finished(store, f"{alert.id}-firing-slow").status == "delivered"


def test_a_silenced_alert_is_held_and_delivered_when_the_silence_ends_while_it_still_fires(
    store: Store, receivers: Callable[..., Receiver], deliveries: Callable[..., Delivery]
) -> None:
    hook = receivers()
    muted: set[str] = {"pay"}
    deliveries(store, [Channel("hook", WebhookNotifier(hook.url))], silenced=lambda a: a["service"] in muted)
    alert = fire(store, ["hook"])
    nid = f"{alert.id}-firing-hook"
    wait_until(lambda: row(store, nid).status == "held", 10, "the notification is held")
    fire(store, ["hook"], "other")  # not silenced: delivered meanwhile
    wait_until(lambda: len(hook.all()) == 1, 10, "the other service's notification arrived")
    assert hook.all()[0].json["service"] == "other" and row(store, nid).status == "held"  # re-checked, still held
    muted.clear()
    assert finished(store, nid).status == "delivered"
    assert hook.accepted()[nid] == 1


def test_an_alert_that_resolved_while_silenced_drops_both_notifications_as_silenced(
    store: Store, receivers: Callable[..., Receiver], deliveries: Callable[..., Delivery]
) -> None:
    hook = receivers()
    muted: set[str] = {"pay"}
    deliveries(store, [Channel("hook", WebhookNotifier(hook.url))], silenced=lambda a: a["service"] in muted)
    alert = fire(store, ["hook"])
    wait_until(lambda: row(store, f"{alert.id}-firing-hook").status == "held", 10, "the firing one is held")
    assert store.resolve_alert(alert.id, now(), "resolved: fine", notify=["hook"]) is not None
    # the silence ends once the loop has looked at the held row after the resolve (a hold stamps next_at_ms with
    # the time its look began, plus the poll): had it ended while the loop still read the alert firing, the firing
    # news would rightly go out, then the resolved one
    resolved_ms = now()
    poll_ms = int(FAST.poll_seconds * 1000)
    looked = lambda: row(store, f"{alert.id}-firing-hook").next_at_ms >= resolved_ms + poll_ms  # noqa: E731
    wait_until(looked, 10, "the held firing row is looked at after the resolve")
    muted.clear()
    for event in ("firing", "resolved"):
        done = finished(store, f"{alert.id}-{event}-hook")
        assert (done.status, done.last_error) == ("dropped", "silenced")
    assert hook.all() == []  # both finished without a POST


def test_only_the_leader_delivers(store: Store, receivers: Callable[..., Receiver]) -> None:
    hook = receivers()
    leader = {"now": False}
    delivery = Delivery(
        store, [Channel("hook", WebhookNotifier(hook.url))], policy=FAST, is_leader=lambda: leader["now"], start=False
    )
    alert = fire(store, ["hook"])
    worker = delivery.workers["hook"]
    assert worker.run_once() == 0 and row(store, f"{alert.id}-firing-hook").status == "pending"
    leader["now"] = True
    assert worker.run_once() == 1 and row(store, f"{alert.id}-firing-hook").status == "delivered"
    assert hook.accepted() == {f"{alert.id}-firing-hook": 1}


def test_a_notification_whose_transition_was_never_stored_is_dropped_after_the_grace(
    store: Store, receivers: Callable[..., Receiver], deliveries: Callable[..., Delivery]
) -> None:
    hook = receivers()
    ghost = store.fire_alert(FINDING, now(), 0)  # stored, but its resolved transition will not be
    assert ghost is not None
    resolved = Alert(
        **{**{f: getattr(ghost, f) for f in ghost.__slots__}, "state": "resolved", "resolved_at_ms": now()}
    )
    queue_without_transition(store, resolved)
    deliveries(store, [Channel("hook", WebhookNotifier(hook.url))])
    done = finished(store, f"{ghost.id}-resolved-hook")
    assert (done.status, done.last_error) == ("dropped", "its alert transition was never stored")
    assert hook.all() == []


def queue_without_transition(store: Store, alert: Alert) -> None:
    """The outbox row of a transition whose own row never made it (ClickHouse: a crash between the two inserts)."""
    if hasattr(store, "_queue_notifications"):
        store._queue_notifications(alert, "resolved", ["hook"], now())
    else:
        from loglens.store.sqlite.notifications import queue

        store._writer.submit(lambda conn: queue(conn, alert, "resolved", ["hook"], now()))  # type: ignore[attr-defined]
