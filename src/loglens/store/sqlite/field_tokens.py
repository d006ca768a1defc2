"""What the field index (the `fields` FTS5 table) holds for an entry: one short token per value of user_id and of
the FIELD_KEYS metadata keys, people's lookup keys.

A token is the value's field letter and one of BUCKETS buckets of its CRC-32 (`r3f0`), built in the request thread
from the entry's own values (store/sqlite/batch.py) and stored with the row (`logs.field_tokens`, migration 11); the
indexer copies it into the index as it is. A bucket names every row whose value falls in it, so a lookup reads about
1 in BUCKETS of the rows plus the value's own, and checks each against the query like any other row.

Why buckets and not the value: migration 10 indexed hex('user_id=' || value) and hex('m.<key>=' || value), computed
by SQLite from the stored JSON when indexing. Measured on 1,000-entry batches, indexing then cost 5 to 7 us per entry
for both indexes, most of it here: parsing the metadata JSON again (about 2 us), and one new FTS5 term per request
id (a distinct term is the dearest thing to add to FTS5). With tokens from the entry's values, out of 3 x 4,096
terms, indexing costs about 2 us per entry. The price is at lookup: a bucket holds about 2,400 other rows at 10M
entries, which the search reads and checks (README, "How it is fast"). The rows stored before migration 11 keep
their hex tokens (`logs.field_tokens` is NULL for them, see migrations.FIELDS_TEXT), so a lookup asks for either.
"""

from __future__ import annotations

from typing import Any
from zlib import crc32

FIELD_VALUE_MAX = 64  # longer values are not indexed (lookups of them walk the time path)
FIELD_KEYS = ("request_id", "trace_id")  # metadata keys with a field token, besides user_id
BUCKETS = 4096
LETTERS = {"user_id": "u", "request_id": "r", "trace_id": "t"}
_MASK = BUCKETS - 1  # a power of two
_TOKENS = {letter: tuple(f"{letter}{bucket:x}" for bucket in range(BUCKETS)) for letter in LETTERS.values()}
_USER_TOKENS = _TOKENS[LETTERS["user_id"]]
_METADATA_TOKENS = tuple((key, _TOKENS[LETTERS[key]]) for key in FIELD_KEYS)


def indexable(value: object) -> bool:
    """Whether a value gets a token: a string of at most FIELD_VALUE_MAX characters, without NUL (SQLite's JSON
    functions end a string at NUL, so migration 10's tokens never held one)."""
    return type(value) is str and len(value) <= FIELD_VALUE_MAX and "\x00" not in value


def token(field: str, value: str) -> str:
    """The token of `value` in `field` ("user_id" or a FIELD_KEYS key)."""
    return LETTERS[field] + "%x" % (crc32(value.encode("utf-8", "surrogatepass")) & _MASK)


def row_tokens(user_id: str | None, metadata: dict[str, Any] | None) -> str:
    """An entry's tokens, space-separated ('' when it has none): `token` and `indexable`, inlined, with the tokens
    looked up rather than formatted (this runs for every entry stored, in the request thread, under the GIL: half
    the time of building a list of formatted tokens, measured). An entry's strings have no lone surrogates: orjson
    refused them."""
    out = ""
    if user_id is not None and len(user_id) <= FIELD_VALUE_MAX and "\x00" not in user_id:
        out = _USER_TOKENS[crc32(user_id.encode()) & _MASK]
    if metadata:
        for key, tokens in _METADATA_TOKENS:
            value = metadata.get(key)
            if type(value) is str and len(value) <= FIELD_VALUE_MAX and "\x00" not in value:
                found = tokens[crc32(value.encode()) & _MASK]
                out = f"{out} {found}" if out else found
    return out


def legacy_token(field: str, value: str) -> str:
    """Migration 10's token of `value` in `field`, which the rows stored before migration 11 carry."""
    name = field if field == "user_id" else "m." + field
    return f"{name}={value}".encode().hex()
