"""The cap on distinct services (ingest.max_services), kept per worker process against the store's list."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import KW_ONLY, dataclass, field

from .excerpt import excerpt


@dataclass(eq=False)  # one gate is one gate: compared by identity
class ServiceGate:
    """Caps the number of distinct services (ingest.max_services): a new service past the cap is refused.

    The known names come from the store (every service ever stored) and grow as entries are admitted. When a
    name not seen by this process arrives, the set is reloaded from the store at most once per `refresh_seconds`,
    so several worker processes sharing a store overshoot the cap by at most what they admit within that time.
    The first load waits for the first entry, so that a store that cannot be read at startup (a full disk) does not
    stop the server from starting: that entry gets the store's error (503) instead.
    """

    load: Callable[[], Iterable[str]]  # every service the store holds
    max_services: int
    _: KW_ONLY
    refresh_seconds: float = 1.0
    clock: Callable[[], float] = time.monotonic
    known: set[str] = field(default_factory=set, init=False)
    _loaded_at: float | None = field(default=None, init=False)  # never loaded yet
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def admit(self, service: str) -> bool:
        """True if `service` is tracked or may be added (and adds it); False past the cap."""
        with self._lock:
            if self._loaded_at is None:
                self.known |= set(self.load())
                self._loaded_at = self.clock()
            if service in self.known:
                return True
            now = self.clock()
            if now - self._loaded_at >= self.refresh_seconds:
                self.known |= set(self.load())
                self._loaded_at = now
                if service in self.known:
                    return True
            if len(self.known) >= self.max_services:
                return False
            self.known.add(service)
            return True

    def refusal(self, service: str) -> str:
        return (
            f"service {excerpt(service)} is new and ingest.max_services ({self.max_services}) services are"
            " already tracked"
        )
