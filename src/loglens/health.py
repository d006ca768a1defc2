"""One definition of a service's health, used by the dashboard's service grid and by the alert rules.

"degraded" means exactly what fires the error-rate alert: at least `min_events` entries in the last
`window_minutes` (event time), with an error share above `error_rate_threshold`. "down" means no entry has
arrived for `down_minutes`; a service silent for `forget_hours` is retired (alerts/engine.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .config import AlertingSettings
from .model import MINUTE_MS

Status = Literal["healthy", "degraded", "down"]


@dataclass(frozen=True)
class HealthPolicy:
    error_rate_threshold: float
    min_events: int
    window_minutes: int
    down_minutes: float
    forget_hours: float

    @classmethod
    def from_settings(cls, alerting: AlertingSettings) -> HealthPolicy:
        return cls(
            error_rate_threshold=alerting.error_rate_threshold,
            min_events=alerting.min_events,
            window_minutes=alerting.window_minutes,
            down_minutes=alerting.service_down_minutes,
            forget_hours=alerting.service_forget_hours,
        )

    def window(self, now_ms: int) -> tuple[int, int]:
        """The epoch minutes (first, last) of the error-rate window ending now."""
        now_minute = now_ms // MINUTE_MS
        return now_minute - self.window_minutes + 1, now_minute

    def degraded(self, total: int, errors: int) -> bool:
        return total >= self.min_events and errors / total > self.error_rate_threshold

    def down(self, silent_ms: int) -> bool:
        return silent_ms > self.down_minutes * MINUTE_MS

    def forgotten(self, silent_ms: int) -> bool:
        return silent_ms > self.forget_hours * 60 * MINUTE_MS

    def status(self, total: int, errors: int, silent_ms: int) -> Status:
        if self.down(silent_ms):
            return "down"
        return "degraded" if self.degraded(total, errors) else "healthy"
