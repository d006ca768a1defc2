"""Schema validation (JSON Schema Draft 2020-12 with format checks) and the per-batch stats delta."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema_rs

from .model import Entry, StatsDelta, parse_timestamp_ms

__all__ = ["Problem", "StatsDelta", "Undecodable", "Validator", "load_schema"]  # StatsDelta lives in model

MAX_ERRORS_PER_ENTRY = 20


def load_schema() -> dict[str, Any]:
    text = resources.files("loglens").joinpath("schemas/log_schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason an entry was rejected: the failing JSON Schema keyword and a readable message."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class Undecodable:
    """An item a wire format could not decode (e.g. an NDJSON line that is not JSON): rejected, and counted."""

    reason: str


class Validator:
    """Validates entries against the log schema and turns valid ones into `Entry` objects."""

    def __init__(self, schema: dict[str, Any] | None = None) -> None:
        self.schema = schema if schema is not None else load_schema()
        self._validator = jsonschema_rs.Draft202012Validator(self.schema, validate_formats=True)

    def problems(self, instance: Any) -> list[Problem]:
        found: list[Problem] = []
        for error in self._validator.iter_errors(instance):
            path = "/".join(str(p) for p in error.instance_path)
            message = f"{path}: {error.message}" if path else error.message
            found.append(Problem(error.kind.name, message))
            if len(found) >= MAX_ERRORS_PER_ENTRY:
                break
        return found

    def check_many(
        self, items: Sequence[Any], received_ms: int, delta: StatsDelta
    ) -> tuple[list[Entry], list[tuple[int, list[Problem]]]]:
        """Validate decoded items, counting the verdicts in `delta`: the valid entries, and (index, problems) for
        each rejected item.

        One tight loop with a positional Entry: on the bulk path, where this runs under the GIL, it takes a third
        less time per entry than a call per item.
        """
        entries: list[Entry] = []
        rejected: list[tuple[int, list[Problem]]] = []
        is_valid = self._validator.is_valid
        for index, item in enumerate(items):
            if isinstance(item, dict) and is_valid(item):
                stamp = item["timestamp"]
                try:
                    ts_ms = parse_timestamp_ms(stamp)
                except (ValueError, OverflowError) as exc:
                    problems = [Problem("format", f"timestamp: {exc}")]
                else:
                    entries.append(
                        Entry(
                            ts_ms,
                            received_ms,
                            stamp,
                            item["level"],
                            item["service"],
                            item["message"],
                            item.get("user_id"),
                            item.get("metadata"),
                        )
                    )
                    continue
            elif isinstance(item, Undecodable):
                problems = [Problem("json", item.reason)]
            else:
                problems = self.problems(item)
            rejected.append((index, problems))
            delta.error_types.update({p.kind for p in problems})
        delta.valid += len(entries)
        delta.invalid += len(rejected)
        return entries, rejected

    def check(self, instance: Any, received_ms: int, delta: StatsDelta) -> Entry | list[Problem]:
        """Validate one decoded entry, counting the verdict in `delta`."""
        entries, rejected = self.check_many([instance], received_ms, delta)
        return entries[0] if entries else rejected[0][1]
