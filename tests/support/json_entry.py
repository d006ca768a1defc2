"""One JSON log entry for POST /api/logs, at the test clock's now."""

from __future__ import annotations

from typing import Any

NOW_ISO = "2026-01-01T00:00:00+00:00"


def log(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "timestamp": NOW_ISO,
        "level": "INFO",
        "service": "auth-service",
        "message": "Authentication ok",
    }
    entry.update(overrides)
    return entry
