"""Saved searches in ClickHouse (the `saved_searches` table): every change, a deletion too, is the saved search's
next version (ReplacingMergeTree), and reads take each id's newest version, so every node sees the same ones.

ClickHouse has no unique constraint: this process checks a name under a lock before it writes. Two nodes saving
the same name at the same moment can both succeed; a read by name then takes the oldest of them (the list shows
both, and either can be renamed or deleted by its id).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ...search.saved import MAX_SAVED_SEARCHES, SavedSearch, SavedSearchConflict, SavedSpec, new_id
from .connection import Connection

COLUMNS = ("id", "name", "query", "range_from", "range_to", "columns", "created_ms", "updated_ms", "deleted", "version")
LATEST = (  # one row per id, its newest version; aliases differ from the column names (18.16 would resolve them to
    # the aggregates themselves)
    "SELECT id, argMax(name, version) AS s_name, argMax(query, version) AS s_query,"
    " argMax(range_from, version) AS s_from, argMax(range_to, version) AS s_to,"
    " argMax(columns, version) AS s_columns, min(created_ms) AS s_created, argMax(updated_ms, version) AS s_updated,"
    " argMax(deleted, version) AS s_deleted, max(version) AS s_version FROM {table} GROUP BY id"
)


class ClickHouseSavedSearches:
    def __init__(self, conn: Callable[[], Connection], table: str) -> None:
        self._conn = conn  # this thread's connection
        self._table = table
        self._lock = threading.Lock()  # one change at a time in this process: the name check and the write

    def _latest(self, where: str = "", params: dict[str, Any] | None = None) -> list[tuple[SavedSearch, int]]:
        sql = f"SELECT * FROM ({LATEST.format(table=self._table)}) WHERE s_deleted = 0"
        sql += f" AND ({where})" if where else ""
        rows = self._conn().query(sql + " ORDER BY s_name, s_created, id", params)
        return [
            (SavedSearch(str(i), str(n), str(q), str(f), str(t), tuple(c), int(cr), int(up)), int(v))
            for i, n, q, f, t, c, cr, up, _, v in rows
        ]

    def list_saved(self) -> list[SavedSearch]:
        return [saved for saved, _ in self._latest()]

    def saved_by_name(self, name: str) -> SavedSearch | None:
        found = self._latest("s_name = %(n)s", {"n": name})
        return found[0][0] if found else None

    def saved_by_id(self, saved_id: str) -> SavedSearch | None:
        found = self._latest("id = %(id)s", {"id": saved_id})
        return found[0][0] if found else None

    def _write(self, saved: SavedSearch, version: int, *, deleted: bool = False) -> None:
        row = (
            saved.id,
            saved.name,
            saved.query,
            saved.from_,
            saved.to,
            list(saved.columns),
            saved.created_ms,
            saved.updated_ms,
            int(deleted),
            version,
        )
        self._conn().insert(self._table, COLUMNS, [row])

    def add_saved(self, spec: SavedSpec, now_ms: int) -> SavedSearch:
        with self._lock:
            every = self._latest()
            if any(saved.name == spec.name for saved, _ in every):
                raise SavedSearchConflict(
                    f"a saved search named {spec.name!r} exists; overwrite it with PUT or choose another name"
                )
            if len(every) >= MAX_SAVED_SEARCHES:
                raise SavedSearchConflict(
                    f"the store holds {MAX_SAVED_SEARCHES} saved searches already; delete one first"
                )
            saved = SavedSearch(new_id(), spec.name, spec.query, spec.from_, spec.to, spec.columns, now_ms, now_ms)
            self._write(saved, 1)
            return saved

    def replace_saved(self, saved_id: str, spec: SavedSpec, now_ms: int) -> SavedSearch | None:
        with self._lock:
            found = self._latest("id = %(id)s", {"id": saved_id})
            if not found:
                return None
            old, version = found[0]
            taken = self._latest("s_name = %(n)s AND id != %(id)s", {"n": spec.name, "id": saved_id})
            if taken:
                raise SavedSearchConflict(f"another saved search is named {spec.name!r}")
            new = SavedSearch(old.id, spec.name, spec.query, spec.from_, spec.to, spec.columns, old.created_ms, now_ms)
            self._write(new, version + 1)
            return new

    def delete_saved(self, saved_id: str) -> bool:
        with self._lock:
            found = self._latest("id = %(id)s", {"id": saved_id})
            if not found:
                return False
            old, version = found[0]
            self._write(old, version + 1, deleted=True)
            return True
