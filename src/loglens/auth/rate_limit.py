"""Token buckets by name (an address, a key id), bounded in memory; each worker process keeps its own."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

MAX_TRACKED = 10_000  # names remembered at once; beyond it, the buckets that are full again are forgotten


class Buckets:
    """`capacity` tokens per name, refilled at `rate` per second (rate 0: no limit at all)."""

    def __init__(self, capacity: float, rate: float, clock: Callable[[], float]) -> None:
        self.capacity = capacity
        self.rate = rate
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, when counted)
        self._lock = threading.Lock()

    def _tokens(self, name: str, now: float) -> float:
        tokens, then = self._buckets.get(name, (self.capacity, now))
        return min(self.capacity, tokens + max(0.0, now - then) * self.rate)

    def wait(self, name: str) -> float:
        """Seconds until `name` has a token again (0: it has one now); takes nothing."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            tokens = self._tokens(name, self.clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def take(self, name: str) -> float:
        """Take a token: 0 when there was one, else the seconds until there will be (nothing taken)."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            tokens = self._tokens(name, now)
            if tokens < 1:
                return (1 - tokens) / self.rate
            if len(self._buckets) >= MAX_TRACKED and name not in self._buckets:
                self._forget_full(now)
            self._buckets[name] = (tokens - 1, now)
            return 0.0

    def _forget_full(self, now: float) -> None:
        full = [name for name in self._buckets if self._tokens(name, now) >= self.capacity]
        for name in full:
            del self._buckets[name]
        if len(self._buckets) >= MAX_TRACKED:  # still full of busy names: forget the oldest half
            oldest = sorted(self._buckets, key=lambda n: self._buckets[n][1])[: MAX_TRACKED // 2]
            for name in oldest:
                del self._buckets[name]


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
