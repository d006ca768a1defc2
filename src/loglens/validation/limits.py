"""Ingest limits: entry size, metadata depth and key count, string length (the number of tracked services is
services.py's).

The depth, key-count and string-length limits are compiled into the JSON Schema the validator checks first
(jsonschema-rs, in Rust), so an ordinary entry pays for them inside the one `is_valid` call it makes anyway, and
nothing past the limits is ever walked by Python, serialised or stored. Only a rejected entry is walked here, to
say in plain words which limit it broke. Every message quotes at most a short excerpt of the rejected value.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..config import IngestSettings
from .excerpt import excerpt, shorten

DEFAULT_ENTRY_BYTES = IngestSettings.max_entry_bytes
MAX_LISTED = 5  # limit problems reported for one entry
TOP_LEVEL_STRINGS = ("timestamp", "level", "service", "message", "user_id")
IDENTIFIERS = ("service", "user_id")  # keys of rollups and dashboards: no NUL, which SQLite's JSON cuts at
NO_NUL = "^[^\\x00]*$"


@dataclass(frozen=True, slots=True)
class Limits:
    max_entry_bytes: int = DEFAULT_ENTRY_BYTES
    max_metadata_depth: int = IngestSettings.max_metadata_depth
    max_metadata_keys: int = IngestSettings.max_metadata_keys
    max_string_chars: int = IngestSettings.max_string_chars

    @classmethod
    def from_settings(cls, ingest: IngestSettings) -> Limits:
        return cls(ingest.max_entry_bytes, ingest.max_metadata_depth, ingest.max_metadata_keys, ingest.max_string_chars)

    def entry_too_large(self, size: int) -> str:
        return f"the entry is {size} bytes as JSON, over ingest.max_entry_bytes ({self.max_entry_bytes})"


def limit_schema(base: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """`base` (the log schema) with the limits added: what an entry must satisfy to be stored."""
    schema = copy.deepcopy(base)
    chars = limits.max_string_chars
    props = schema["properties"]
    for name in TOP_LEVEL_STRINGS:
        props[name]["maxLength"] = min(props[name].get("maxLength", chars), chars)
    for name in IDENTIFIERS:
        props[name]["pattern"] = NO_NUL
    defs = schema.setdefault("$defs", {})
    depth = limits.max_metadata_depth

    def level(d: int) -> dict[str, Any]:  # what may sit at depth d of metadata (metadata itself is depth 1)
        if d > depth:
            return {"type": ["string", "number", "boolean", "null"], "maxLength": chars}
        below = {"$ref": f"#/$defs/loglens_metadata_{d + 1}"} if d < depth else level(d + 1)
        return {
            "maxLength": chars,
            "maxProperties": limits.max_metadata_keys,
            "propertyNames": {"maxLength": chars},
            "additionalProperties": below,
            "items": below,
        }

    for d in range(2, depth + 1):
        defs[f"loglens_metadata_{d}"] = level(d)
    meta = props["metadata"]
    for prop in meta.get("properties", {}).values():
        if prop.get("type") == "string":
            prop["maxLength"] = chars
    top = level(1)
    del top["items"], top["maxLength"]  # metadata is an object: the base schema says so
    meta.update(top)
    return schema


def limit_problems(item: Any, limits: Limits) -> list[tuple[str, str]]:
    """(kind, message) for each limit `item` breaks, at most MAX_LISTED; [] when it breaks none."""
    found: list[tuple[str, str]] = []
    if not isinstance(item, dict):
        return found
    chars = limits.max_string_chars
    for name in TOP_LEVEL_STRINGS:
        value = item.get(name)
        if isinstance(value, str):
            if len(value) > chars:
                found.append(("max_string_chars", _long(name, value, chars)))
            if name in IDENTIFIERS and "\x00" in value:
                found.append(("nul_character", f"{name}: must not contain NUL (\\u0000), got {excerpt(value)}"))
    meta = item.get("metadata")
    if isinstance(meta, dict):
        _walk(meta, "metadata", 1, limits, found)
    return found[:MAX_LISTED]


def _long(path: str, value: str, chars: int) -> str:
    return f"{path}: {len(value)} characters, over ingest.max_string_chars ({chars}): {excerpt(value)}"


def _walk(value: Any, path: str, depth: int, limits: Limits, found: list[tuple[str, str]]) -> None:
    if len(found) >= MAX_LISTED:
        return
    if isinstance(value, str):
        if len(value) > limits.max_string_chars:
            found.append(("max_string_chars", _long(path, value, limits.max_string_chars)))
        return
    if not isinstance(value, dict | list):
        return
    if depth > limits.max_metadata_depth:
        found.append(
            (
                "max_metadata_depth",
                f"{path}: nested deeper than ingest.max_metadata_depth ({limits.max_metadata_depth} levels,"
                " metadata itself being the first)",
            )
        )
        return
    if isinstance(value, dict):
        if len(value) > limits.max_metadata_keys:
            found.append(
                (
                    "max_metadata_keys",
                    f"{path}: {len(value)} keys, over ingest.max_metadata_keys ({limits.max_metadata_keys})",
                )
            )
        children: Iterable[tuple[Any, Any]] = value.items()
        for key, _ in value.items():
            if isinstance(key, str) and len(key) > limits.max_string_chars:
                found.append(("max_string_chars", _long(f"{path} key", key, limits.max_string_chars)))
                break
    else:
        children = enumerate(value)
    for key, child in children:
        _walk(child, f"{path}/{shorten(str(key), 40)}", depth + 1, limits, found)
        if len(found) >= MAX_LISTED:
            return
