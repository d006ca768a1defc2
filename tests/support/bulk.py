"""NDJSON bodies for /api/logs/bulk through the Flask test client, and what the app reports about them."""

from __future__ import annotations

from typing import Any

import orjson
from flask.testing import FlaskClient

NDJSON = "application/x-ndjson"


def entry(i: int = 0, **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "timestamp": "2026-01-01T00:00:00.000Z",
        "level": "INFO",
        "service": "bulk-svc",
        "message": f"entry {i}",
    }
    out.update(changes)
    return out


def ndjson(*items: Any) -> bytes:
    return b"".join((item if isinstance(item, bytes) else orjson.dumps(item)) + b"\n" for item in items)


def stored_messages(client: FlaskClient) -> list[str]:
    recent = client.get("/api/advanced-dashboard-data").get_json()["recent_logs"]
    return [row["message"] for row in reversed(recent)]


def stats(client: FlaskClient) -> dict[str, Any]:
    result: dict[str, Any] = client.get("/api/validation-stats").get_json()
    return result
