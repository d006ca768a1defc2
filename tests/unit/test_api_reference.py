"""docs/api-reference.md is rendered from the OpenAPI document by scripts/api_reference.py; CI fails while the
committed page is stale, and the page lists every operation the document has."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from loglens.openapi import HTTP_METHODS, build_document

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "api-reference.md"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_reference", ROOT / "scripts" / "api_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_api_reference_is_the_rendered_document() -> None:
    script = generator()
    assert PAGE.read_text(encoding="utf-8") == script.render(), (
        f"docs/api-reference.md is stale: run `{script.COMMAND}`"
    )


def test_the_api_reference_has_a_section_for_every_operation() -> None:
    page = generator().render()
    for path, item in build_document()["paths"].items():
        for method in item:
            if method in HTTP_METHODS:
                assert f"\n## `{method.upper()} {path}`\n" in page, (method, path)
