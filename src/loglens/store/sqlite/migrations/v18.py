"""Migration 18: a bare word or phrase also matches the service, the user_id and the top-level metadata strings, so
the word index holds their words too (fragments.SEARCH_TEXT_V18). Entries leaving the store queue that text for the
indexer's delete (a trigger on `unindex`). The index file itself is rebuilt by the indexer in the background
(indexer.INDEX_VERSION 2): searches check the rows it does not cover yet one by one, as after migration 12."""

from __future__ import annotations

from .fragments import UNINDEX_WORDS_V18

SQL = UNINDEX_WORDS_V18
