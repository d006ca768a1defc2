"""Migration 10: the field index (FIELDS_TEXT): an equality on user_id, request_id or trace_id finds its rows
in it instead of walking the time path (1.7 s for one request id among 1M entries). Filled for the entries the
word index already covers; the indexer does the rest, for both indexes together."""

from __future__ import annotations

from .fragments import BASE_V7, FIELDS_DELETE, FIELDS_TEXT_V10, TIME_PATH_V8, search_trigger

SQL = (
    """
    CREATE VIRTUAL TABLE fields USING fts5(
        text, content='', detail='none', columnsize=0, tokenize="unicode61 remove_diacritics 0"
    );;
    INSERT INTO fields (rowid, text) SELECT id, FIELDS_TEXT FROM logs
        WHERE id <= (SELECT coalesce(max(value), 0) FROM counters WHERE name = 'search.indexed');;
    DROP TRIGGER ingest_search_apply;;
    """.replace("FIELDS_TEXT", FIELDS_TEXT_V10)
    + search_trigger(BASE_V7, TIME_PATH_V8, FIELDS_DELETE)
)
