"""SQLite schema versions: one module each (v01, v02, ...), the SQL they share (fragments.py), and the runner."""

from __future__ import annotations

from .fragments import UNINDEX_ROWS
from .runner import MIGRATIONS, SCHEMA_VERSION, migrate, statements

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "UNINDEX_ROWS", "migrate", "statements"]
