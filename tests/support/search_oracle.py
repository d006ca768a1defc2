"""The search oracle shared by the property tests: random queries over random entries, each query with the Python
predicate that decides it by brute force (the query language's rules, written again without the store's code).

A bare word or phrase matches within one text field: the message, the service, the user_id or a top-level metadata
string; `message:` within the message only. The entries' fields share words with the vocabulary, in several cases,
with punctuation, non-ASCII letters (a final sigma, a NUL) and equal or out-of-order event times."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from loglens.model import LEVEL_RANK, LEVELS, Entry

BASE_MS = 1_767_225_600_000
VOCAB = [
    "timeout",
    "Timeout",
    "retry",
    "req",
    "42",
    "req-42",
    "connection",
    "refused",
    "café",
    "a1",
    "timeouts",
    "west",
    "ΟΔΟΣ",
    "svc",
]
SEPARATORS = [" ", "-", ", ", "_", ".", ": "]
SERVICES = ["auth", "auth-service", "pay", "Retry-SVC", "café.west"]
USERS = ["user-1", "user-2", "User-1", "u", "req-42", "οδος_timeout"]
META_KEYS = ["request_id", "n", "flag", "region"]
# pairs of words that end one field and start the next (message, service, user_id, metadata strings in turn)
CROSS_FIELD = [("timeout", "auth"), ("svc", "user"), ("west", "req"), ("pay", "u"), ("42", "connection"), ("1", "eu")]

Predicate = Callable[[Entry], bool]


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def has_words(message: str, wanted: list[str], prefix: bool) -> bool:
    tokens = words(message)
    n = len(wanted)
    for i in range(len(tokens) - n + 1):
        window = tokens[i : i + n]
        if window[:-1] == wanted[:-1] and (window[-1] == wanted[-1] or (prefix and window[-1].startswith(wanted[-1]))):
            return True
    return False


def text_fields(entry: Entry) -> list[str]:
    """What a bare word or phrase is looked for in: the message, service, user_id and top-level metadata strings."""
    texts = [entry.message, entry.service, *([entry.user_id] if entry.user_id is not None else [])]
    return texts + [v for v in (entry.metadata or {}).values() if isinstance(v, str)]


def anywhere(entry: Entry, wanted: list[str], prefix: bool) -> bool:
    return any(has_words(text, wanted, prefix) for text in text_fields(entry))


def meta_equals(value: Any, wanted: str) -> bool:
    if isinstance(value, bool):
        return wanted == ("true" if value else "false")
    if isinstance(value, str):
        return value == wanted
    if isinstance(value, int | float) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", wanted):
        return float(wanted) == value
    return False


def meta_prefix(value: Any, wanted: str) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str | int) and not isinstance(value, float):
        return str(value).startswith(wanted)
    return False


def meta(entry: Entry, key: str) -> Any:
    return None if entry.metadata is None else entry.metadata.get(key)


OPS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


@st.composite
def leaves(draw: st.DrawFn) -> tuple[str, Predicate]:
    kind = draw(
        st.sampled_from(["word", "phrase", "prefix", "message", "service", "level", "rank", "user", "meta", "cmp"])
    )
    if kind == "word":
        word = draw(st.sampled_from(VOCAB))
        return word, lambda e: anywhere(e, words(word), False)
    if kind == "phrase":
        a, b = draw(st.sampled_from(VOCAB)), draw(st.sampled_from(VOCAB))
        if draw(st.booleans()):  # the end of one field and the start of the next: never a match
            a, b = draw(st.sampled_from(CROSS_FIELD))
        return f'"{a} {b}"', lambda e: anywhere(e, words(f"{a} {b}"), False)
    if kind == "prefix":
        stem = draw(st.sampled_from(["ti", "re", "time", "caf", "req-4", "οδ", "we"]))
        return f"{stem}*", lambda e: anywhere(e, words(stem), True)
    if kind == "message":
        a, b = draw(st.sampled_from(VOCAB)), draw(st.sampled_from(VOCAB))
        if draw(st.booleans()):
            return f"message:{a}", lambda e: has_words(e.message, words(a), False)
        return f'message:"{a} {b}"', lambda e: has_words(e.message, words(f"{a} {b}"), False)
    if kind == "service":
        value = draw(st.sampled_from([*SERVICES, "au"]))
        if draw(st.booleans()):
            return f"service:{value}*", lambda e: e.service.startswith(value)
        return f"service:{value}", lambda e: e.service == value
    if kind == "level":
        level = draw(st.sampled_from(LEVELS))
        return f"level:{level.lower()}", lambda e: e.level == level
    if kind == "rank":
        op, level = draw(st.sampled_from(list(OPS))), draw(st.sampled_from(LEVELS))
        return f"level{op}{level}", lambda e: OPS[op](LEVEL_RANK[e.level], LEVEL_RANK[level])
    if kind == "user":
        value = draw(st.sampled_from([*USERS, "user"]))
        if draw(st.booleans()):
            return f"user_id:{value}*", lambda e: e.user_id is not None and e.user_id.startswith(value)
        return f"user_id:{value}", lambda e: e.user_id == value
    if kind == "meta":
        key = draw(st.sampled_from(META_KEYS))
        value = draw(st.sampled_from(["req-1", "eu", "eu-west", "3", "true", "false", "1.5", "0"]))
        if draw(st.booleans()):
            return f"metadata.{key}:{value}*", lambda e: meta_prefix(meta(e, key), value)
        return f"metadata.{key}:{value}", lambda e: meta_equals(meta(e, key), value)
    key = draw(st.sampled_from(META_KEYS))
    op, number = draw(st.sampled_from(list(OPS))), draw(st.sampled_from([-1, 0, 1.5, 3, 10]))

    def compare(e: Entry) -> bool:
        value = meta(e, key)
        return isinstance(value, int | float) and not isinstance(value, bool) and OPS[op](value, number)

    return f"metadata.{key}{op}{number}", compare


def combine(children: st.SearchStrategy[tuple[str, Predicate]]) -> st.SearchStrategy[tuple[str, Predicate]]:
    def both(kind: str) -> Callable[[tuple[tuple[str, Predicate], tuple[str, Predicate]]], tuple[str, Predicate]]:
        def build(pair: tuple[tuple[str, Predicate], tuple[str, Predicate]]) -> tuple[str, Predicate]:
            (ta, pa), (tb, pb) = pair
            if kind == "and":
                return f"({ta} {tb})", lambda e: pa(e) and pb(e)
            return f"({ta} OR {tb})", lambda e: pa(e) or pb(e)

        return build

    def negate(child: tuple[str, Predicate], word: bool) -> tuple[str, Predicate]:
        text, predicate = child
        return (f"NOT {text}" if word else f"-{text}"), lambda e: not predicate(e)

    return st.one_of(
        st.tuples(children, children).map(both("and")),
        st.tuples(children, children).map(both("or")),
        st.builds(negate, children, st.booleans()),
    )


queries = st.recursive(leaves(), combine, max_leaves=5)

metadata_values = st.one_of(
    st.sampled_from(["req-1", "req-12", "eu", "eu-west", "3", "true"]),
    st.sampled_from(["Connection refused", "TIMEOUT: retry", "CAFÉ west", "a\nΟΔΟΣ", "x\x00timeout", "req-42/a1"]),
    st.integers(-2, 12),
    st.sampled_from([1.5, 0.0, 3.0, 10.25]),
    st.booleans(),
)


@st.composite
def entries(draw: st.DrawFn) -> list[Entry]:
    out = []
    for _ in range(draw(st.integers(0, 40))):
        message = ""
        for _ in range(draw(st.integers(1, 5))):
            message += draw(st.sampled_from(VOCAB)) + draw(st.sampled_from(SEPARATORS))
        metadata = draw(st.none() | st.dictionaries(st.sampled_from(META_KEYS), metadata_values, max_size=3))
        out.append(
            Entry(
                # a random order (every kind of late entry), and equal event times
                BASE_MS + draw(st.integers(0, 300_000) | st.sampled_from([0, 60_000, 60_001])),
                BASE_MS,
                "t",
                draw(st.sampled_from(LEVELS)),
                draw(st.sampled_from(SERVICES)),
                message.strip(),
                draw(st.none() | st.sampled_from(USERS)),
                metadata,
            )
        )
    return out
