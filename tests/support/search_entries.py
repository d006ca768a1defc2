"""Entries a second apart for the search tests, posted through /api/logs/bulk."""

from __future__ import annotations

from typing import Any

import orjson
from flask.testing import FlaskClient


def entry(second: int, **overrides: Any) -> dict[str, Any]:
    """An entry `second` seconds after 2025-12-31T23:00:00Z (the fake clock reads 2026-01-01T00:00:00Z)."""
    minute, sec = divmod(second, 60)
    item: dict[str, Any] = {
        "timestamp": f"2025-12-31T23:{minute:02d}:{sec:02d}Z",
        "level": "INFO",
        "service": "auth-service",
        "message": f"request {second} ok",
    }
    item.update(overrides)
    return item


def ingest(client: FlaskClient, entries: list[dict[str, Any]]) -> None:
    body = b"\n".join(orjson.dumps(e) for e in entries)
    response = client.post("/api/logs/bulk", data=body, content_type="application/x-ndjson")
    assert response.status_code == 200 and response.json["rejected"] == 0, response.json
