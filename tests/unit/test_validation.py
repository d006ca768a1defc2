from __future__ import annotations

from typing import Any

import pytest

from loglens.model import Entry, iso_from_ms, minute_key, parse_timestamp_ms
from loglens.validation import StatsDelta, Undecodable, Validator, load_schema

VALID = {"timestamp": "2024-01-15T14:30:00+00:00", "level": "ERROR", "service": "auth", "message": "failed"}


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def test_schema_is_draft_2020_12_without_additional_properties() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["timestamp", "level", "service", "message"]


def test_valid_entry_becomes_normalised_entry(validator: Validator) -> None:
    delta = StatsDelta()
    entry = validator.check({**VALID, "user_id": "u", "metadata": {"a": 1}}, 123, delta)
    assert isinstance(entry, Entry)
    assert entry.ts_ms == 1705329000000 and entry.received_ms == 123 and entry.is_error
    assert entry.metadata == {"a": 1} and (delta.valid, delta.invalid) == (1, 0)


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"level": "FATAL"}, "enum"),
        ({"service": ""}, "minLength"),
        ({"message": ""}, "minLength"),
        ({"timestamp": "2024-13-45T00:00:00Z"}, "format"),
        ({"timestamp": "not a date"}, "format"),
        ({"extra": 1}, "additionalProperties"),
        ({"user_id": 5}, "type"),
        ({"metadata": []}, "type"),
        ({"metadata": {"processing_time_ms": -1}}, "minimum"),
    ],
)
def test_rejections_are_counted_by_keyword(validator: Validator, change: dict[str, Any], kind: str) -> None:
    delta = StatsDelta()
    problems = validator.check({**VALID, **change}, 0, delta)
    assert isinstance(problems, list) and problems
    assert [p.kind for p in problems] == [kind]
    assert delta.invalid == 1 and delta.error_types == {kind: 1}


def test_missing_fields_count_required_once_per_entry(validator: Validator) -> None:
    delta = StatsDelta()
    problems = validator.check({"level": "INFO"}, 0, delta)
    assert isinstance(problems, list) and len(problems) == 3
    assert delta.error_types == {"required": 1}


def test_undecodable_items_are_rejected_as_json(validator: Validator) -> None:
    delta = StatsDelta()
    problems = validator.check(Undecodable("line 3 is not JSON"), 0, delta)
    assert isinstance(problems, list) and problems[0].kind == "json" and delta.error_types == {"json": 1}


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2024-01-15T14:30:00Z", 1705329000000),
        ("2024-01-15t14:30:00z", 1705329000000),
        ("2024-01-15T16:30:00.250+02:00", 1705329000250),
        ("2024-01-15 14:30:00+00:00", 1705329000000),
    ],
)
def test_timestamps_normalise_to_utc_ms(text: str, ms: int) -> None:
    assert parse_timestamp_ms(text) == ms


def test_time_keys() -> None:
    assert minute_key(1705329000000 // 60000) == "2024-01-15T14:30"
    assert iso_from_ms(1705329000250) == "2024-01-15T14:30:00.250Z"


def test_check_many_keeps_valid_entries_and_reports_each_rejected_item(validator: Validator) -> None:
    items: list[Any] = [
        VALID,
        {**VALID, "user_id": "u1", "metadata": {"k": [1, 2]}},
        {"level": "INFO"},
        Undecodable("not valid JSON"),
        [1, 2],
        {**VALID, "timestamp": "2016-12-31T23:59:60Z"},  # a leap second: the format allows it, datetime does not
        {**VALID, "level": "LOUD"},
        {**VALID, "service": "second", "timestamp": "2024-01-15t14:30:00z"},
    ]
    delta = StatsDelta()
    entries, rejected = validator.check_many(items, 7, delta)
    assert [(e.service, e.ts_ms, e.received_ms, e.user_id, e.metadata) for e in entries] == [
        ("auth", 1705329000000, 7, None, None),
        ("auth", 1705329000000, 7, "u1", {"k": [1, 2]}),
        ("second", 1705329000000, 7, None, None),
    ]
    assert [(i, [p.kind for p in problems]) for i, problems in rejected] == [
        (2, ["required", "required", "required"]),
        (3, ["json"]),
        (4, ["type"]),
        (5, ["format"]),
        (6, ["enum"]),
    ]
    assert (delta.valid, delta.invalid) == (3, 5)
    assert delta.error_types == {"required": 1, "json": 1, "type": 1, "format": 1, "enum": 1}
