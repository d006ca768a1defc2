"""Silences: matchers over an alert's rule, service, severity and labels, held from a start to an end.

A silenced alert keeps its state and history; only its notifications are held (the delivery loop asks
`silencing`). A silence is pending before its start, active from its start (included) to its end (excluded),
expired after. Matchers are `=` (equal) or `=~` (the whole value matches an RE2 regular expression: linear time
whatever the pattern, and the syntax Alertmanager uses). Every matcher of a silence must match. Severity compares
without regard to case (the built-in rules say CRITICAL, a config may say critical). A name `labels.KEY` matches
the alert's label KEY; an alert without that label has the value "" there, as in Alertmanager.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import re2

from ..model import iso_from_ms

Op = Literal["=", "=~"]
OPS: tuple[Op, ...] = ("=", "=~")
FIELDS = ("rule", "service", "severity")
LABEL_PREFIX = "labels."
MAX_MATCHERS = 20
SET_MAX_MEM = 64 << 20  # the automaton of all active silences' patterns on one field
MAX_OPEN = 1000  # silences active or pending at once (POST /api/silences refuses more): each check reads them all
MAX_VALUE_CHARS = 1000
MAX_NAME_CHARS = 200
SilenceState = Literal["pending", "active", "expired"]
STATES: tuple[SilenceState, ...] = ("pending", "active", "expired")


class SilenceError(ValueError):
    """A silence or matcher that cannot be: the message says what to change (the API answers 400 with it)."""


def _options(case_sensitive: bool) -> Any:
    options = re2.Options()
    options.log_errors = False  # a bad pattern is the client's error, answered 400; not a line in the server log
    options.case_sensitive = case_sensitive
    options.max_mem = 1 << 20  # a pattern that needs more than 1 MiB of automaton is refused, not built
    return options


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str  # rule, service, severity, or labels.KEY
    op: Op
    value: str
    _pattern: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.name not in FIELDS and not (self.name.startswith(LABEL_PREFIX) and len(self.name) > len(LABEL_PREFIX)):
            raise SilenceError(
                f"a matcher's name must be one of {', '.join(FIELDS)} or labels.<key>, got {self.name[:100]!r}"
            )
        if len(self.name) > MAX_NAME_CHARS:
            raise SilenceError(f"a matcher's name is longer than {MAX_NAME_CHARS} characters")
        if self.op not in OPS:
            raise SilenceError(f"a matcher's op must be = or =~, got {str(self.op)[:20]!r}")
        if len(self.value) > MAX_VALUE_CHARS:
            raise SilenceError(f"the value of matcher {self.name} is longer than {MAX_VALUE_CHARS} characters")
        if self.op == "=~":
            try:
                pattern = re2.compile(self.value, _options(self.name != "severity"))
            except re2.error as exc:
                reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else exc
                raise SilenceError(f"the regular expression of matcher {self.name} is invalid: {reason}") from None
            object.__setattr__(self, "_pattern", pattern)

    def matches(self, alert: Mapping[str, Any]) -> bool:
        value = field_value(alert, self.name)
        if self._pattern is not None:
            return self._pattern.fullmatch(value) is not None
        if self.name == "severity":
            return value.casefold() == self.value.casefold()
        return value == self.value

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "op": self.op, "value": self.value}

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value}"


def field_value(alert: Mapping[str, Any], name: str) -> str:
    """What a matcher named `name` compares in an alert's dict: a field, or a label ("" when it has none)."""
    if name.startswith(LABEL_PREFIX):
        labels = alert.get("labels") or {}
        found = labels.get(name[len(LABEL_PREFIX) :], "") if isinstance(labels, Mapping) else ""
    else:
        found = alert.get(name, "")
    return "" if found is None else str(found)


def matcher_from(raw: Any) -> Matcher:
    """A matcher from its JSON form {"name": ..., "op": "=" or "=~" (default =), "value": ...}."""
    if not isinstance(raw, Mapping):
        raise SilenceError(f"a matcher is an object with name, op and value, got {type(raw).__name__}")
    unknown = sorted(set(raw) - {"name", "op", "value"})
    if unknown:
        raise SilenceError(f"unknown matcher field(s): {', '.join(str(u)[:50] for u in unknown)}")
    name, op, value = raw.get("name"), raw.get("op", "="), raw.get("value")
    if not isinstance(name, str) or not isinstance(value, str) or not isinstance(op, str):
        raise SilenceError("a matcher's name, op and value are strings")
    return Matcher(name, op, value)  # type: ignore[arg-type]  # checked in __post_init__


def matchers_from(raw: Any) -> tuple[Matcher, ...]:
    if not isinstance(raw, list) or not raw:
        raise SilenceError(
            "matchers must be a non-empty list: a silence of nothing in particular would hold every alert"
        )
    if len(raw) > MAX_MATCHERS:
        raise SilenceError(f"a silence has at most {MAX_MATCHERS} matchers, got {len(raw)}")
    matchers = tuple(matcher_from(m) for m in raw)
    if all(m.matches({}) for m in matchers):
        raise SilenceError("every matcher matches the empty value, so the silence would hold every alert")
    return matchers


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at_ms: int
    ends_at_ms: int  # excluded
    comment: str
    created_by: str
    created_at_ms: int
    expired_by: str | None = None  # who expired it early (DELETE), None when it ran its course

    def state(self, now_ms: int) -> SilenceState:
        if now_ms < self.starts_at_ms:
            return "pending"
        return "active" if now_ms < self.ends_at_ms else "expired"

    def covers(self, alert: Mapping[str, Any], now_ms: int) -> bool:
        return self.state(now_ms) == "active" and all(m.matches(alert) for m in self.matchers)

    def summary(self) -> dict[str, Any]:
        """What an alert it covers shows of it (`silenced_by`)."""
        return {
            "id": self.id,
            "created_by": self.created_by,
            "comment": self.comment,
            "ends_at": iso_from_ms(self.ends_at_ms),
        }

    def to_dict(self, now_ms: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "matchers": [m.to_dict() for m in self.matchers],
            "starts_at": iso_from_ms(self.starts_at_ms),
            "ends_at": iso_from_ms(self.ends_at_ms),
            "comment": self.comment,
            "created_by": self.created_by,
            "created_at": iso_from_ms(self.created_at_ms),
            "expired_by": self.expired_by,
            "state": self.state(now_ms),
        }


class ActiveSilences:
    """The silences active at one moment, indexed so that finding the one that covers an alert costs about the same
    for 1 or 1,000 silences: equality matchers by (name, value), and each field's regular expressions compiled
    together into one RE2 set, matched once per field of the alert. A silence covers an alert when all of its
    matchers hit."""

    def __init__(self, silences: Iterable[Silence], now_ms: int) -> None:
        self.silences = [s for s in silences if s.state(now_ms) == "active"]
        self._equal: dict[tuple[str, str], list[int]] = {}  # (name, value) -> silence index, once per matcher
        self._sets: dict[str, tuple[Any, list[int]]] = {}  # name -> (its RE2 set, silence index of each pattern)
        patterns: dict[str, list[tuple[str, int]]] = {}
        for index, silence in enumerate(self.silences):
            for m in silence.matchers:
                if m.op == "=":
                    self._equal.setdefault((m.name, _folded(m.name, m.value)), []).append(index)
                else:
                    patterns.setdefault(m.name, []).append((m.value, index))
        for name, group in patterns.items():
            options = _options(name != "severity")
            options.max_mem = SET_MAX_MEM
            compiled = re2.Set.FullMatchSet(options)
            for pattern, _ in group:
                compiled.Add(pattern)
            compiled.Compile()
            self._sets[name] = (compiled, [index for _, index in group])
        self._names = {name for name, _ in self._equal} | set(self._sets)

    def covering(self, alert: Mapping[str, Any]) -> Silence | None:
        """The active silence that covers `alert`; of several, the one that ends last, ties by id."""
        hits: dict[int, int] = {}  # silence index -> its matchers that hit
        for name in self._names:
            value = field_value(alert, name)
            for index in self._equal.get((name, _folded(name, value)), ()):
                hits[index] = hits.get(index, 0) + 1
            found = self._sets.get(name)
            if found is not None:
                for k in found[0].Match(value) or ():
                    hits[found[1][k]] = hits.get(found[1][k], 0) + 1
        best: Silence | None = None
        for index, count in hits.items():
            silence = self.silences[index]
            if count == len(silence.matchers) and (
                best is None or (silence.ends_at_ms, silence.id) > (best.ends_at_ms, best.id)
            ):
                best = silence
        return best


def _folded(name: str, value: str) -> str:
    return value.casefold() if name == "severity" else value


def silencing(silences: Iterable[Silence], alert: Mapping[str, Any], now_ms: int) -> Silence | None:
    """The active silence that covers `alert` (a dict with rule, service, severity and optionally labels) at
    `now_ms`; of several, the one that ends last (notifications resume then), ties by id. None: not silenced."""
    return ActiveSilences(silences, now_ms).covering(alert)


def mark(alerts: Iterable[dict[str, Any]], silences: Iterable[Silence], now_ms: int) -> list[dict[str, Any]]:
    """The alerts (their to_dict() form), each with `silenced_by`: the summary of the silence that covers it now
    when it is firing, else None (a resolved alert notifies no one any more)."""
    active = ActiveSilences(silences, now_ms)
    out = []
    for alert in alerts:
        covering = active.covering(alert) if alert.get("state") == "firing" else None
        out.append({**alert, "silenced_by": covering.summary() if covering is not None else None})
    return out
