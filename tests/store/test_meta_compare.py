"""A metadata comparison (`metadata.k>N`) matches JSON numbers only, on every backend: a string that reads as a
number, true and false (which SQLite's json_extract returns as 1 and 0), null, a nested object or array under the
key, and the key only inside a nested object never compare; its negation holds for all of them."""

from __future__ import annotations

from typing import Any

import pytest

from loglens.model import StatsDelta
from loglens.search.query import parse
from loglens.store import Store
from tests.support.entries import entry

# message -> the metadata of the entry that carries it
VALUES: dict[str, dict[str, Any] | None] = {
    "int-1995": {"v": 1995},
    "real-1995.5": {"v": 1995.5},
    "int-0": {"v": 0},
    "int-1": {"v": 1},
    "int-minus-3": {"v": -3},
    "true": {"v": True},
    "false": {"v": False},
    "text-1995": {"v": "1995"},
    "text-abc": {"v": "abc"},
    "null": {"v": None},
    "object": {"v": {"v": 1995}},
    "array": {"v": [1995]},
    "nested-only": {"w": {"v": 5000}},
    "other-key": {"w": 5000},
    "no-metadata": None,
}
NUMBERS = {"int-1995": 1995, "real-1995.5": 1995.5, "int-0": 0, "int-1": 1, "int-minus-3": -3}


@pytest.fixture
def filled(store: Store) -> Store:
    store.write([entry(i, message=name, metadata=m) for i, (name, m) in enumerate(VALUES.items())], StatsDelta(15))
    store.refresh()
    return store


def _matches(store: Store, text: str) -> set[str]:
    page = store.search(parse(text), limit=100)
    assert page.next is None
    return {log["message"] for log in page.logs}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metadata.v>1990", {"int-1995", "real-1995.5"}),
        ("metadata.v>1995", {"real-1995.5"}),
        ("metadata.v>=1995", {"int-1995", "real-1995.5"}),
        ("metadata.v>=1995.5", {"real-1995.5"}),
        ("metadata.v<1", {"int-0", "int-minus-3"}),
        ("metadata.v<2", {"int-0", "int-1", "int-minus-3"}),
        ("metadata.v<=1", {"int-0", "int-1", "int-minus-3"}),
        ("metadata.v>0", {"int-1995", "real-1995.5", "int-1"}),
        ("metadata.v>=0", {"int-1995", "real-1995.5", "int-0", "int-1"}),
        ("metadata.v<99999", set(NUMBERS)),
        ("metadata.v>-99999", set(NUMBERS)),
        ("metadata.w>1990", {"other-key"}),
    ],
)
def test_a_metadata_comparison_matches_json_numbers_only(filled: Store, text: str, expected: set[str]) -> None:
    assert _matches(filled, text) == expected


@pytest.mark.parametrize("text", ["metadata.v>1990", "metadata.v<2", "metadata.v>=0", "metadata.v<=1"])
def test_the_negation_of_a_comparison_holds_for_every_entry_it_does_not_match(filled: Store, text: str) -> None:
    assert _matches(filled, f"NOT {text}") == set(VALUES) - _matches(filled, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metadata.v:1995", {"int-1995", "text-1995"}),  # a value that reads as a number: the number or the text
        ("metadata.v:1995.5", {"real-1995.5"}),
        ("metadata.v:1", {"int-1"}),  # not true
        ("metadata.v:0", {"int-0"}),  # not false
        ("metadata.v:true", {"true"}),
        ("metadata.v:false", {"false"}),
        ("metadata.v:abc", {"text-abc"}),
    ],
)
def test_a_metadata_equality_keeps_numbers_booleans_and_text_apart(
    filled: Store, text: str, expected: set[str]
) -> None:
    assert _matches(filled, text) == expected


def test_a_comparison_and_an_equality_combine_exactly(filled: Store) -> None:
    assert _matches(filled, "metadata.v>1990 OR metadata.v:true") == {"int-1995", "real-1995.5", "true"}
    assert _matches(filled, "metadata.v>=0 metadata.v<=1") == {"int-0", "int-1"}
