"""What the word index (`search`, indexer.py) holds for an entry, computed as the query language computes words, so
that the index decides a bare word of ASCII letters exactly.

The query's words are the runs of letters and digits of the lowercased text (search/query.py WORD_RE over
text.lower()). The index holds two kinds of tokens, both ASCII only, from those same words:

- each word made of ASCII letters only, as itself (`shipped`): an ASCII-letter query word is in an entry's words
  exactly when the index holds it for the entry, so such a word needs no check of the rows the index names;
- for any other word that starts with ASCII letters, those letters and a `0` (`shipped2`, `shippedé`: `shipped0`):
  never equal to an all-letter query word, but found by a prefix of ASCII letters (`ship*`, the index's `"ship"*`),
  which then names exactly the texts holding a word that starts with it.

A word that starts with anything else (a digit, a non-ASCII letter) is left out: no ASCII-letter word or prefix
can match it. Numbers are most of a log's distinct words, which made an index holding them cost twice as much.
Because the tokens are computed here in Python, they follow Python's lower() and letter classes for every input
(the Kelvin sign lowers to `k`, 'İ' to `i` and a combining dot that ends the word, '٣' is a digit), where SQLite's
tokenizer folds and classifies characters by its own tables; FTS5 sees only ASCII letters, `0` and spaces.

The indexer's thread makes the tokens of a batch of rows in one call (write_words): rows handed to Python one at a
time (an SQL function, or fetching them) take the GIL once per row from the request threads that share it. A batch
is BATCH rows, so that the text it holds in memory stays bounded whatever the entries' size (10,000 rows of 2 KB
entries, 20 MB of text held three times over, broke the worker memory bound of tests/server/
test_unread_responses.py). The tokens cost the indexer 3.8 us of Python per entry (its SQLite work: 2.7 us);
docs/performance.md says what that costs ingest.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import orjson

BATCH = 256  # rows per call into Python: at most 256 x ingest.max_entry_bytes (64 KB) of text, 16 MB, each way
MARK = "0"  # ends a word's leading ASCII letters when more of the word follows
# At the start of a word (no letter or digit before), its leading ASCII letters and the character after them if it
# belongs to the word (a digit, a non-ASCII letter): the word goes on. Over lowercased text, so [a-z] are all the
# ASCII letters a word can hold.
_LEADING_LETTERS = re.compile(r"(?<![^\W_])([a-z]+)([^\W_]?)")


def index_words(text: str | None) -> str:
    """The tokens the word index holds for `text` (any number of fields joined by spaces), space-separated."""
    if text is None:
        return ""
    return " ".join([head + MARK if more else head for head, more in _LEADING_LETTERS.findall(text.lower())])


def write_words(conn: sqlite3.Connection, rows: str, params: tuple[Any, ...], *, delete: bool = False) -> None:
    """Add to the word index (`ix.search`) the rows that the SELECT `rows` names as (id, text), or delete them from
    it (a contentless index deletes a row by the tokens it was added with: `text` must be the same). The rows come
    out of SQLite as one JSON text and their tokens go back as one (at most BATCH rows: the caller's bounds)."""
    (found,) = conn.execute(f"SELECT json_group_array(json_array(id, text)) FROM ({rows})", params).fetchone()
    tokens = orjson.dumps([[rowid, index_words(text)] for rowid, text in orjson.loads(found)]).decode()
    command = "'delete', " if delete else ""
    conn.execute(
        f"INSERT INTO ix.search ({'search, ' if delete else ''}rowid, text)"
        f" SELECT {command}value ->> 0, value ->> 1 FROM json_each(?)",
        (tokens,),
    )


def decides(word: str) -> bool:
    """Whether the index names exactly the texts that hold `word` (a query word: lowercase) as one of their words,
    or one that starts with it: a word of ASCII letters only."""
    return word.isascii() and word.isalpha()
