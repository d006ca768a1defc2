"""How a setting is declared: a field of a frozen dataclass, with its default, help and bounds in one place.

A section is a frozen dataclass whose fields are made by `setting(...)`; its type is the field's annotation. The
loader (load.py) and the reference (reference.py) read the same declarations through `keys()`.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ENV_PREFIX = "LOGLENS_"


@dataclass(frozen=True)
class Setting:
    """What one key accepts and what it means to a user."""

    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    pattern: str | None = None  # a string must match this regular expression in full
    pattern_help: str = ""  # the pattern in words, for the error message
    text_from_number: bool = False  # YAML reads `password: 1234` as a number; take its text
    required: bool = False  # no default: the key must be given
    env: bool = True  # set by its own LOGLENS_* variable
    key: str | None = None  # the YAML key when it cannot be the field's name (`from`, a Python keyword)


def setting(default: Any, help: str, *, factory: Callable[[], Any] | None = None, **meta: Any) -> Any:
    """A declared key: `field(default=...)` (or `default_factory=factory`) carrying its `Setting`."""
    metadata = {"setting": Setting(help, **meta)}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def section(cls: type[Any], help: str, **meta: Any) -> Any:
    """A nested mapping of keys (e.g. storage.clickhouse), merged key by key; unset keys keep their defaults."""
    return dataclasses.field(default_factory=cls, metadata={"setting": Setting(help, **meta)})


def tagged(cls: type[Any]) -> str:
    """The `type` tag of one kind of a tagged list (alerting.handlers), from its `type: Literal[...]` field."""
    (tag,) = typing.get_args(hints(cls)["type"])
    return str(tag)


def is_tagged(cls: type[Any]) -> bool:
    """Whether a list's entries say their kind with a `type` key (alerting.handlers), or are of one kind
    (alerting.rules)."""
    return "type" in hints(cls)


def hints(cls: type[Any]) -> dict[str, Any]:
    """The resolved annotations of a section (read once per class: resolving them costs 0.4 ms a class)."""
    return _hints(typing.cast(Hashable, cls))


@functools.cache
def _hints(cls: Hashable) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def is_section(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def optional(hint: Any) -> tuple[Any, bool]:
    """(the type, whether null is allowed) of `T | None`."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = typing.get_args(hint)
        if type(None) in args:
            rest = tuple(a for a in args if a is not type(None))
            return (rest[0] if len(rest) == 1 else typing.Union[rest]), True  # noqa: UP007
    return hint, False


def kinds(hint: Any) -> tuple[type[Any], ...] | None:
    """The dataclasses of a tagged list `tuple[A | B, ...]` (alerting.handlers), else None."""
    if typing.get_origin(hint) is not tuple:
        return None
    item = typing.get_args(hint)[0]
    members = typing.get_args(item) if typing.get_args(item) else (item,)
    return tuple(members) if all(is_section(m) for m in members) else None


@dataclass(frozen=True)
class Key:
    """One declared key, found by walking the sections."""

    path: tuple[str, ...]
    hint: Any
    setting: Setting
    default: Any

    @property
    def name(self) -> str:
        return ".".join(self.path)

    @property
    def env(self) -> str | None:
        return ENV_PREFIX + "_".join(self.path).upper() if self.setting.env else None


def fields(cls: type[Any]) -> dict[str, dataclasses.Field[Any]]:
    """The declared keys of `cls` by their name in the file: a field named after a Python keyword carries a
    trailing underscore (`for_` is the key `for`), or its declaration names the key (`from`)."""
    return {key_of(f): f for f in dataclasses.fields(cls) if "setting" in f.metadata}


def key_name(field_name: str) -> str:
    return field_name[:-1] if field_name.endswith("_") else field_name


def key_of(f: dataclasses.Field[Any]) -> str:
    """The YAML key of a declared field: its name, unless the declaration names another (`from`)."""
    declared: Setting = f.metadata["setting"]
    return declared.key or key_name(f.name)


def default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None if f.default is dataclasses.MISSING else f.default


def keys(cls: type[Any], prefix: tuple[str, ...] = ()) -> Iterator[Key]:
    """Every key of `cls` and of its nested sections, in declaration order (a section before its keys)."""
    for name, f in fields(cls).items():
        hint = hints(cls)[f.name]
        key = Key((*prefix, name), hint, f.metadata["setting"], default_of(f))
        yield key
        if is_section(hint):
            yield from keys(hint, key.path)


def plain(value: Any) -> Any:
    """Settings as plain YAML data (mappings, lists, scalars), such that loading it gives the same settings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            (key_of(f) if "setting" in f.metadata else key_name(f.name)): plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
        }
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    return value
