"""docs/configuration.md, written from the declarations: `python -m loglens.config.reference > docs/configuration.md`.

tests/unit/test_config_reference.py fails when the committed file differs from what this prints.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Iterable
from typing import Any

import yaml

from .declare import Key, is_section, is_tagged, keys, kinds, optional, plain, tagged
from .sections import Settings

COMMAND = "python -m loglens.config.reference > docs/configuration.md"

INTRO = f"""\
# Configuration reference

<!-- Generated from src/loglens/config/sections.py by `{COMMAND}`; do not edit by hand. -->

This file is generated from the settings' declarations: after changing a setting, run `{COMMAND}`
(a test fails while this file is stale).

LogLens reads its settings once, at startup: the built-in defaults below, deep-merged with a YAML file (the file
named by `--config` or `CONFIG_PATH`, else `./config.yaml` when present), then `LOGLENS_*` environment variables.
A variable's value is read as YAML (`LOGLENS_SERVER_ALLOWED_HOSTS='[logs.example.com]'`), except a string
setting's, which is taken as it is. A mapping such as `LOGLENS_STORAGE_CLICKHOUSE='{{host: ch1, port: 9000}}'`
merges key by key, like the file's, and the variables of its single keys (`LOGLENS_STORAGE_CLICKHOUSE_PASSWORD`)
apply after it. An unknown key (at any depth, alert handlers' keys included), a wrong type or a value out of bounds
stops `loglens serve` with one line naming the key, and exit code 2.
"""


def _type(hint: Any) -> str:
    hint, nullable = optional(hint)
    specs = kinds(hint)
    if specs is not None and not is_tagged(specs[0]):
        text = "list of mappings"
    elif specs is not None:
        text = "list of " + " or ".join(f"`{tagged(s)}` handler" for s in specs)
    elif typing.get_origin(hint) is tuple:
        text = "list of strings"
    elif typing.get_origin(hint) is typing.Literal:
        text = "string"
    elif is_section(hint):
        text = "mapping"
    elif isinstance(typing.get_origin(hint), type):
        text = "mapping of strings"
    else:
        text = {str: "string", int: "integer", float: "number", bool: "boolean"}[hint]
    return f"{text} or null" if nullable else text


def _default(key: Key) -> str:
    if key.setting.required:
        return "required"
    if is_section(key.hint):
        return "see below"
    if key.default == "":
        return '`""`'
    text = yaml.safe_dump(plain(key.default), default_flow_style=True, width=10_000).strip()
    text = text.removesuffix("\n...").removesuffix("...").strip() or '""'
    return f"`{text}`"


def _bounds(key: Key) -> str:
    s = key.setting
    parts = []
    if s.minimum is not None and s.maximum is not None:
        parts.append(f"{_num(s.minimum)} to {_num(s.maximum)}")
    elif s.minimum is not None:
        parts.append(f"at least {_num(s.minimum)}")
    elif s.maximum is not None:
        parts.append(f"at most {_num(s.maximum)}")
    if s.choices:
        parts.append("one of " + ", ".join(f"`{c}`" for c in s.choices))
    if s.pattern_help:
        parts.append(s.pattern_help)
    return "; ".join(parts)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _table(rows: Iterable[Key], *, env: bool) -> list[str]:
    head = "| Key | Type | Default | Allowed | Environment variable | Description |"
    rule = "|-----|------|---------|---------|----------------------|-------------|"
    if not env:
        head, rule = head.replace(" Environment variable |", ""), rule.replace("----------------------|", "")
    lines = [head, rule]
    for key in rows:
        cells = [f"`{key.name}`", _type(key.hint), _default(key), _bounds(key)]
        if env:
            cells.append(f"`{key.env}`" if key.env else "")
        cells.append(key.setting.help.replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render() -> str:
    lines = [INTRO]
    for top in keys(Settings):
        if len(top.path) != 1:
            continue
        lines += [f"## `{top.name}`", "", top.setting.help + ".", ""]
        section = list(keys(top.hint, top.path))
        lines += _table(section, env=True)
        lines.append("")
        for key in section:  # the entries of a list of kinds (alerting.handlers), each kind with its own keys
            for kind in kinds(optional(key.hint)[0]) or ():
                what = f"with `type: {tagged(kind)}`" if is_tagged(kind) else "(each a mapping of these keys)"
                title = f"### `{key.name}` entries {what}"
                lines += [title, "", (kind.__doc__ or "").strip(), ""]
                lines += _table(keys(kind, (*key.path[:-1], key.path[-1] + "[]")), env=False)
                lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
