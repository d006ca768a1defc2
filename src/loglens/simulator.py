"""Realistic random log entries across five services, with weighted levels and optional error-rate override."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

SERVICES = ("auth-service", "api-gateway", "payment-service", "user-service", "notification-service")
LEVEL_WEIGHTS = {"DEBUG": 15, "INFO": 64, "WARNING": 15, "ERROR": 5, "CRITICAL": 1}
MESSAGES = {
    "DEBUG": ["Cache lookup for key {k}", "Entering handler {k}", "Config value resolved for {k}"],
    "INFO": ["Request completed", "User logged in", "Payment processed", "Email queued", "Session refreshed"],
    "WARNING": ["Slow response from upstream", "Retrying request", "Rate limit nearly reached"],
    "ERROR": ["Authentication failed", "Database timeout", "Upstream returned 502", "Payment declined"],
    "CRITICAL": ["Database connection pool exhausted", "Out of memory in worker", "Disk almost full"],
}


class Simulator:
    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.Random()

    def entry(
        self, now: float, spread_seconds: float, *, error_rate: float | None, service: str | None
    ) -> dict[str, Any]:
        rng = self.rng
        if error_rate is None:
            level = rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]
        elif rng.random() < error_rate:
            level = rng.choice(("ERROR", "ERROR", "ERROR", "CRITICAL"))
        else:
            level = rng.choice(("DEBUG", "INFO", "INFO", "INFO", "WARNING"))
        ts = datetime.fromtimestamp(now - rng.uniform(0, spread_seconds), tz=UTC)
        entry: dict[str, Any] = {
            "timestamp": ts.isoformat(timespec="milliseconds"),
            "level": level,
            "service": service or rng.choice(SERVICES),
            "message": rng.choice(MESSAGES[level]).format(k=rng.randint(1, 999)),
            "metadata": {
                "processing_time_ms": round(rng.lognormvariate(3.5, 0.8), 1),
                "request_id": f"req-{rng.randint(1000, 99999)}",
                "ip_address": f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            },
        }
        if rng.random() < 0.8:
            entry["user_id"] = f"user-{rng.randint(1, 25)}"
        return entry

    def batch(
        self,
        count: int,
        now: float,
        spread_seconds: float,
        *,
        error_rate: float | None = None,
        service: str | None = None,
    ) -> list[dict[str, Any]]:
        return [self.entry(now, spread_seconds, error_rate=error_rate, service=service) for _ in range(count)]
