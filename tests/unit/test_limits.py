"""Ingest limits in the validator: depth, key count, string length, NUL in identifiers, entry size, services."""

from __future__ import annotations

from typing import Any

import pytest

from loglens.model import Entry
from loglens.validation import Limits, ServiceGate, StatsDelta, Validator, excerpt, shorten

VALID = {"timestamp": "2024-01-15T14:30:00+00:00", "level": "INFO", "service": "auth", "message": "ok"}
SMALL = Limits(max_entry_bytes=1000, max_metadata_depth=3, max_metadata_keys=4, max_string_chars=50)


def nested(depth: int, leaf: Any = 1) -> Any:
    """An object `depth` levels deep ({"k": {"k": ... leaf}}), the outermost being level 1."""
    value = leaf
    for _ in range(depth):
        value = {"k": value}
    return value


def kinds(validator: Validator, entry: Any) -> list[str]:
    result = validator.check(entry, 0, StatsDelta())
    return [] if isinstance(result, Entry) else [p.kind for p in result]


@pytest.fixture(scope="module")
def small() -> Validator:
    return Validator(limits=SMALL)


def test_metadata_up_to_the_depth_limit_is_accepted(small: Validator) -> None:
    assert kinds(small, {**VALID, "metadata": nested(3)}) == []
    assert kinds(small, {**VALID, "metadata": {"a": [{"b": 1}]}}) == []  # arrays count as levels too


@pytest.mark.parametrize("metadata", [nested(4), {"a": [[[1]]]}, {"a": {"b": [[]]}}])
def test_rejects_metadata_deeper_than_the_limit(small: Validator, metadata: Any) -> None:
    problems = small.check({**VALID, "metadata": metadata}, 0, StatsDelta())
    assert isinstance(problems, list)
    assert [p.kind for p in problems] == ["max_metadata_depth"]
    assert "ingest.max_metadata_depth (3" in problems[0].message


def test_metadata_nested_past_what_json_encoders_allow_is_a_rejection_not_a_crash() -> None:
    validator = Validator()  # default limits: 16 levels
    delta = StatsDelta()
    entries, rejected = validator.check_many([{**VALID, "metadata": nested(300)}, VALID], 0, delta)
    assert len(entries) == 1 and [i for i, _ in rejected] == [0]
    assert rejected[0][1][0].kind == "max_metadata_depth"
    assert delta.error_types == {"max_metadata_depth": 1}


def test_rejects_an_object_with_too_many_keys_at_any_depth(small: Validator) -> None:
    assert kinds(small, {**VALID, "metadata": {str(i): i for i in range(4)}}) == []
    problems = small.check({**VALID, "metadata": {"a": {str(i): i for i in range(5)}}}, 0, StatsDelta())
    assert isinstance(problems, list) and [p.kind for p in problems] == ["max_metadata_keys"]
    assert "metadata/a: 5 keys, over ingest.max_metadata_keys (4)" in problems[0].message


@pytest.mark.parametrize(
    "change",
    [
        {"message": "m" * 51},
        {"user_id": "u" * 51},
        {"metadata": {"note": "n" * 51}},
        {"metadata": {"k" * 51: 1}},
        {"metadata": {"list": ["ok", "x" * 51]}},
        {"metadata": {"request_id": "r" * 51}},
    ],
)
def test_rejects_strings_longer_than_the_limit_anywhere(small: Validator, change: dict[str, Any]) -> None:
    problems = small.check({**VALID, **change}, 0, StatsDelta())
    assert isinstance(problems, list)
    assert "max_string_chars" in [p.kind for p in problems]
    assert any("ingest.max_string_chars (50)" in p.message for p in problems)


def test_problems_quote_only_a_short_excerpt_of_a_huge_value() -> None:
    validator = Validator(limits=Limits(max_string_chars=10**7))  # only the schema's own 65,536 applies
    problems = validator.check({**VALID, "message": "x" * 1_000_000, "extra" * 10_000: 1}, 0, StatsDelta())
    assert isinstance(problems, list) and {p.kind for p in problems} == {"maxLength", "additionalProperties"}
    assert all(len(p.message) <= 300 for p in problems)
    assert any("is longer than 65536 characters" in p.message for p in problems)


def test_excerpt_and_shorten_are_bounded() -> None:
    assert len(excerpt("x" * 10**6)) < 80
    assert len(excerpt({"a": [list(range(1000))] * 100})) < 200
    assert shorten("short") == "short"
    long = shorten("a" * 5000 + " is too long")
    assert len(long) <= 240 and long.endswith("is too long")


@pytest.mark.parametrize("field", ["service", "user_id"])
def test_rejects_nul_in_identifiers(small: Validator, field: str) -> None:
    problems = small.check({**VALID, field: "a\x00b"}, 0, StatsDelta())
    assert isinstance(problems, list) and [p.kind for p in problems] == ["nul_character"]
    assert f"{field}: must not contain NUL" in problems[0].message


def test_nul_in_message_and_metadata_is_kept(small: Validator) -> None:
    entry = small.check({**VALID, "message": "before\x00after", "metadata": {"k": "a\x00b"}}, 0, StatsDelta())
    assert isinstance(entry, Entry) and entry.message == "before\x00after" and entry.metadata == {"k": "a\x00b"}


def test_entry_size_is_measured_unless_the_caller_did() -> None:
    validator = Validator(limits=Limits(max_entry_bytes=200))
    big = {**VALID, "metadata": {f"k{i}": "v" * 20 for i in range(8)}}
    entries, rejected = validator.check_many([big], 0, StatsDelta())
    assert not entries and rejected[0][1][0].kind == "max_entry_bytes"
    assert "over ingest.max_entry_bytes (200)" in rejected[0][1][0].message
    entries, rejected = validator.check_many([big], 0, StatsDelta(), sized=True)
    assert len(entries) == 1 and not rejected


def test_integers_past_64_bits_are_rejected_not_stored() -> None:
    entries, rejected = Validator().check_many([{**VALID, "metadata": {"n": 2**70}}], 0, StatsDelta())
    assert not entries and rejected[0][1][0].kind == "type"


class Names:
    """What the store would list: names added by hand."""

    def __init__(self, *names: str) -> None:
        self.names = list(names)

    def __call__(self) -> list[str]:
        return list(self.names)


def test_service_gate_admits_up_to_the_cap_then_refuses_new_names() -> None:
    gate = ServiceGate(Names("a"), 3, refresh_seconds=3600)
    assert [gate.admit(s) for s in ("a", "b", "c", "d", "b")] == [True, True, True, False, True]
    assert "ingest.max_services (3)" in gate.refusal("d")


def test_service_gate_counts_services_other_processes_stored() -> None:
    now = [0.0]
    stored = Names("a")
    gate = ServiceGate(stored, 3, refresh_seconds=1.0, clock=lambda: now[0])
    stored.names += ["x", "y"]  # another worker process admitted two services
    now[0] = 2.0
    assert not gate.admit("b")
    assert gate.admit("x")


def test_validator_rejects_entries_of_services_past_the_cap() -> None:
    validator = Validator(services=ServiceGate(Names(), 2))
    items = [{**VALID, "service": s} for s in ("s1", "s2", "s3", "s1")]
    delta = StatsDelta()
    entries, rejected = validator.check_many(items, 0, delta)
    assert [e.service for e in entries] == ["s1", "s2", "s1"]
    assert [i for i, _ in rejected] == [2] and rejected[0][1][0].kind == "max_services"
    assert delta.error_types == {"max_services": 1} and (delta.valid, delta.invalid) == (3, 1)
