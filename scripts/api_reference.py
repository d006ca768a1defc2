"""docs/api-reference.md: every operation of the OpenAPI document (src/loglens/openapi/), rendered as markdown.

The document is the one `GET /openapi.json` serves, before a server fills in its own limits and access levels, so
the page is the same for every configuration. Run `.venv/bin/python scripts/api_reference.py > docs/api-reference.md`
after changing the document; tests/unit/test_api_reference.py fails while the committed page is stale.
"""

from __future__ import annotations

import sys
from typing import Any

from loglens.openapi import HTTP_METHODS, build_document

COMMAND = ".venv/bin/python scripts/api_reference.py > docs/api-reference.md"


def render() -> str:
    document = build_document()
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]
    out = [
        "# API reference",
        "",
        f"<!-- Generated from the OpenAPI document (src/loglens/openapi/) by `{COMMAND}`; do not edit by hand. -->",
        "",
        "Every operation of LogLens's OpenAPI 3.1 document. A running server serves the document at `/openapi.json`,",
        "with its own limits and (with `auth.enabled`) each operation's security filled in, and renders it at `/docs`.",
        "What the endpoints do, in prose: [api.md](api.md).",
        "",
        _text(document["info"].get("description", "")),
        "",
        "| Method | Path | Summary |",
        "|--------|------|---------|",
    ]
    for path, method, operation in operations:
        anchor = _slug(f"{method} {path}")
        out.append(f"| {method.upper()} | [`{_cell(path)}`](#{anchor}) | {_cell(operation.get('summary', ''))} |")
    for path, method, operation in operations:
        out += ["", f"## `{method.upper()} {path}`", "", _text(operation.get("summary", ""))]
        if operation.get("description"):
            out += ["", _text(operation["description"])]
        parameters = [_resolve(document, p) for p in operation.get("parameters", [])]
        if parameters:
            out += ["", "| Parameter | In | Required | Type | Description |", "|---|---|---|---|---|"]
            for p in parameters:
                required = "yes" if p.get("required") else ""
                schema = _resolve(document, p.get("schema", {}))
                description = _cell(p.get("description", "") or schema.get("description", ""))
                out.append(f"| `{p['name']}` | {p['in']} | {required} | {_type(schema)} | {description} |")
        body = operation.get("requestBody")
        if body:
            body = _resolve(document, body)
            media = ", ".join(f"`{m}`" for m in body.get("content", {}))
            required = "required" if body.get("required") else "optional"
            out += [
                "",
                f"Request body ({required}): {media}."
                + (f" {_text(body['description'])}" if body.get("description") else ""),
            ]
        out += ["", "| Answer | Description | Content |", "|---|---|---|"]
        for status, answer in operation.get("responses", {}).items():
            answer = _resolve(document, answer)
            media = ", ".join(f"`{m}`" for m in answer.get("content", {}))
            out.append(f"| {status} | {_cell(answer.get('description', ''))} | {media} |")
    return "\n".join(out) + "\n"


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _type(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "")
    kinds = " or ".join(kind) if isinstance(kind, list) else str(kind)
    if "enum" in schema:
        kinds += " (" + ", ".join(f"`{v}`" for v in schema["enum"]) + ")"
    return kinds


def _text(text: str) -> str:
    return " ".join(str(text).split())


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|")


def _slug(heading: str) -> str:
    """GitHub's id of a heading: lower case, punctuation but '-' and '_' dropped, spaces as '-'."""
    kept = "".join(c for c in heading.lower() if c.isalnum() or c in "-_ ")
    return kept.replace(" ", "-")


if __name__ == "__main__":
    sys.stdout.write(render())
