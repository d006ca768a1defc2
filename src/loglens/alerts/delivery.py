"""The delivery loop: works through the notification outbox (store.NotificationStore), one thread per notifier, so
that a slow or dead receiver delays only its own notifications, and never ingest.

Each pass of a notifier's thread claims its due rows with a lease (a row claimed by a process that died is claimed
again when the lease ends), then per row: waits for its alert transition to be visible (ClickHouse writes the
outbox first), holds it while `silenced(alert)` says so, delivers it, and records the outcome: delivered; failed
with the reason (a permanent error, or retries past `max_seconds`); or pending again after an exponential backoff
(connection errors, timeouts, 429, 5xx). A row recorded delivered is never claimed again; a process killed between
sending and recording sends it once more after the lease, with the same notification id for the receiver to drop.

Silences (the seam another module fills): a held row is looked at again on every pass. When the silence ends and
the alert still fires, it is delivered then; if the alert resolved while silenced, its firing and resolved rows are
both dropped with the reason "silenced".
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..config import AlertingSettings
from ..store import AlertLog, Notification, NotificationStore, StoreError
from .notifiers.base import DeliveryError, Resending
from .notifiers.build import Channel

log = logging.getLogger(__name__)

SILENCED = "silenced"
BUSY = ("pending", "delivering")
CLAIM_BATCH = 50


class DeliveryStore(NotificationStore, AlertLog, Protocol):
    """The outbox, and the alerts its rows are about."""


def never(alert: dict[str, Any]) -> bool:
    return False


@dataclass(frozen=True)
class Policy:
    """How rows are retried and leased: alerting.delivery_* (`of`); tests give shorter times."""

    max_seconds: float = AlertingSettings.delivery_max_seconds
    backoff_seconds: float = AlertingSettings.delivery_backoff_seconds
    backoff_max_seconds: float = AlertingSettings.delivery_backoff_max_seconds
    lease_seconds: float = AlertingSettings.delivery_lease_seconds
    poll_seconds: float = AlertingSettings.delivery_poll_seconds
    grace_seconds: float = AlertingSettings.delivery_grace_seconds

    @classmethod
    def of(cls, alerting: AlertingSettings) -> Policy:
        return cls(
            **{name: getattr(alerting, f"delivery_{name}") for name in (f.name for f in dataclasses.fields(cls))}
        )


class Delivery:
    def __init__(
        self,
        store: DeliveryStore,
        channels: Sequence[Channel],
        *,
        policy: Policy = Policy(),
        clock: Callable[[], float] = time.time,
        is_leader: Callable[[], bool] = lambda: True,
        silenced: Callable[[dict[str, Any]], bool] = never,
        start: bool = True,
    ) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self.is_leader = is_leader  # on a shared store, only the elected node delivers
        self.silenced = silenced
        self.owner = uuid.uuid4().hex  # this process's claims
        self.workers = {c.name: Worker(self, c) for c in channels}
        if start:
            self.start()

    @property
    def names(self) -> list[str]:
        """Every notifier's name: a rule without `notify` is delivered to all of them."""
        return list(self.workers)

    def start(self) -> None:
        for worker in self.workers.values():
            worker.start()

    def wake(self) -> None:
        """Look for due rows now (the engine just queued some)."""
        for worker in self.workers.values():
            worker.wake.set()

    def join(self, timeout: float = 10.0) -> bool:
        """Wait until no row of these notifiers is pending or being delivered (held rows wait for their
        silence); for tests and shutdown."""
        deadline = time.monotonic() + timeout
        while True:
            counts = self.store.notification_counts()
            busy = (n for (name, status), n in counts.items() if name in self.workers and status in BUSY)
            if not any(busy):
                return True
            if time.monotonic() >= deadline:
                return False
            self.wake()
            time.sleep(0.02)

    def close(self, timeout: float = 5.0) -> None:
        """Stop every notifier's thread after the row it is on (unfinished rows wait in the store)."""
        for worker in self.workers.values():
            worker.stop()
        deadline = time.monotonic() + timeout
        for worker in self.workers.values():
            worker.join(max(0.0, deadline - time.monotonic()))

    def now_ms(self) -> int:
        return int(self.clock() * 1000)


class Worker:
    """One notifier's thread: its passes over the outbox."""

    def __init__(self, delivery: Delivery, channel: Channel) -> None:
        self.delivery = delivery
        self.channel = channel
        self.wake = threading.Event()
        self._stopping = threading.Event()
        self._store_error: str | None = None  # the store's failure last logged (logged again when it changes)
        self._thread = threading.Thread(target=self._run, name=f"loglens-notify-{channel.name}", daemon=True)

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        poll = self.delivery.policy.poll_seconds
        while not self._stopping.is_set():
            self.wake.clear()  # before the pass: a wake during it means another pass at once
            try:
                while not self._stopping.is_set() and self.run_once() >= CLAIM_BATCH:
                    pass  # a full batch: more may be due
                self._store_error = None
            except StoreError as exc:  # the store failing (a full disk): said once, tried again each poll
                if str(exc) != self._store_error:
                    log.warning("notifier %s: deliveries wait for the store: %s", self.channel.name, exc)
                    self._store_error = str(exc)
            except Exception:  # anything else must not end deliveries for good either
                log.exception("notifier %s: a delivery pass failed", self.channel.name)
            self.wake.wait(poll)

    def run_once(self) -> int:
        """One pass: queue repeats that are due, claim due rows, handle each; returns the rows claimed."""
        d = self.delivery
        if not d.is_leader():
            return 0
        now = d.now_ms()
        notifier = self.channel.notifier
        if isinstance(notifier, Resending):
            d.store.queue_repeats(self.channel.name, now, int(notifier.resend_seconds * 1000))
        rows = d.store.claim_notifications(
            self.channel.name, d.owner, now, int(d.policy.lease_seconds * 1000), CLAIM_BATCH
        )
        for row in rows:
            self.handle(row)
        return len(rows)

    def handle(self, row: Notification) -> None:
        d = self.delivery
        store, now = d.store, d.now_ms()
        alert = store.alert(row.alert_id)
        if alert is None or (row.event == "resolved" and alert.state != "resolved"):
            # ClickHouse: the outbox row is written before its transition; wait for it, drop it after the grace
            if now - row.created_ms >= d.policy.grace_seconds * 1000:
                store.finish_notification(row.id, d.owner, "dropped", now, "its alert transition was never stored")
            else:
                store.retry_notification(row.id, d.owner, now + 1000, "waiting for its alert transition to be stored")
            return
        if row.event == "repeat" and alert.state != "firing":
            store.finish_notification(row.id, d.owner, "dropped", now, "the alert resolved before this repeat")
            return
        if d.silenced({**row.payload, "state": alert.state}):
            store.hold_notification(row.id, d.owner, now + int(d.policy.poll_seconds * 1000))
            return
        if self._silenced_away(row, alert.state):
            store.finish_notification(row.id, d.owner, "dropped", now, SILENCED)
            return
        self._deliver(row)

    def _silenced_away(self, row: Notification, state: str) -> bool:
        """A row whose silence ended but whose news is stale: the alert resolved while its firing row was held
        (then that row and the resolved one are both dropped)."""
        if row.event in ("firing", "repeat"):
            return row.status == "held" and state != "firing"
        for other in self.delivery.store.notifications(row.alert_id):
            if other.notifier == row.notifier and other.event == "firing":
                return other.status == "dropped" and other.last_error == SILENCED
        return False

    def _deliver(self, row: Notification) -> None:
        d, channel = self.delivery, self.channel
        try:
            channel.notifier.deliver(row)
        except DeliveryError as exc:
            permanent, reason = exc.permanent, str(exc)
        except Exception as exc:  # a notifier's bug: retried like a receiver's failure, and said
            permanent, reason = False, f"{type(exc).__name__}: {exc}"
        else:
            d.store.finish_notification(row.id, d.owner, "delivered", d.now_ms(), None)
            return
        now = d.now_ms()
        if permanent:
            log.warning("notifier %s: %s failed for good: %s", channel.name, row.id, reason)
            d.store.finish_notification(row.id, d.owner, "failed", now, reason)
            return
        backoff = channel.backoff_seconds if channel.backoff_seconds is not None else d.policy.backoff_seconds
        delay_ms = int(min(backoff * 2 ** (row.attempts - 1), d.policy.backoff_max_seconds) * 1000)
        out_of_time = now + delay_ms > row.created_ms + d.policy.max_seconds * 1000
        out_of_tries = channel.max_retries is not None and row.attempts > channel.max_retries
        if out_of_time or out_of_tries:
            spent = (now - row.created_ms) / 1000
            why = f"gave up after {row.attempts} attempt(s) in {spent:.1f} s: {reason}"
            log.warning("notifier %s: %s %s", channel.name, row.id, why)
            d.store.finish_notification(row.id, d.owner, "failed", now, why)
        else:
            d.store.retry_notification(row.id, d.owner, now + delay_ms, reason)
