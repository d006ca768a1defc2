"""The query language: its grammar (the one place it is defined), a small typed AST, and `parse`.

    level>=ERROR service:auth-service "connection refused" -metadata.region:eu*

Grammar (Lark, LALR; `?` rules are inlined when they have one child):

    query    : or_expr?                      empty query: everything
    or_expr  : and_expr ("OR" and_expr)*
    and_expr : not_expr ("AND"? not_expr)*  juxtaposition is AND
    not_expr : ("NOT" | "-") not_expr | atom
    atom     : "(" or_expr ")" | term
    term     : FIELD ":" (TERM | PHRASE)     service, level, user_id, message, metadata.<key>; TERM may end in *
             | FIELD CMP (NUMBER | TERM)      level>=WARNING (by rank), metadata.<key>>500 (numbers)
             | TERM | PHRASE                  free words / "quoted phrase" in any text field

Semantics (the brute-force reference in tests/unit/test_search_properties.py says the same in Python):
- A word is a run of letters and digits (`[^\\W_]+`), compared case-insensitively. A `message:` value matches when
  the message contains its words consecutively (`req-42` is the phrase `req 42`); a trailing `*` makes the last word
  a prefix. A free term or phrase matches the same way in the message, the service, the user_id or any top-level
  metadata string value: all its words within one of them (never across two); numbers, booleans and nested values
  in metadata are not searched by it.
- `service:`, `user_id:` compare the whole value, case-sensitively; `val*` is a prefix. `level:` takes a level
  name in any case (`level:warn*` too); `level>=WARNING` compares ranks.
- `metadata.<key>:v` (a top-level key) matches a string equal to v, or a number equal to v when v is a number,
  or a boolean when v is true/false; `v*` matches strings (and integers) starting with v. `metadata.<key> > n`
  compares numbers only.
- AND binds tighter than OR; NOT and `-` negate what follows.
- NOT / `-`, AND and OR nest at most MAX_QUERY_DEPTH levels inside each other (parentheses alone add none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lark import Lark, Token, Transformer, Tree, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.exceptions import VisitError

from ..model import LEVEL_RANK, LEVELS

GRAMMAR = r"""
?start: or_expr?
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND? not_expr)*
?not_expr: _NOT not_expr -> negate
         | MINUS not_expr -> negate
         | atom
?atom: _LPAR or_expr _RPAR
     | term
term: FIELD_COLON (TERM | PHRASE)  -> field_match
    | FIELD_CMP (NUMBER | TERM)    -> field_compare
    | TERM                         -> free_term
    | PHRASE                       -> free_term

_OR: "OR"
_AND: "AND"
_NOT: "NOT"
MINUS: "-"
_LPAR: "("
_RPAR: ")"
FIELD_COLON.3: /[A-Za-z_][A-Za-z0-9_.\-]*:/
FIELD_CMP.3: /[A-Za-z_][A-Za-z0-9_.\-]*(>=|<=|>|<)/
NUMBER.2: /-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/
PHRASE: /"([^"\\]|\\.)*"/
TERM: /[^\s()":<>\-][^\s()":<>]*/

%ignore /\s+/
"""

FIELDS = ("service", "level", "user_id", "message")
WORD_RE = re.compile(r"[^\W_]+")
MAX_QUERY_LENGTH = 2000
# How deeply NOT / `-`, AND and OR may nest inside each other. Each level nests the compiled SQL one level deeper,
# and SQLite's SQL parser (a fixed 100-entry stack) overflows from about 26 right-nested ORs with metadata terms;
# Python's recursion limit ends the AST's transform near 500. 16 leaves room on both sides of any real query.
MAX_QUERY_DEPTH = 16

Op = Literal[">", ">=", "<", "<="]

# -- AST ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Everything:
    """The empty query."""


@dataclass(frozen=True, slots=True)
class Words:
    """A text field contains `words` consecutively (lowercase); the last one only as a prefix when `prefix`. The
    field is the message when `message_only` (`message:`), else any of message, service, user_id and the top-level
    metadata string values (a bare word or phrase): all the words within one of them."""

    words: tuple[str, ...]
    prefix: bool = False
    message_only: bool = False


@dataclass(frozen=True, slots=True)
class FieldIs:
    """`field` (service, level, user_id) equals `value`, or starts with it when `prefix`. Levels are uppercase."""

    field: Literal["service", "level", "user_id"]
    value: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class MetaIs:
    """metadata[key] equals `value` (a string; or a number / boolean written as `value`), or starts with it."""

    key: str
    value: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class LevelCompare:
    op: Op
    rank: int


@dataclass(frozen=True, slots=True)
class MetaCompare:
    key: str
    op: Op
    number: float


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


Node = Everything | Words | FieldIs | MetaIs | LevelCompare | MetaCompare | Not | And | Or


class QueryError(ValueError):
    """The query does not parse or means nothing; `column` is 1-based."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(f"{message} at column {column}" if column is not None else message)
        self.column = column


# -- parsing -----------------------------------------------------------------------------------------------------

_parser = Lark(GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=False, maybe_placeholders=False)

_SHOWN = {
    "_RPAR": "')'",
    "_LPAR": "'('",
    "TERM": "a word",
    "PHRASE": "a quoted phrase",
    "NUMBER": "a number",
    "FIELD_COLON": "field:",
    "FIELD_CMP": "a comparison",
    "_OR": "OR",
    "_AND": "AND",
    "_NOT": "NOT",
    "MINUS": "'-'",
    "$END": "the end of the query",
}


def of_service(service: str | None) -> Node:
    """Every entry, or only those of `service`: what the dashboard's recent logs ask every backend for."""
    return FieldIs("service", service) if service is not None else Everything()


def words_of(text: str) -> tuple[str, ...]:
    """The words of `text`, lowercased: runs of letters and digits."""
    return tuple(WORD_RE.findall(text.lower()))


def _unquote(phrase: str) -> str:
    return re.sub(r"\\(.)", r"\1", phrase[1:-1])


def _words_node(raw: str, quoted: bool, column: int, message_only: bool = False) -> Words:
    prefix = not quoted and raw.endswith("*")
    words = words_of(raw[:-1] if prefix else raw)
    if not words:
        raise QueryError(f"{raw!r} has no letters or digits to search for", column)
    return Words(words, prefix, message_only)


def _value(token: Token) -> tuple[str, bool]:
    """A field value and whether it is a prefix (`val*`); quoted values are literal."""
    if token.type == "PHRASE":
        return _unquote(str(token)), False
    text = str(token)
    if text.endswith("*"):
        return text[:-1], True
    return text, False


class _Build(Transformer[Token, Node]):
    def negate(self, children: list[Node | Token]) -> Node:
        child = children[-1]
        assert not isinstance(child, Token)
        return Not(child)

    def and_expr(self, children: list[Node]) -> Node:
        return And(tuple(children))

    def or_expr(self, children: list[Node]) -> Node:
        return Or(tuple(children))

    def free_term(self, children: list[Token]) -> Node:
        (token,) = children
        raw = _unquote(str(token)) if token.type == "PHRASE" else str(token)
        return _words_node(raw, token.type == "PHRASE", token.column or 0)

    def field_match(self, children: list[Token]) -> Node:
        field_token, value_token = children
        field = str(field_token)[:-1]
        column = field_token.column or 0
        value, prefix = _value(value_token)
        if field == "message":
            raw = str(value_token) if value_token.type != "PHRASE" else value
            return _words_node(raw, value_token.type == "PHRASE", value_token.column or 0, message_only=True)
        if field in ("service", "user_id"):
            return FieldIs(field, value, prefix)  # type: ignore[arg-type]
        if field == "level":
            level = value.upper()
            if prefix:
                return FieldIs("level", level, True)
            if level not in LEVEL_RANK:
                raise QueryError(f"level must be one of {', '.join(LEVELS)}, got {value!r}", value_token.column)
            return FieldIs("level", level)
        return MetaIs(_meta_key(field, column), value, prefix)

    def field_compare(self, children: list[Token]) -> Node:
        field_token, value_token = children
        text = str(field_token)
        op: Op = ">=" if text.endswith(">=") else "<=" if text.endswith("<=") else text[-1]  # type: ignore[assignment]
        field = text[: -len(op)]
        column = value_token.column
        if field == "level":
            name = str(value_token).upper()
            if name not in LEVEL_RANK:
                raise QueryError(f"level must be one of {', '.join(LEVELS)}, got {str(value_token)!r}", column)
            return LevelCompare(op, LEVEL_RANK[name])
        key = _meta_key(field, field_token.column or 0)
        if value_token.type != "NUMBER":
            raise QueryError(f"expected a number after {text!r}, got {str(value_token)!r}", column)
        return MetaCompare(key, op, float(str(value_token)))

    def start(self, children: list[Node]) -> Node:
        return children[0] if children else Everything()


def _meta_key(field: str, column: int) -> str:
    if not field.startswith("metadata.") or len(field) == len("metadata."):
        raise QueryError(f"unknown field {field!r}; use {', '.join(FIELDS)} or metadata.<key>", column)
    return field[len("metadata.") :]


def parse(text: str) -> Node:
    """Parse a query; raises QueryError (a ValueError) saying where and what was expected."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    try:
        tree = _parser.parse(text)
    except UnexpectedInput as exc:
        raise _error(exc, text) from None
    depth = _depth(tree)
    if depth > MAX_QUERY_DEPTH:
        raise QueryError(
            f"the query nests NOT, -, AND and OR {depth} levels deep; at most {MAX_QUERY_DEPTH} levels are allowed"
        )
    try:
        node = _Build().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, QueryError):
            raise exc.orig_exc from None
        raise
    return node if not isinstance(node, Token) else Everything()


NESTING_RULES = frozenset({"negate", "and_expr", "or_expr"})  # the rules that become Not, And and Or


def _depth(tree: Tree[Token]) -> int:
    """How deeply Not, And and Or nest in the parse tree; without recursion, since a query of 2,000 characters
    nests up to 2,000 levels and Python's recursion limit is 1,000."""
    deepest = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in NESTING_RULES:
            depth += 1
            deepest = max(deepest, depth)
        stack.extend((child, depth) for child in node.children if isinstance(child, Tree))
    return deepest


def _error(exc: UnexpectedInput, text: str) -> QueryError:
    column = exc.column if isinstance(exc.column, int) and exc.column > 0 else len(text) + 1
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream is not None else "?"
        if char == '"':
            return QueryError("unterminated quoted phrase: expected a closing '\"'", column)
        if char in ":<>":
            return QueryError(f"expected a field name before {char!r}", column)
        return QueryError(f"unexpected {char!r}", column)
    if isinstance(exc, UnexpectedToken):
        expected = set(exc.expected)
        if exc.token.type == "$END":
            column = len(text) + 1
        if "_RPAR" in expected and exc.token.type in ("$END",):
            return QueryError("expected ')'", column)
        if exc.token.type == "_RPAR" and "_RPAR" not in expected:
            return QueryError("unexpected ')' without a matching '('", column)
        names = sorted({_SHOWN.get(name, name) for name in expected if name in _SHOWN and name != "$END"})
        if "a word" in names:  # anything that starts a term: say so once
            names = ["a term"] + [n for n in names if n in ("')'",)]
        if exc.token.type == "$END":
            return QueryError(f"expected {' or '.join(names) or 'more'}", column)
        return QueryError(f"expected {' or '.join(names) or 'something else'}, got {str(exc.token)!r}", column)
    return QueryError(str(exc), column)
