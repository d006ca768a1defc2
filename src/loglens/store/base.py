"""The store Protocols: what every backend (SQLite, ClickHouse) must provide, split by the callers that use it.

Writes block until committed, so a caller that got back from `write` may acknowledge the entries.
Analytics reads come from per-minute rollups kept in the same transaction as the entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from ..alerts.silences import Silence
from ..auth.keys import KeyStore
from ..model import Entry, StatsDelta, iso_from_ms
from ..search.query import Node
from ..search.saved import SavedSearchHolder
from ..search.stats import AggregateRequest

AlertState = Literal["firing", "resolved"]


ID_LIMIT = 1 << 63  # entry and alert ids are signed 64-bit integers in both backends: every id is below this


class StoreError(RuntimeError):
    """The store cannot be opened or used (bad path, newer schema, ...). The API answers 503."""

    retry_after: int | None = None  # seconds a client should wait before retrying (Retry-After); None: no advice

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        if retry_after is not None:
            self.retry_after = retry_after


class StoreBusy(StoreError):
    """The writer's queue is full; the caller should answer 503 and ask the client to retry."""

    retry_after = 1


class QueryTimeout(StoreError):
    """A read ran past search.query_timeout_seconds and the database stopped it. The query's fault, not the
    store's: /health is unaffected, and the API answers 503 (no Retry-After: the same query would time out again)
    with a message saying to narrow the time range or the query."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the query ran past {seconds:g} s (search.query_timeout_seconds) and was stopped; narrow the time"
            " range or the query"
        )
        self.seconds = seconds


class StoreFailing(StoreError):
    """The store itself is failing, not one request: every write fails until the cause goes away (or forever).

    /health reports the store as failing while the last write failed this way.
    """

    retry_after: int | None = 5


class StoreFull(StoreFailing):
    """The disk holding the store is full: nothing of the failed write was stored; retry once space is freed."""

    retry_after = 10


class StoreCorrupt(StoreFailing):
    """The store's file is damaged (SQLITE_CORRUPT / NOTADB): restore it from a backup or move it aside."""

    retry_after = None


@dataclass(frozen=True, slots=True)
class StoreHealth:
    error: str | None  # why the store is failing; None when its last write (or probe) succeeded
    failing_since_ms: int | None
    pending_entries: int  # entries waiting for the writer
    size_bytes: int  # on disk (files of the store), 0 in memory

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class Totals:
    total_logs: int  # entries ever accepted
    total_errors: int  # of which ERROR or CRITICAL
    stored: int  # entries stored now (after eviction and retention)


@dataclass(frozen=True, slots=True)
class MinuteCount:
    minute: int  # epoch minute (UTC)
    total: int
    errors: int


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    service: str
    first_seen_ms: int  # arrival time of its first entry
    last_seen_ms: int  # arrival time of its latest entry
    log_count: int
    error_count: int


@dataclass(frozen=True, slots=True)
class NewAlert:
    rule: str
    service: str
    severity: str
    message: str
    value: float
    threshold: float
    group: str = ""  # a query rule's group (`service=payment-service`), "" for the built-in rules
    labels: dict[str, str] = field(default_factory=dict)  # a query rule's labels
    notify: tuple[str, ...] = ()  # a query rule's handler names (none: every handler); not stored in the row


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    rule: str
    service: str
    severity: str
    message: str
    value: float
    threshold: float
    state: AlertState
    fired_at_ms: int
    resolved_at_ms: int | None
    acked_at_ms: int | None = None  # acknowledged: listed, dimmed, notifies no one again until it resolves
    resolved_reason: str | None = None  # why it resolved, when not because its condition cleared
    group: str = ""  # a query rule's group (`service=payment-service`), "" for the built-in rules
    labels: dict[str, str] = field(default_factory=dict)  # a query rule's labels

    @property
    def acknowledged(self) -> bool:
        return self.acked_at_ms is not None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["fired_at_ms"], out["resolved_at_ms"], out["acked_at_ms"]
        out["fired_at"] = iso_from_ms(self.fired_at_ms)
        out["timestamp"] = out["fired_at"]  # the original spec's name for when the alert fired
        out["resolved_at"] = iso_from_ms(self.resolved_at_ms) if self.resolved_at_ms is not None else None
        out["acknowledged_at"] = iso_from_ms(self.acked_at_ms) if self.acked_at_ms is not None else None
        return out


@dataclass(frozen=True, slots=True)
class SearchPage:
    logs: list[dict[str, Any]]  # newest first by event time, ties by id
    next: tuple[int, int] | None  # keyset cursor (ts_ms, id) of the last entry when more match, else None


class EntryWriter(Protocol):
    """Ingest's view of the store."""

    def write(self, entries: Sequence[Entry], delta: StatsDelta, *, nbytes: int = 0) -> None:
        """Store entries, rollups and the stats delta; returns once durably acknowledged (then the caller may 2xx).
        Raises StoreBusy when too much is waiting, StoreError when the store fails."""
        ...

    async def write_async(self, entries: Sequence[Entry], delta: StatsDelta, *, nbytes: int = 0) -> None:
        """`write` for a coroutine on an event loop (the RSGI fast path): the loop serves others meanwhile."""
        ...


class ServiceCounts(Protocol):
    """What the alert rules read: per-service counts over a window, and the known services."""

    def service_window(self, first: int, last: int) -> dict[str, tuple[int, int]]:
        """Per service (total, errors) over epoch minutes first..last inclusive."""
        ...

    def services(self) -> list[ServiceInfo]: ...


class AggregateReader(ServiceCounts, Protocol):
    """What the dashboard and the API read: aggregates kept with the entries."""

    def totals(self) -> Totals: ...
    def validation_stats(self) -> dict[str, Any]: ...
    def minute_counts(self, first: int, last: int, service: str | None = None) -> list[MinuteCount]: ...
    def top_users(self, first: int, last: int, limit: int, service: str | None = None) -> list[tuple[str, int]]: ...
    def top_services(self, first: int, last: int, limit: int) -> list[tuple[str, int]]: ...
    def recent_logs(self, limit: int, service: str | None = None) -> list[dict[str, Any]]: ...
    def minute_range(self) -> tuple[int, int] | None: ...


class LogSearch(Protocol):
    """Search, the live tail and the Explore page (the query AST is compiled by each backend)."""

    def search(
        self,
        query: Node,
        *,
        from_ms: int | None = None,
        to_ms: int | None = None,
        limit: int = 100,
        after: tuple[int, int] | None = None,
    ) -> SearchPage:
        """Entries matching `query` with from_ms <= event time < to_ms, newest first, after the keyset cursor."""
        ...

    def refresh(self) -> None:
        """Make every committed entry searchable through the index now (an indexer does it soon on its own)."""
        ...

    def get_log(self, log_id: int) -> dict[str, Any] | None: ...
    def last_id(self) -> int:
        """The id of the newest committed entry (ids grow in commit order); 0 when empty."""
        ...

    def tail(self, query: Node, after_id: int, upto_id: int, limit: int) -> list[dict[str, Any]]:
        """Entries matching `query` with after_id < id <= upto_id, in commit order."""
        ...

    def fields(self, sample_values: int) -> dict[str, list[str]]: ...

    def aggregate(self, request: AggregateRequest) -> list[Any]:
        """Grouped aggregates of the matching entries, one row per group (search/stats.py says what a row holds)."""
        ...


class AlertLog(Protocol):
    """Alert rows as the API and the dashboard list them."""

    def alert(self, alert_id: int) -> Alert | None: ...
    def alerts(self, state: str = "all", limit: int = 100) -> list[Alert]: ...
    def alert_counts(self) -> dict[tuple[str, str], int]:
        """Alerts stored, by (rule, state)."""
        ...


class AlertStore(AlertLog, Protocol):
    """Alert state as rows: the alert engine's transitions and the API's acknowledgements, besides the lists."""

    def fire_alert(self, alert: NewAlert, now_ms: int, cooldown_ms: int, *, notify: Sequence[str] = ()) -> Alert | None:
        """Store a firing alert unless one is firing, or one fired within the cooldown, for its rule+service;
        with it, one outbox row per notifier named in `notify` (NotificationStore)."""
        ...

    def resolve_alert(
        self, alert_id: int, now_ms: int, reason: str | None = None, *, notify: Sequence[str] = ()
    ) -> Alert | None:
        """Mark a firing alert resolved, with an outbox row per notifier in `notify`; None if it was not firing
        (someone else resolved it)."""
        ...

    def ack_alert(self, alert_id: int, now_ms: int) -> Alert | None:
        """Acknowledge a firing alert (again: no change); None if no alert has that id or it is not firing."""
        ...


# -- query alert rules stored through the API (issue 24) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredRule:
    name: str
    body: dict[str, Any]  # the rule as the API takes it (alerts/rule_spec.py checks it)
    updated_ms: int


class AlertRuleStore(Protocol):
    """Alert rules made through the API, kept in the store so that every node and restart sees them."""

    def alert_rules(self) -> list[StoredRule]:
        """Every stored rule, by name."""
        ...

    def save_alert_rule(self, name: str, body: dict[str, Any], now_ms: int) -> None:
        """Create or replace the rule `name`."""
        ...

    def delete_alert_rule(self, name: str, now_ms: int) -> bool:
        """Delete the rule `name`; False if there was none."""
        ...


class KeyHolder(Protocol):
    """The access gate's view of the store: API keys and auth secrets."""

    @property
    def keys(self) -> KeyStore:
        """API keys and auth secrets."""
        ...


class Leadership(Protocol):
    def is_leader(self) -> bool:
        """Whether this process should run the single-node jobs (alert evaluation, retention) now. An embedded
        store is always its own leader; a shared one elects one node through a lease."""
        ...


class Maintenance(Leadership, Protocol):
    """The periodic jobs (jobs.py): retention and upkeep, run by the elected node."""

    def apply_retention(self, cutoff_ms: int) -> int:
        """Delete entries and rollups older than `cutoff_ms` and enforce max_logs; returns entries deleted.
        Backends may work in coarser units (ClickHouse drops whole days: everything before the cutoff's day)."""
        ...

    def maintain(self) -> None:
        """Periodic upkeep of derived data (the SQLite store compacts its user rollups)."""
        ...


class ServiceRetirement(Protocol):
    """The alert engine retires services silent for too long."""

    def forget_service(self, service: str, silent_since_ms: int) -> bool:
        """Retire a service last seen before `silent_since_ms` (it leaves services()); False if it has sent since."""
        ...


class Lifecycle(Protocol):
    """The store's health and its end: the app's /health and shutdown."""

    def health(self, *, probe: bool = True) -> StoreHealth:
        """Whether the store can take writes. While it is failing, `probe` tries a small write (rate-limited)
        so that it recovers by itself once the cause (a full disk) goes away."""
        ...

    def close(self) -> None: ...


# -- saved searches and match counts (issue 23) ------------------------------------------------------------------


class MatchCounter(Protocol):
    def count_matches(self, query: Node, from_ms: int | None, to_ms: int | None, most: int, seconds: float) -> int:
        """How many entries match (as `search` finds them), counting no further than most + 1 (a count above
        `most` means "more than most") and for at most about `seconds` (QueryTimeout past them; ClickHouse counts
        whole seconds, so at least one)."""
        ...


# -- silences and alert history (issue 24) ---------------------------------------------------------------------

SILENCE_LIST_STATES = ("active", "pending", "expired", "all")


class SilenceBook(Protocol):
    """Silences as rows: created, listed, expired early (kept: an expired silence is history)."""

    def add(self, silence: Silence) -> None: ...
    def get(self, silence_id: str) -> Silence | None: ...
    def find(self, state: str, now_ms: int, limit: int) -> list[Silence]:
        """Silences in `state` (active, pending, expired, or all) at `now_ms`, newest created first."""
        ...

    def expire(self, silence_id: str, now_ms: int, by: str) -> Silence | None:
        """End a silence at `now_ms` (one not yet started ends before it starts); one already over is returned as
        it is. None: no silence has that id."""
        ...


@dataclass(frozen=True, slots=True)
class AlertQuery:
    """Which alerts a history read returns: every filter given must hold. Newest first (by id, which grows as
    alerts fire), at most `limit`, after the cursor `before_id` (ids below it)."""

    state: str = "all"  # firing, resolved or all
    rule: str | None = None
    service: str | None = None
    group: str | None = None  # a query rule's group (`service=payment-service`); "" for the built-in rules
    severity: str | None = None  # without regard to case
    from_ms: int | None = None  # firing at some moment of [from_ms, to_ms): fired before to_ms, and not resolved
    to_ms: int | None = None  # before from_ms
    before_id: int | None = None
    limit: int = 100


class AlertHistory(Protocol):
    def alert_history(self, query: AlertQuery) -> list[Alert]: ...


class SilenceHolder(Protocol):
    @property
    def silence_book(self) -> SilenceBook:
        """Silences (alerts/silences.py)."""
        ...


class AlertingReader(AggregateReader, AlertLog, Protocol):
    """The dashboard: aggregates plus the alert lists."""


# -- the notification outbox (issue 24): one row per (alert transition, notifier) -------------------------------

NotificationStatus = Literal["pending", "delivering", "delivered", "failed", "held", "dropped"]
NotificationEvent = Literal["firing", "resolved", "repeat"]
FINISHED: tuple[NotificationStatus, ...] = ("delivered", "failed", "dropped")


def notification_id(alert_id: int, event: str, notifier: str) -> str:
    """The stable id of an alert transition's notification to one notifier: the same on every node and retry."""
    return f"{alert_id}-{event}-{notifier}"


@dataclass(frozen=True, slots=True)
class Notification:
    id: str  # stable: receivers drop a repeat by it (X-LogLens-Notification-Id)
    alert_id: int
    notifier: str
    event: NotificationEvent
    payload: dict[str, Any]  # the alert as GET /api/alerts shows it, at the transition
    status: NotificationStatus
    attempts: int
    next_at_ms: int  # when it is due (pending), or re-checked (held)
    last_error: str | None  # the reason of the last failure, or why it was dropped
    created_ms: int
    finished_ms: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "notifier": self.notifier,
            "event": self.event,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": iso_from_ms(self.next_at_ms) if self.status in ("pending", "held") else None,
            "last_error": self.last_error,
            "created_at": iso_from_ms(self.created_ms),
            "finished_at": iso_from_ms(self.finished_ms) if self.finished_ms is not None else None,
        }


class NotificationStore(Protocol):
    """The outbox the delivery loop (alerts/delivery.py) works through. Rows are claimed with a lease: a row whose
    claimer died is claimed again once the lease ends; an outcome is recorded only by the claimer still holding it."""

    def claim_notifications(
        self, notifier: str, owner: str, now_ms: int, lease_ms: int, limit: int
    ) -> list[Notification]:
        """Due rows of `notifier` (pending or held and due, or delivering with an ended lease), oldest first, none
        with an unfinished older row of the same alert and notifier; marked delivering by `owner` until
        now + lease_ms. Each comes back with `attempts` counting this one and `status` as it was before the claim
        (held: its silence is to be looked at again)."""
        ...

    def finish_notification(
        self, notification_id: str, owner: str, status: NotificationStatus, now_ms: int, reason: str | None
    ) -> bool:
        """Record delivered / failed / dropped; False when `owner` no longer holds the row."""
        ...

    def retry_notification(self, notification_id: str, owner: str, next_at_ms: int, reason: str) -> bool:
        """Back to pending, due at next_at_ms, with the failure's reason; False when `owner` no longer holds it."""
        ...

    def hold_notification(self, notification_id: str, owner: str, next_at_ms: int) -> bool:
        """Held (its alert is silenced), re-checked from next_at_ms; False when `owner` no longer holds it."""
        ...

    def queue_repeats(self, notifier: str, now_ms: int, every_ms: int) -> int:
        """Queue the `repeat` row of each firing alert whose newest row for `notifier` is older than every_ms and
        finished: one row per alert and notifier, pending again (as new) for each repeat."""
        ...

    def renotify(self, alert: Alert, notifiers: Sequence[str], now_ms: int, event: str = "repeat") -> int:
        """Tell `notifiers` about `alert` again (a rule's repeat): its `repeat` row queued anew for each whose last
        repeat is finished; `event` "resolved" or "firing": that transition's row, when it was never queued (a
        flapping rule that settles); returns how many were queued."""
        ...

    def notifications(self, alert_id: int) -> list[Notification]:
        """An alert's notifications, oldest first."""
        ...

    def notification(self, notification_id: str) -> Notification | None: ...

    def notification_counts(self) -> dict[tuple[str, str], int]:
        """Notifications by (notifier, status)."""
        ...


# -- facets: the most frequent values of several fields, counted in one read (api/stats.py's /api/facets) --------


@dataclass(frozen=True, slots=True)
class Facet:
    field: str  # service, level, user_id or metadata.KEY
    values: list[tuple[str, int]]  # the most frequent values (as text) with their counts, biggest first, ties by value
    distinct: int  # distinct values among the matching entries; entries without one count as one more


class FacetCounter(Protocol):
    def facet_counts(self, query: Node, from_ms: int, to_ms: int, fields: Sequence[str], limit: int) -> list[Facet]:
        """Per field of `fields` (in order), its `limit` most frequent values among the entries matching `query`
        with from_ms <= event time < to_ms, and its number of distinct values: every field in one read, exact."""
        ...


@runtime_checkable
class Store(
    EntryWriter,
    AggregateReader,
    LogSearch,
    AlertStore,
    KeyHolder,
    Maintenance,
    ServiceRetirement,
    Lifecycle,
    NotificationStore,
    AlertRuleStore,
    SavedSearchHolder,
    MatchCounter,
    AlertHistory,
    SilenceHolder,
    FacetCounter,
    Protocol,
):
    """Everything a backend provides; callers take the smallest Protocol above that covers what they use."""
