"""Saved searches: a named query with its time range and the metadata fields Explore shows as columns.

The store keeps them (`SavedSearches`, both backends); this module says what a valid one is, so that the API and
anything else that writes one (the coming alert rules read them by name: `saved_query`) check the same things:
the query parses with the same parser as a search or a stats query (pipeline stages included), the range is one
the API takes (relative like `1h`, or RFC 3339), and every length and count is bounded.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from ..model import iso_from_ms
from .params import parse_time
from .pipeline import Pipeline, parse_pipeline
from .query import MAX_QUERY_LENGTH, QueryError

MAX_SAVED_SEARCHES = 500  # per store: a POST beyond it is refused
MAX_NAME_LENGTH = 100
MAX_COLUMNS = 20
MAX_COLUMN_LENGTH = 100
MAX_RANGE_LENGTH = 64
# a name is shown in lists and used in URLs (/api/saved-searches/<name>, /explore?saved=<name>): no slash, no
# control characters, no spaces at either end
_NAME_FORBIDDEN = re.compile(r"[/\x00-\x1f\x7f]")
_COLUMN = re.compile(r"metadata\.[^\x00-\x1f\x7f]+")


class SavedSearchError(ValueError):
    """A saved search that cannot be stored as given (the API's 400); `field` names the part that is wrong."""

    def __init__(self, message: str, field: str, column: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.column = column


class SavedSearchConflict(RuntimeError):
    """Another saved search has the name (409), or the store holds MAX_SAVED_SEARCHES already (also 409)."""


@dataclass(frozen=True, slots=True)
class SavedSpec:
    """What a client gives: a name, a query, a range (`from`/`to` as the search API takes them; "" is open) and the
    metadata fields shown as columns."""

    name: str
    query: str
    from_: str = ""
    to: str = ""
    columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: str
    name: str
    query: str
    from_: str
    to: str
    columns: tuple[str, ...]
    created_ms: int
    updated_ms: int

    @property
    def spec(self) -> SavedSpec:
        return SavedSpec(self.name, self.query, self.from_, self.to, self.columns)

    def pipeline(self) -> Pipeline:
        """The query parsed (it parsed when it was saved; the grammar only grows)."""
        return parse_pipeline(self.query)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "query": self.query,
            "from": self.from_,
            "to": self.to,
            "columns": list(self.columns),
            "created_at": iso_from_ms(self.created_ms),
            "updated_at": iso_from_ms(self.updated_ms),
        }


class SavedSearches(Protocol):
    """Saved searches in the store. Names are unique (a write that would repeat one raises SavedSearchConflict)."""

    def list_saved(self) -> list[SavedSearch]:
        """Every saved search, by name."""
        ...

    def saved_by_name(self, name: str) -> SavedSearch | None: ...
    def saved_by_id(self, saved_id: str) -> SavedSearch | None: ...

    def add_saved(self, spec: SavedSpec, now_ms: int) -> SavedSearch:
        """Store a new saved search; SavedSearchConflict when its name is taken or the store is full."""
        ...

    def replace_saved(self, saved_id: str, spec: SavedSpec, now_ms: int) -> SavedSearch | None:
        """Overwrite (and maybe rename) one; None when no saved search has that id; SavedSearchConflict when the
        new name is another's."""
        ...

    def delete_saved(self, saved_id: str) -> bool: ...


class SavedSearchHolder(Protocol):
    @property
    def saved_searches(self) -> SavedSearches: ...


def new_id() -> str:
    """A saved search's id: 16 hex digits, the same on every backend (and exact in JavaScript, unlike an integer
    id of ClickHouse's 64 bits)."""
    return uuid.uuid4().hex[:16]


def find(saved: SavedSearches, key: str) -> SavedSearch | None:
    """A saved search by name, else by id (what /api/saved-searches/<key> and /explore?saved=<key> take)."""
    return saved.saved_by_name(key) or saved.saved_by_id(key)


def saved_query(holder: SavedSearchHolder, name: str) -> SavedSearch:
    """The saved search of that name, for a caller that refers to one by name (the alert rules); KeyError when
    there is none. Its `pipeline()` is the parsed query, `from_`/`to` its range as the search API reads them."""
    found = holder.saved_searches.saved_by_name(name)
    if found is None:
        raise KeyError(f"no saved search named {name!r}")
    return found


def validate(body: Any, now_ms: int) -> SavedSpec:
    """A client's JSON object as a SavedSpec; SavedSearchError naming the field that is wrong."""
    if not isinstance(body, dict):
        raise SavedSearchError(f"the body must be a JSON object, got {type(body).__name__}", "body")
    unknown = sorted(set(body) - {"name", "query", "from", "to", "columns"})
    if unknown:
        raise SavedSearchError(
            f"unknown field(s): {', '.join(unknown)}; a saved search has name, query, from, to, columns", unknown[0]
        )
    name = _text(body, "name", MAX_NAME_LENGTH, required=True).strip()
    if not name:
        raise SavedSearchError("name must not be empty", "name")
    if name in (".", ".."):  # a URL path segment that clients resolve away (/api/saved-searches/..)
        raise SavedSearchError(f"name must not be {name!r}", "name")
    bad = _NAME_FORBIDDEN.search(name)
    if bad:
        raise SavedSearchError(f"name must not contain {bad.group()!r} (no '/' and no control characters)", "name")
    query = _text(body, "query", MAX_QUERY_LENGTH, required=True)
    try:
        parse_pipeline(query)
    except QueryError as exc:
        raise SavedSearchError(str(exc), "query", exc.column) from None
    from_, to = (_text(body, key, MAX_RANGE_LENGTH).strip() for key in ("from", "to"))
    bounds = [_bound(key, value, now_ms) for key, value in (("from", from_), ("to", to))]
    if bounds[0] is not None and bounds[1] is not None and bounds[0] >= bounds[1]:
        raise SavedSearchError("from must be earlier than to", "from")
    return SavedSpec(name, query, from_, to, _columns(body.get("columns", [])))


def _text(body: dict[str, Any], key: str, most: int, *, required: bool = False) -> str:
    if key not in body and not required:
        return ""
    value = body.get(key)
    if not isinstance(value, str):
        raise SavedSearchError(f"{key} must be a string", key)
    if len(value) > most:
        raise SavedSearchError(f"{key} is longer than {most} characters", key)
    return value


def _bound(key: str, value: str, now_ms: int) -> int | None:
    if value == "":
        return None
    try:
        return parse_time(value, now_ms)
    except ValueError as exc:
        raise SavedSearchError(f"{key}: {exc}", key) from None


def _columns(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise SavedSearchError("columns must be a list of field names (metadata.KEY)", "columns")
    if len(value) > MAX_COLUMNS:
        raise SavedSearchError(f"columns names more than {MAX_COLUMNS} fields", "columns")
    for column in value:
        if len(column) > MAX_COLUMN_LENGTH or not _COLUMN.fullmatch(column):
            raise SavedSearchError(
                f"column {column[:MAX_COLUMN_LENGTH]!r} is not a metadata field (metadata.KEY, at most"
                f" {MAX_COLUMN_LENGTH} characters)",
                "columns",
            )
    if len(set(value)) != len(value):
        raise SavedSearchError("columns names a field twice", "columns")
    return tuple(value)
