"""Migration 7: the ingest_search trigger again, with a time path whose cost does not grow with the store
(BASE_V7)"""

from __future__ import annotations

from .fragments import BASE_V7, search_trigger

SQL = "DROP TRIGGER ingest_search_apply;;\n" + search_trigger(BASE_V7)
