"""What a query rule's alert says: its group's name, the summary template rendered in Jinja2's sandbox, and the
link to Explore on the rule's query and window."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from jinja2.exceptions import SecurityError, TemplateError

from .rule_spec import QueryRule

log = logging.getLogger(__name__)


def group_name(by: Sequence[str], values: Sequence[Any]) -> str:
    return ",".join(f"{f}={'' if v is None else v}" for f, v in zip(by, values, strict=True))


def explore_url(rule: QueryRule, group_values: dict[str, Any]) -> str:
    """A path opening Explore on the rule's filter (narrowed to the group) over the rule's window."""
    parts = [rule.filter_text] if rule.filter_text else []
    for name, value in group_values.items():
        if value is not None:
            text = str(value).replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{name}:"{text}"')
    return "/explore?" + urlencode({"q": " ".join(parts), "from": rule.spec.window.strip()})


def summary(rule: QueryRule, group: str, value: float | None, group_fields: dict[str, Any]) -> str:
    """The alert's message: the rule's summary template rendered in the sandbox (a refusal says so)."""
    shown: float | int | None = value
    if shown is not None and rule.agg.func in ("count", "count_distinct"):
        shown = int(shown)
    variables = {
        "value": shown,
        "threshold": rule.condition.threshold,
        "condition": str(rule.condition),
        "group": group,
        "groups": group_fields,
        "labels": dict(rule.spec.labels),
        "window": rule.spec.window,
        "rule": rule.name,
        "severity": rule.severity,
        "explore_url": explore_url(rule, group_fields),
    }
    try:
        return str(rule.template.render(**variables))[:4000]
    except SecurityError as exc:
        log.warning("alert rule %s: summary template refused by the sandbox: %s", rule.name, exc)
        return f"{rule.name}: the summary template was refused ({exc}); value {value}"
    except (TemplateError, TypeError, ValueError) as exc:
        return f"{rule.name}: the summary template failed ({exc}); value {value}"


def fields_of(group: str, by: Sequence[str]) -> dict[str, Any]:
    """A group's field values back from its name (`service=a,level=ERROR`), for a group with no data now."""
    if not by or not group:
        return {}
    out: dict[str, Any] = {}
    rest = group
    for i, name in enumerate(by):
        rest = rest.removeprefix(f"{name}=")
        if i + 1 < len(by):
            value, _, rest = rest.partition(f",{by[i + 1]}=")
            rest = f"{by[i + 1]}={rest}"
        else:
            value = rest
        out[name] = value
    return out
