"""An app whose SQLite store cannot grow (SQLITE_FULL), and posting until it refuses."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from loglens.store.sqlite import SQLiteStore


def cap_store_size(app: Flask) -> None:
    """Let the store's writer connection grow no more (PRAGMA max_page_count): SQLite answers SQLITE_FULL."""
    store = app.extensions["loglens"].store
    assert isinstance(store, SQLiteStore)

    def cap(conn: sqlite3.Connection) -> None:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")

    store._writer.submit(cap)


def post_until_not_accepted(client: FlaskClient, path: str, **kwargs: Any) -> tuple[int, Any]:
    """POST until the store refuses; returns how many were accepted and the refusing response."""
    for accepted in range(2000):
        response = client.post(path, **kwargs)
        if response.status_code not in (200, 201):
            return accepted, response
    raise AssertionError(f"{path}: the capped store still accepted 2000 requests")
