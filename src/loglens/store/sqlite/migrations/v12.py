"""Migration 12: the word and field indexes move to a file of their own (store/sqlite/indexer.py), rebuilt there in
the background; entries leaving the store queue their indexed text in `unindex` for the indexer. `search.epoch`
names this store, so that an index file built for another one is rebuilt rather than used."""

from __future__ import annotations

from .fragments import BASE_V7, FIELDS_TEXT, ROW_V11, TIME_PATH_V8, UNINDEX_EVICTED, search_trigger

SQL = """
    DROP TRIGGER ingest_search_apply;;
    DROP TABLE search;;
    DROP TABLE fields;;
    DELETE FROM counters WHERE name = 'search.indexed';;
    INSERT INTO counters (name, value) VALUES ('search.epoch', abs(random() >> 2));;
    CREATE TABLE unindex (qid INTEGER PRIMARY KEY, id INTEGER NOT NULL, words TEXT NOT NULL, tokens TEXT NOT NULL);;
    """ + search_trigger(BASE_V7, TIME_PATH_V8, UNINDEX_EVICTED, FIELDS_TEXT, ROW_V11, search_delete="")
