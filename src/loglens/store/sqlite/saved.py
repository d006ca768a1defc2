"""Saved searches in the SQLite store (the `saved_searches` table, migration 16): read from this thread's reader,
written by the writer thread, where the name check and the write are one transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from ...search.saved import MAX_SAVED_SEARCHES, SavedSearch, SavedSearchConflict, SavedSpec, new_id
from .table_access import TableAccess

COLUMNS = "id, name, query, range_from, range_to, columns, created_ms, updated_ms"


class SQLiteSavedSearches(TableAccess):
    def _select(self, where: str = "", params: tuple[Any, ...] = ()) -> list[SavedSearch]:
        with self._read() as conn:
            rows = conn.execute(f"SELECT {COLUMNS} FROM saved_searches {where} ORDER BY name", params).fetchall()
        return [_saved(row) for row in rows]

    def list_saved(self) -> list[SavedSearch]:
        return self._select()

    def saved_by_name(self, name: str) -> SavedSearch | None:
        found = self._select("WHERE name = ?", (name,))
        return found[0] if found else None

    def saved_by_id(self, saved_id: str) -> SavedSearch | None:
        found = self._select("WHERE id = ?", (saved_id,))
        return found[0] if found else None

    def add_saved(self, spec: SavedSpec, now_ms: int) -> SavedSearch:
        saved = SavedSearch(new_id(), spec.name, spec.query, spec.from_, spec.to, spec.columns, now_ms, now_ms)

        def run(conn: sqlite3.Connection) -> str | None:
            if conn.execute("SELECT 1 FROM saved_searches WHERE name = ?", (spec.name,)).fetchone():
                return f"a saved search named {spec.name!r} exists; overwrite it with PUT or choose another name"
            if conn.execute("SELECT count(*) FROM saved_searches").fetchone()[0] >= MAX_SAVED_SEARCHES:
                return f"the store holds {MAX_SAVED_SEARCHES} saved searches already; delete one first"
            conn.execute(f"INSERT INTO saved_searches ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _row(saved))
            return None

        refused: str | None = self._submit(run)
        if refused is not None:
            raise SavedSearchConflict(refused)
        return saved

    def replace_saved(self, saved_id: str, spec: SavedSpec, now_ms: int) -> SavedSearch | None:
        def run(conn: sqlite3.Connection) -> SavedSearch | str | None:
            row = conn.execute(f"SELECT {COLUMNS} FROM saved_searches WHERE id = ?", (saved_id,)).fetchone()
            if row is None:
                return None
            taken = conn.execute(
                "SELECT 1 FROM saved_searches WHERE name = ? AND id != ?", (spec.name, saved_id)
            ).fetchone()
            if taken:
                return f"another saved search is named {spec.name!r}"
            old = _saved(row)
            new = SavedSearch(old.id, spec.name, spec.query, spec.from_, spec.to, spec.columns, old.created_ms, now_ms)
            conn.execute(
                "UPDATE saved_searches SET name = ?, query = ?, range_from = ?, range_to = ?, columns = ?,"
                " updated_ms = ? WHERE id = ?",
                (*_row(new)[1:6], now_ms, saved_id),
            )
            return new

        result: SavedSearch | str | None = self._submit(run)
        if isinstance(result, str):
            raise SavedSearchConflict(result)
        return result

    def delete_saved(self, saved_id: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM saved_searches WHERE id = ?", (saved_id,)).rowcount > 0

        done: bool = self._submit(run)
        return done


def _row(saved: SavedSearch) -> tuple[Any, ...]:
    columns = orjson.dumps(list(saved.columns)).decode()
    return (saved.id, saved.name, saved.query, saved.from_, saved.to, columns, saved.created_ms, saved.updated_ms)


def _saved(row: tuple[Any, ...]) -> SavedSearch:
    id_, name, query, from_, to, columns, created_ms, updated_ms = row
    return SavedSearch(id_, name, query, from_, to, tuple(orjson.loads(columns)), created_ms, updated_ms)
