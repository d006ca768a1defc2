"""Migration 11: the field tokens come with each row (store/sqlite/field_tokens.py; indexing costs about a third of
what it did when SQLite built them from the stored JSON); the rows stored before keep migration 10's
(FIELDS_TEXT)"""

from __future__ import annotations

from .fragments import BASE_V7, FIELDS_DELETE, FIELDS_TEXT, ROW_V11, TIME_PATH_V8, search_trigger

SQL = """
    ALTER TABLE logs ADD COLUMN field_tokens TEXT;;
    DROP TRIGGER ingest_search_apply;;
    """ + search_trigger(BASE_V7, TIME_PATH_V8, FIELDS_DELETE, FIELDS_TEXT, ROW_V11)
