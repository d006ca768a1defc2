"""decode ─► validate ─► one durable write ─► on-ingest alert checks. Every ingest path goes through here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .model import Entry, StatsDelta
from .store import EntryWriter, StoreError
from .validation import Problem, Validator

if TYPE_CHECKING:
    from .alerts.engine import IngestChecks


@dataclass
class IngestResult:
    accepted: int = 0
    rejected: list[tuple[int, list[Problem]]] = field(default_factory=list)
    services: set[str] = field(default_factory=set)


class IngestCounts(Protocol):
    """What the pipeline counts (metrics.Metrics): entries accepted and rejected, and those a store error kept out."""

    def observe_ingest(self, endpoint: str, result: IngestResult) -> None: ...

    def observe_store_error(self, endpoint: str, entries: int, exc: StoreError) -> None: ...


@dataclass
class Pipeline:
    """The one way in for entries: each ingest path decodes its wire format and hands the items to `ingest`."""

    validator: Validator
    store: EntryWriter
    clock: Callable[[], float]
    checks: IngestChecks | None = None  # the on-ingest alert checks (none: nothing checked after a write)
    metrics: IngestCounts | None = None

    def ingest(
        self, items: Sequence[Any], *, nbytes: int = 0, sized: bool = False, endpoint: str = "other"
    ) -> IngestResult:
        """Validate `items` (decoded JSON values), store the valid ones durably, then trigger the alert checks.

        `sized`: each item's JSON size was already checked against ingest.max_entry_bytes (see Validator).

        Returns only after the write has committed, so the caller may acknowledge what it reports accepted.
        Raises StoreBusy when the writer is saturated, another StoreError when the store fails (nothing was
        stored then, stats included). `endpoint` labels the entries in the metrics.
        """
        entries, delta, result = self._validate(items, sized)
        if delta.total:
            try:
                self.store.write(entries, delta, nbytes=nbytes)
            except StoreError as exc:
                self._failed(endpoint, len(entries), exc)
                raise
        return self._accepted(endpoint, entries, result)

    async def ingest_async(
        self, items: Sequence[Any], *, nbytes: int = 0, sized: bool = False, endpoint: str = "other"
    ) -> IngestResult:
        """`ingest` for a coroutine on an event loop (the RSGI fast path): the same steps; the loop serves other
        requests while the write commits."""
        entries, delta, result = self._validate(items, sized)
        if delta.total:
            try:
                await self.store.write_async(entries, delta, nbytes=nbytes)
            except StoreError as exc:
                self._failed(endpoint, len(entries), exc)
                raise
        return self._accepted(endpoint, entries, result)

    def _validate(self, items: Sequence[Any], sized: bool) -> tuple[list[Entry], StatsDelta, IngestResult]:
        received_ms = int(self.clock() * 1000)
        delta = StatsDelta()
        result = IngestResult()
        entries, result.rejected = self.validator.check_many(items, received_ms, delta, sized=sized)
        return entries, delta, result

    def _failed(self, endpoint: str, entries: int, exc: StoreError) -> None:
        if self.metrics is not None:
            self.metrics.observe_store_error(endpoint, entries, exc)

    def _accepted(self, endpoint: str, entries: list[Entry], result: IngestResult) -> IngestResult:
        result.accepted = len(entries)
        if self.metrics is not None:
            self.metrics.observe_ingest(endpoint, result)
        result.services = {e.service for e in entries}
        if result.services and self.checks is not None:
            self.checks.notify(result.services)  # evaluated on the checks' own thread, never in the request
        return result
