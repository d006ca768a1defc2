"""SQLite's word index decides a bare word (or prefix) of ASCII letters exactly (store/sqlite/index_words.py), so
the rows it names are not checked again: its search, match count and histogram equal brute force through the index,
for words next to digits, underscores and non-ASCII letters, and for text whose lowercase differs from SQLite's
(the Kelvin sign, 'İ', combining marks, digits of other scripts)."""

from __future__ import annotations

import sqlite3
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loglens.model import LEVELS, Entry
from loglens.search.pipeline import parse_pipeline
from loglens.search.query import parse
from loglens.search.stats import answer
from loglens.store.sqlite import SQLiteStore
from loglens.store.sqlite.indexer import INDEX_SUFFIX, indexed_through
from loglens.store.sqlite.migrations.fragments import SEARCH_TEXT_V18
from loglens.validation import StatsDelta
from tests.support.search_oracle import BASE_MS, Predicate, anywhere, has_words, words

# Texts that hold `shipped` as one of their words, or only next to something that makes another word of it.
TRICKY = [
    "shipped",
    "Shipped",
    "SHIPPED",
    "shipped2",  # a digit after: the word is `shipped2`
    "7shipped",
    "abc7shipped",
    "shipped_x",  # an underscore ends a word: `shipped`, `x`
    "x_shipped",
    "shippedé",  # a non-ASCII letter after: the word is `shippedé`
    "éshipped",
    "\u0130shipped",  # 'İ' lowers to 'i' and a combining dot, which ends the word: `i`, `shipped`
    "\u212aelvin",  # the Kelvin sign lowers to an ASCII `k`: the word `kelvin`
    "shipped\u0301",  # a combining acute accent is no letter: `shipped`
    "\u017fhipped",  # the long s is a letter of its own (case folding makes it `s`; lower() does not)
    "shipped\u0663",  # an Arabic-Indic digit after: the word is `shipped٣`
    "\u0663shipped",
    "\uff33\uff28\uff29\uff30\uff30\uff25\uff24",  # fullwidth letters: no ASCII word
    "x\x00shipped",
    "ship",
    "shipment",
    "order 42 shipped",
    "req-00c0ffee",
]
QUERIES = [
    "shipped",
    "kelvin",
    "i",
    "ship",
    "x",
    "abc",
    "req",
    "shipped level:ERROR",
    "shipped -level:INFO",
    "shipped OR ship",
    "NOT shipped",
    "ship*",
    "shipp*",
    "caf*",  # `café`: its leading ASCII letters
    "k*",
    '"order shipped"',
    "message:shipped",
    "shipped2",
]


def _matches(query: str) -> Predicate:
    """The brute-force predicate of the few query shapes above (tests/support/search_oracle.py's rules)."""
    level: Predicate | None = None
    negate = query.startswith("NOT ")
    text = query.removeprefix("NOT ")
    if text == "shipped level:ERROR":
        text, level = "shipped", lambda e: e.level == "ERROR"
    elif text == "shipped -level:INFO":
        text, level = "shipped", lambda e: e.level != "INFO"
    if text == "shipped OR ship":
        return lambda e: anywhere(e, ["shipped"], False) or anywhere(e, ["ship"], False)
    if text.startswith("message:"):
        return lambda e: has_words(e.message, words(text[len("message:") :]), False)
    prefix = text.endswith("*")
    wanted = words(text.strip('"*'))

    def predicate(e: Entry) -> bool:
        found = anywhere(e, wanted, prefix) and (level is None or level(e))
        return not found if negate else found

    return predicate


pieces = st.sampled_from([*TRICKY, "plain", "", "-", " "])
identifiers = st.sampled_from([t for t in TRICKY if "\x00" not in t])  # service and user_id hold no NUL (validation)


@st.composite
def tricky_entries(draw: st.DrawFn) -> list[Entry]:
    out = []
    for i in range(draw(st.integers(1, 40))):
        message = " ".join(draw(st.lists(pieces, min_size=1, max_size=3)))
        metadata = draw(
            st.none()
            | st.dictionaries(
                st.sampled_from(["a", "b", "shipped"]),  # a key is no word of the entry
                pieces | st.integers(0, 9) | st.just({"nested": "shipped"}) | st.just(["shipped"]),
                max_size=2,
            )
        )
        out.append(
            Entry(
                BASE_MS + draw(st.integers(0, 7_200_000)),
                BASE_MS + i,
                "t",
                draw(st.sampled_from(LEVELS)),
                draw(st.sampled_from(["svc", "shipped-svc", "svc7shipped"]) | identifiers),
                message,
                draw(st.none() | identifiers),
                metadata,
            )
        )
    return out


def _search_ids(store: SQLiteStore, query: str) -> list[int]:
    got: list[int] = []
    after = None
    while True:
        page = store.search(parse(query), limit=7, after=after)
        got += [log["id"] for log in page.logs]
        if page.next is None:
            return got
        after = page.next


def _histogram(store: SQLiteStore, query: str) -> Counter[tuple[int, str]]:
    """(minute, level) -> count of `query | timechart span=1m count() by level` over the entries' two hours."""
    got = answer(
        store,
        parse_pipeline(f"{query} | timechart span=1m count() by level"),
        BASE_MS,
        BASE_MS + 7_200_001,
        max_buckets=200,
    )
    counts: Counter[tuple[int, str]] = Counter()
    for series in got.series:
        for time, value in zip(got.times, series["values"], strict=True):
            if value:
                counts[(time, str(series["group"]))] += value
    return counts


@pytest.mark.parametrize("where", ["file", "memory"])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=tricky_entries(), indexed_commits=st.integers(0, 4))
def test_a_bare_word_is_exact_through_the_index(
    tmp_path: Path, where: str, batch: list[Entry], indexed_commits: int
) -> None:
    """Search pages, the match count and the histogram equal brute force, with some commits read through the
    index and the later ones beyond its mark (checked row by row), then all through it."""
    path = ":memory:" if where == "memory" else str(Path(tempfile.mkdtemp(dir=tmp_path)) / "store.db")
    store = SQLiteStore(path, index_interval=3600)  # the test decides what the index covers
    try:
        for n, k in enumerate(range(0, len(batch), 9)):
            store.write(batch[k : k + 9], StatsDelta(len(batch[k : k + 9])))
            if n + 1 == indexed_commits:
                store.refresh()
        for stage in ("partly indexed", "indexed"):
            if stage == "indexed":
                store.refresh()
                with store._connections.read() as conn:
                    assert indexed_through(conn) == len(batch)
            for query in QUERIES:
                predicate = _matches(query)
                matching = [i + 1 for i, e in enumerate(batch) if predicate(e)]
                newest_first = sorted(matching, key=lambda i: (batch[i - 1].ts_ms, i), reverse=True)
                assert _search_ids(store, query) == newest_first, (stage, query)
                assert store.count_matches(parse(query), None, None, 1000, 60.0) == len(matching), (stage, query)
                want = Counter((batch[i - 1].ts_ms // 60_000 * 60_000, batch[i - 1].level) for i in matching)
                assert _histogram(store, query) == want, (stage, query)
    finally:
        store.close()


def write_indexed(path: Path, entries: list[Entry]) -> None:
    """Store `entries` in a new SQLite store at `path` and index them all, then close it."""
    store = SQLiteStore(str(path), index_interval=3600)
    try:
        store.write(entries, StatsDelta(len(entries)))
        store.refresh()
    finally:
        store.close()


def test_the_index_alone_names_exactly_the_entries_holding_a_word_of_ascii_letters(tmp_path: Path) -> None:
    """What the check is dropped for: `search MATCH` of an ASCII-letter word names the entries whose message,
    service, user_id or top-level metadata strings hold it as a word (or a word starting with it, as a prefix), and
    no others."""
    path = tmp_path / "exact.db"
    entries = [
        Entry(BASE_MS + i, BASE_MS + i, "t", "INFO", "svc", text, None, {"k": text, "n": 7, "o": {"x": "shipped"}})
        for i, text in enumerate(TRICKY)
    ]
    write_indexed(path, entries)
    conn = sqlite3.connect(str(path) + INDEX_SUFFIX)
    try:
        for word in ("shipped", "kelvin", "i", "x", "ship", "abc", "req", "hipped", "elvin", "s", "e", "c"):
            for prefix in (False, True):
                term = f'"{word}"' + ("*" if prefix else "")
                named = {row[0] for row in conn.execute("SELECT rowid FROM search WHERE search MATCH ?", (term,))}
                assert named == {i + 1 for i, e in enumerate(entries) if anywhere(e, [word], prefix)}, term
    finally:
        conn.close()


def test_an_index_of_letter_runs_is_rebuilt_and_then_decides_words(tmp_path: Path) -> None:
    """An index file of version 2 (runs of letters, in which `shipped2` names `shipped`) is rebuilt in the
    background; until then every row is checked, so the answers are exact throughout."""
    path = tmp_path / "upgraded.db"
    entries = [
        Entry(BASE_MS + i * 1000, BASE_MS + i, "t", "INFO", "svc", text, None, None)
        for i, text in enumerate(["shipped", "shipped2", "abc7shipped", "Shipped now", "ship"])
    ]
    write_indexed(path, entries)
    conn = sqlite3.connect(path, isolation_level=None)  # the index as version 2 built it
    conn.execute("ATTACH DATABASE ? AS ix", (str(path) + INDEX_SUFFIX,))
    conn.execute("DROP TABLE ix.search")
    conn.execute(
        "CREATE VIRTUAL TABLE ix.search USING fts5(text, content='', detail='none', columnsize=0,"
        " tokenize=\"unicode61 remove_diacritics 0 categories 'L*'\")"
    )
    conn.execute(f"INSERT INTO ix.search (rowid, text) SELECT id, {SEARCH_TEXT_V18} FROM logs")
    conn.execute("PRAGMA ix.user_version = 2")
    assert len(conn.execute("SELECT rowid FROM ix.search WHERE search MATCH 'shipped'").fetchall()) == 4
    conn.close()

    store = SQLiteStore(str(path), index_interval=3600)  # the test runs the rebuild
    try:
        with store._connections.read() as conn:
            assert indexed_through(conn) == 0  # dropped: every row is checked one by one
        assert _search_ids(store, "shipped") == [4, 1]
        store.refresh()
        with store._connections.read() as conn:
            assert indexed_through(conn) == len(entries)
            assert {row[0] for row in conn.execute("SELECT rowid FROM search WHERE search MATCH 'shipped'")} == {1, 4}
        assert _search_ids(store, "shipped") == [4, 1]
        assert store.count_matches(parse("shipped"), None, None, 100, 60.0) == 2
        assert _histogram(store, "shipped") == Counter({(BASE_MS, "INFO"): 2})
    finally:
        store.close()
