"""The OpenAPI 3.1 document served at GET /openapi.json, assembled from YAML files in this package.

base.yaml holds info and components; each paths/*.yaml documents some routes (a mapping of path to path item).
A branch that adds routes adds its own paths file, and tests/api/test_openapi.py fails until every registered
route is documented and every documented one exists. The log entry schema is the validator's own
(schemas/log_schema.json: JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from ..validation import load_schema


def build_document() -> dict[str, Any]:
    package = resources.files(__name__)
    document: dict[str, Any] = yaml.safe_load(package.joinpath("base.yaml").read_text(encoding="utf-8"))
    paths: dict[str, Any] = {}
    origin: dict[str, str] = {}
    files = sorted((f for f in package.joinpath("paths").iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    for file in files:
        part = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for path, item in part.items():  # one path may take its methods from several files (POST and GET /api/logs)
            merged = paths.setdefault(path, {})
            for method, operation in item.items():
                where = f"{path} {method.upper()}"
                if where in origin:
                    raise ValueError(f"OpenAPI {where} is documented twice: in {origin[where]} and {file.name}")
                merged[method], origin[where] = operation, file.name
    document["paths"] = dict(sorted(paths.items()))
    entry = {k: v for k, v in load_schema().items() if k not in ("$schema", "$id")}
    document["components"]["schemas"]["LogEntry"] = entry
    return document
