"""Reading the settings: built-in defaults < config.yaml < LOGLENS_* environment variables < overrides.

Each layer is checked as it is read: an unknown key (at any depth), a wrong type or a value out of bounds is a
ConfigError naming the key's path. Mappings (sections, storage.clickhouse) merge key by key; any other value
replaces the one below it.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .declare import ENV_PREFIX, Key, Setting, fields, hints, is_section, is_tagged, keys, kinds, optional, tagged
from .sections import Settings

CONFIG_ENV = "CONFIG_PATH"
# LOGLENS_* variables read by the client commands, not settings of the server
CLIENT_ENV = frozenset({"LOGLENS_URL", "LOGLENS_API_KEY"})
Raw = dict[str, Any]


class ConfigError(ValueError):
    """The configuration is unusable; the message names the offending key."""


def load(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """The effective settings.

    Order: defaults < YAML file (`path`, else $CONFIG_PATH, else ./config.yaml if present) < LOGLENS_* env < overrides.
    """
    env = os.environ if env is None else env
    raw: Raw = {}
    if path is None and env.get(CONFIG_ENV):
        path = env[CONFIG_ENV]
    elif path is None and Path("config.yaml").is_file():
        path = "config.yaml"
    if path is not None:
        _merge(Settings, raw, _read_yaml(path), "", str(path))
    _merge_env(raw, env)
    if overrides:
        _merge(Settings, raw, overrides, "", "overrides")
    built: Settings = _build(Settings, raw, "")
    problem = built.ingest.syslog.problem()
    if problem is not None:
        raise ConfigError(problem)
    return built


def _read_yaml(path: str | os.PathLike[str]) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


@functools.cache
def env_names() -> dict[str, Key]:
    """Each LOGLENS_* variable and the key it sets."""
    return {key.env: key for key in keys(Settings) if key.env is not None}


def _merge_env(raw: Raw, env: Mapping[str, str]) -> None:
    names = env_names()
    given = [(n, v) for n, v in env.items() if n.startswith(ENV_PREFIX) and n not in CLIENT_ENV]
    for name, _ in given:
        if name not in names:
            section, _, rest = name[len(ENV_PREFIX) :].lower().partition("_")
            raise ConfigError(f"environment variable {name}: no setting {section}.{rest}")
    # a mapping (LOGLENS_STORAGE_CLICKHOUSE) first, then the variables of its single keys
    for name, text in sorted(given, key=lambda item: len(names[item[0]].path)):
        key = names[name]
        target = raw
        for part in key.path[:-1]:
            target = target.setdefault(part, {})
        last = key.path[-1]
        if is_section(key.hint):
            _merge(
                key.hint, target.setdefault(last, {}), _parse(text, key.name), key.name, f"environment variable {name}"
            )
        else:
            target[last] = _coerce(key.hint, key.setting, text, key.name, from_env=True)


def _merge(cls: type[Any], raw: Raw, values: Any, prefix: str, origin: str | None) -> None:
    """Check `values` (one layer) against the declarations of `cls` and merge them into `raw`."""
    at = f"{origin}: " if origin else ""
    if not isinstance(values, Mapping):
        if not prefix:
            raise ConfigError(f"{at}the top level must be a mapping of sections")
        what = f"section {prefix!r}" if "." not in prefix and "[" not in prefix else prefix
        raise ConfigError(f"{at}{what} must be a mapping")
    known = fields(cls)
    for key, value in values.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if key not in known:
            raise ConfigError(f"{at}unknown {'key ' + name if prefix else f'section {key!r}'}{_hint(str(key), known)}")
        hint = hints(cls)[known[key].name]
        if is_section(hint):
            if value is not None:  # an empty section (`server:` alone) changes nothing
                _merge(hint, raw.setdefault(key, {}), value, name, origin)
        else:
            raw[key] = _coerce(hint, fields(cls)[key].metadata["setting"], value, name, from_env=False)


def _hint(key: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(known)})"


def _build(cls: type[Any], raw: Raw, prefix: str) -> Any:
    """An instance of `cls` from merged values; unset keys take their declared defaults."""
    values: dict[str, Any] = {}
    for key, f in fields(cls).items():
        name = f"{prefix}.{key}" if prefix else key
        if is_section(hints(cls)[f.name]):
            values[f.name] = _build(hints(cls)[f.name], raw.get(key, {}), name)
        elif key in raw:
            values[f.name] = raw[key]
        elif f.metadata["setting"].required:
            kind = f"a {tagged(cls)} entry" if is_tagged(cls) else "each entry"
            raise ConfigError(f"{name}: required ({kind} needs a {key!r})")
    return cls(**values)


def _parse(text: str, name: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: cannot parse {text!r}: {exc}") from None


def _coerce(hint: Any, meta: Setting, value: Any, name: str, *, from_env: bool) -> Any:
    """`value` as the declared type, within its bounds; ConfigError naming `name` otherwise."""
    hint, nullable = optional(hint)
    if from_env and hint is not str:
        value = _parse(value, name)
    if value is None and nullable:
        return None
    specs = kinds(hint)
    if specs is not None:
        return _tagged_list(specs, value, name)
    origin = typing.get_origin(hint)
    if origin is typing.Literal:  # the `type` tag, already chosen by _tagged_list
        if value not in typing.get_args(hint):
            raise ConfigError(f"{name}: must be one of {', '.join(map(str, typing.get_args(hint)))}, got {value!r}")
        return value
    if origin is tuple:
        return _names(value, name)
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return _text_mapping(value, name)
    return _scalar(hint, meta, value, name)


def _scalar(wanted: type, meta: Setting, value: Any, name: str) -> Any:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if wanted is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if wanted is str and meta.text_from_number and number:
        value = str(value)  # e.g. a numeric password
    if not isinstance(value, wanted) or isinstance(value, bool) and wanted is not bool:
        raise ConfigError(f"{name}: expected {wanted.__name__}, got {type(value).__name__} ({value!r})")
    return _bounded(meta, value, name)


def _bounded(meta: Setting, value: Any, name: str) -> Any:
    if meta.minimum is not None and value < meta.minimum:
        raise ConfigError(f"{name}: must be >= {meta.minimum}, got {value!r}")
    if meta.maximum is not None and value > meta.maximum:
        raise ConfigError(f"{name}: must be <= {meta.maximum}, got {value!r}")
    if meta.choices is not None and value not in meta.choices:
        raise ConfigError(f"{name}: must be one of {', '.join(meta.choices)}, got {value!r}")
    if meta.pattern is not None and not re.fullmatch(meta.pattern, value):
        raise ConfigError(f"{name}: must be {meta.pattern_help}, got {value!r}")
    return value


def _names(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{name}: expected a list, got {type(value).__name__} ({value!r})")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{name}[{i}]: expected a non-empty name, got {item!r}")
    return tuple(value)


def _text_mapping(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{name}: expected a mapping, got {type(value).__name__} ({value!r})")
    for k, v in value.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise ConfigError(f"{name}.{k}: expected text, got {type(v).__name__} ({v!r})")
    return dict(value)


def _tagged_list(specs: tuple[type[Any], ...], value: Any, name: str) -> tuple[Any, ...]:
    """A list of mappings, each built as the kind its `type` names (alerting.handlers), or as the one kind of an
    untagged list (alerting.rules)."""
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{name}: expected a list, got {type(value).__name__} ({value!r})")
    if len(specs) == 1 and not is_tagged(specs[0]):
        return tuple(build_entry(specs[0], item, _entry_name(name, i, item)) for i, item in enumerate(value))
    by_tag = {tagged(cls): cls for cls in specs}
    built = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
            raise ConfigError(f"{where}: each entry needs a 'type' ({' or '.join(by_tag)})")
        cls = by_tag.get(item["type"])
        if cls is None:
            raise ConfigError(f"{where}: unknown type {item['type']!r} (known: {', '.join(sorted(by_tag))})")
        raw: Raw = {}
        _merge(cls, raw, item, where, None)
        built.append(_build(cls, raw, where))
    return tuple(built)


def _entry_name(name: str, index: int, item: Any) -> str:
    """An entry of an untagged list by its `name` when it has one (alerting.rules[payment-declines]), else by
    its position."""
    label = item.get("name") if isinstance(item, Mapping) else None
    return f"{name}[{label}]" if isinstance(label, str) and label.strip() else f"{name}[{index}]"


def build_entry(cls: type[Any], item: Any, where: str) -> Any:
    """One mapping checked and built as `cls` (unset keys take their defaults); ConfigError naming `where.key`.
    The API checks alert rules through this too, exactly as the file's."""
    if not isinstance(item, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {type(item).__name__} ({item!r})")
    raw: Raw = {}
    _merge(cls, raw, item, where, None)
    return _build(cls, raw, where)
