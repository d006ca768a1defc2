"""The embedded default store (`storage.backend: sqlite`): SQLiteStore (store.py) and its parts, by concern."""

from __future__ import annotations

from .store import SQLiteStore

__all__ = ["SQLiteStore"]
