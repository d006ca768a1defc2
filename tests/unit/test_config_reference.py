"""docs/configuration.md is generated from the settings' declarations; CI fails when the committed file is stale."""

from __future__ import annotations

from pathlib import Path

from loglens.config import SETTINGS
from loglens.config.reference import COMMAND, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_committed_reference_is_what_the_declarations_generate() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), f"docs/configuration.md is stale: run `{COMMAND}`"


def test_reference_documents_every_key_with_its_variable() -> None:
    text = render()
    for key in SETTINGS:
        if len(key.path) == 1:  # a section: its heading
            assert f"## `{key.name}`" in text
            continue
        row = next((line for line in text.splitlines() if line.startswith(f"| `{key.name}` |")), None)
        assert row is not None, key.name
        assert key.setting.help.replace("|", "\\|") in row
        assert key.env is None or f"`{key.env}`" in row
    assert "| `alerting.handlers[].timeout_seconds` |" in text  # handler keys, which have no variable of their own
