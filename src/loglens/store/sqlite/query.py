"""The query AST compiled to SQLite SQL (the walk that answers a search with it: walk.py).

Compiling gives two things. `where` is an SQL condition over the `logs` row that decides every leaf exactly
(user text only ever travels as a parameter). `fts` is an FTS5 expression implied by the query (every matching row
contains it) over the `search` index (the words of each entry's message, service, user_id and top-level metadata
strings: migrations.fragments.SEARCH_TEXT_V18, as index_words.py makes its tokens), or None; it narrows the rows to
look at. For the rows it names, `fts_where` is `where` without the bare words the index decides exactly (a word of
ASCII letters that every matching row must hold): a histogram of such a word reads only the index and each match's
row, and calls no Python function per row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from ...model import LEVEL_RANK
from ...search import query as nodes  # the query AST
from ..query_values import compare, number
from .field_tokens import FIELD_KEYS, indexable, legacy_token, token
from .index_words import decides


@dataclass(frozen=True, slots=True)
class Compiled:
    where: str
    params: tuple[Any, ...]
    fts: str | None  # over the word index (`search`)
    fields: str | None  # over the field index (`fields`, store/sqlite/field_tokens.py)
    # `where` for the rows `search MATCH fts` names: without the bare words that match decides (_decided)
    fts_where: str
    fts_params: tuple[Any, ...]


# -- words: the SQL functions behind word matching ---------------------------------------------------------------


@lru_cache(maxsize=256)
def _split(words: str) -> tuple[str, ...]:
    return tuple(words.split(" "))


@lru_cache(maxsize=256)
def _folded(words: str) -> tuple[str, ...]:
    return tuple(word.casefold() for word in words.split(" "))


def _may_hold(text: str, words: str) -> bool:
    """False when `text` cannot hold the words: each word of text.lower() is a run of its characters, so its
    case-folded form is in text.casefold() (case folding is per character, unlike lower()'s final sigma, and folds
    a lowercased character as the character itself). A substring test is several times cheaper than splitting the
    text into words, and rejects most rows."""
    folded = text.casefold()
    for word in _folded(words):
        if word not in folded:
            return False
    return True


def _has_words(text: str, words: str, prefix: int) -> bool:
    tokens = nodes.WORD_RE.findall(text.lower())
    wanted = _split(words)
    n = len(wanted)
    if n == 1 and not prefix:
        return wanted[0] in tokens
    head, last = wanted[:-1], wanted[-1]
    for i in range(len(tokens) - n + 1):
        if tuple(tokens[i : i + n - 1]) == head:
            token = tokens[i + n - 1]
            if token == last or (prefix and token.startswith(last)):
                return True
    return False


def words_match(message: str | None, words: str, prefix: int) -> int:
    """1 when `message` has the space-separated `words` consecutively (the last as a prefix when `prefix`)."""
    return 1 if message is not None and _may_hold(message, words) and _has_words(message, words, prefix) else 0


def any_field_match(
    message: str | None, service: str | None, user_id: str | None, metadata: str | None, words: str, prefix: int
) -> int:
    """1 when the words match (words_match) within the message, the service, the user_id or one top-level metadata
    string value: what a bare word or phrase means. One substring test over all four rejects most rows (the
    metadata's string values have their letters and digits written unescaped in its JSON text, so it holds for
    them too); the metadata is parsed only when a word is in it."""
    if not _may_hold(f"{message}\n{service}\n{user_id}\n{metadata}", words):
        return 0
    for text in (message, service, user_id):
        if text is not None and _has_words(text, words, prefix):
            return 1
    if metadata is None or not _may_hold(metadata, words):
        return 0
    values = orjson.loads(metadata)
    if isinstance(values, dict):
        for value in values.values():
            if type(value) is str and _has_words(value, words, prefix):
                return 1
    return 0


def register_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("loglens_words", 3, words_match, deterministic=True)
    conn.create_function("loglens_any_words", 6, any_field_match, deterministic=True)


# -- compiling ---------------------------------------------------------------------------------------------------


def compile_query(node: nodes.Node) -> Compiled:
    params: list[Any] = []
    where = _where(node, params)
    fts_params: list[Any] = []
    fts_where = _where(node, fts_params, through_index=True)
    # user_id and id equalities go through the field index; the user rollups cannot name a user's minutes, since
    # each bucket keeps only its biggest users (store/sqlite/topk.py)
    return Compiled(where, tuple(params), _fts(node), _fields(node), fts_where, tuple(fts_params))


def _meta_path(key: str) -> str:
    return '$."' + key + '"'  # keys are [A-Za-z0-9_.-]: the grammar allows nothing that needs escaping


def _where(node: nodes.Node, params: list[Any], *, through_index: bool = False) -> str:
    """`node` as a condition on the row `logs`; `through_index`: for rows that `search MATCH` the query's `fts`,
    whose terms hold for each of them. Then a bare word the index decides (_decided) that the whole query needs
    (the query or one of its ANDed parts: `fts` ANDs its term with the others) is true of every such row."""
    if isinstance(node, nodes.Everything):
        return "1"
    if isinstance(node, nodes.Words):
        if through_index and _decided(node):
            return "1"
        params += [" ".join(node.words), int(node.prefix)]
        if node.message_only:
            return "loglens_words(logs.message, ?, ?)"
        return "loglens_any_words(logs.message, logs.service, logs.user_id, logs.metadata, ?, ?)"
    if isinstance(node, nodes.FieldIs):
        column = f"logs.{node.field}"
        if node.prefix:
            params += [len(node.value), node.value]
            return f"coalesce(substr({column}, 1, ?) = ?, 0)"
        params.append(node.value)
        return f"{column} IS ?" if node.field == "user_id" else f"{column} = ?"
    if isinstance(node, nodes.LevelCompare):
        levels = [name for name, rank in LEVEL_RANK.items() if compare(rank, node.op, node.rank)]
        if not levels:
            return "0"
        params += levels
        return f"logs.level IN ({', '.join('?' * len(levels))})"
    if isinstance(node, nodes.MetaIs):
        path = _meta_path(node.key)
        if node.prefix:
            params += [path, path, len(node.value), node.value]
            return (
                "coalesce(json_type(logs.metadata, ?) IN ('text', 'integer')"
                " AND substr(CAST(json_extract(logs.metadata, ?) AS TEXT), 1, ?) = ?, 0)"
            )
        # metadata is stored as orjson writes it, so a string value equal to v appears in the text as
        # orjson.dumps(v): a substring test (cheap) before any JSON parsing (dear) on each scanned row
        parts = [
            "instr(logs.metadata, ?) > 0 AND json_type(logs.metadata, ?) = 'text'"
            " AND json_extract(logs.metadata, ?) = ?"
        ]
        params += [orjson.dumps(node.value).decode(), path, path, node.value]
        as_number = number(node.value)
        if as_number is not None:
            parts.append("json_type(logs.metadata, ?) IN ('integer', 'real') AND json_extract(logs.metadata, ?) = ?")
            params += [path, path, as_number]
        if node.value in ("true", "false"):
            parts.append("json_type(logs.metadata, ?) = ?")
            params += [path, node.value]
        return "coalesce(" + " OR ".join(f"({p})" for p in parts) + ", 0)"
    if isinstance(node, nodes.MetaCompare):
        path = _meta_path(node.key)
        # one JSON parse for a row that fails the comparison (nearly all of a rare filter's rows): CASE evaluates
        # its branches lazily, where AND (and coalesce's arguments) would run both json calls on every row. A value
        # that compares true yet is no JSON number (text compares above any number, true and false come back as
        # 1 and 0) is then rejected by its type.
        params += [path, node.number, path]
        return (
            f"CASE WHEN json_extract(logs.metadata, ?) {node.op} ?"
            " THEN json_type(logs.metadata, ?) IN ('integer', 'real') ELSE 0 END"
        )
    if isinstance(node, nodes.Not):
        return f"NOT ({_where(node.child, params)})"
    if isinstance(node, nodes.And):
        return " AND ".join(f"({_where(c, params, through_index=through_index)})" for c in node.children)
    if isinstance(node, nodes.Or):
        return " OR ".join(f"({_where(c, params)})" for c in node.children)
    raise TypeError(f"unknown query node {node!r}")


def _implied(node: nodes.Node, leaf: Callable[[nodes.Node], str | None]) -> str | None:
    """An FTS5 expression every row matching `node` satisfies, built from what `leaf` says of its leaves (None:
    this index cannot narrow them): AND keeps the parts it can say, OR needs them all."""
    if isinstance(node, nodes.And):
        parts = [p for p in (_implied(c, leaf) for c in node.children) if p is not None]
        return " AND ".join(f"({p})" for p in parts) or None
    if isinstance(node, nodes.Or):
        ors = [_implied(c, leaf) for c in node.children]
        if any(p is None for p in ors):
            return None
        return " OR ".join(f"({p})" for p in ors)
    return leaf(node)


def _fts(node: nodes.Node) -> str | None:
    """Over the word index (`search`): the words of ASCII letters of the query."""
    return _implied(node, _words_leaf)


def _decided(node: nodes.Words) -> bool:
    """Whether `search MATCH` of this leaf's term (_words_leaf) names exactly the rows it matches: a bare word
    (message, service, user_id and metadata strings: what the index holds), one word, that the index holds exactly
    (index_words.decides). As a prefix too: a word starts with ASCII letters exactly when its leading ASCII letters
    (what the index holds of it) start with them."""
    return not node.message_only and len(node.words) == 1 and decides(node.words[0])


def _words_leaf(node: nodes.Node) -> str | None:
    if not isinstance(node, nodes.Words):
        return None
    terms = []
    for i, word in enumerate(node.words):
        # the index holds the words of ASCII letters, and the leading ASCII letters of the others (what a prefix
        # finds): not numbers, most of a log's distinct words, which made it cost twice as much (index_words.py)
        if not decides(word):
            continue
        last_prefix = node.prefix and i == len(node.words) - 1
        terms.append(f'"{word}"' + ("*" if last_prefix else ""))
    return " AND ".join(terms) or None


def _fields(node: nodes.Node) -> str | None:
    """Over the field index (`fields`, store/sqlite/field_tokens.py): only the equalities it can answer, user_id and a
    FIELD_KEYS metadata value that can only match a string (one that reads as a number or a boolean also matches
    those, which the index leaves out). The rows it names are then checked by `where` like any others."""
    return _implied(node, _fields_leaf)


def _fields_leaf(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.FieldIs) and node.field == "user_id" and not node.prefix:
        return _field_token("user_id", node.value)
    if isinstance(node, nodes.MetaIs) and node.key in FIELD_KEYS and not node.prefix and number(node.value) is None:
        if node.value not in ("true", "false"):
            return _field_token(node.key, node.value)
    return None


def _field_token(field: str, value: str) -> str | None:
    if not indexable(value):  # not in the index: the time walk finds it
        return None
    return f'"{token(field, value)}" OR "{legacy_token(field, value)}"'  # rows stored since and before migration 11
