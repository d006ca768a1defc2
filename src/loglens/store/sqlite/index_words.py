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
"""

from __future__ import annotations

import re

# The SQL function (registered on every connection: query.register_functions) that makes a row's indexed text.
FUNCTION = "loglens_index_words"
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


def decides(word: str) -> bool:
    """Whether the index names exactly the texts that hold `word` (a query word: lowercase) as one of their words,
    or one that starts with it: a word of ASCII letters only."""
    return word.isascii() and word.isalpha()
