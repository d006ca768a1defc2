"""The cap on distinct services (ingest.max_services), kept per worker process against the store's list."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from .excerpt import excerpt


class ServiceGate:
    """Caps the number of distinct services (ingest.max_services): a new service past the cap is refused.

    The known names come from the store (every service ever stored) and grow as entries are admitted. When a
    name not seen by this process arrives, the set is reloaded from the store at most once per `refresh_seconds`,
    so several worker processes sharing a store overshoot the cap by at most what they admit within that time.
    The first load waits for the first entry, so that a store that cannot be read at startup (a full disk) does not
    stop the server from starting: that entry gets the store's error (503) instead.
    """

    def __init__(
        self,
        load: Callable[[], Iterable[str]],
        max_services: int,
        *,
        refresh_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self.max_services = max_services
        self._refresh = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self.known: set[str] = set()
        self._loaded_at: float | None = None  # never loaded yet

    def admit(self, service: str) -> bool:
        """True if `service` is tracked or may be added (and adds it); False past the cap."""
        with self._lock:
            if self._loaded_at is None:
                self.known |= set(self._load())
                self._loaded_at = self._clock()
            if service in self.known:
                return True
            now = self._clock()
            if now - self._loaded_at >= self._refresh:
                self.known |= set(self._load())
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
