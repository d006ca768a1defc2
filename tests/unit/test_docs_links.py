"""The README, CHANGES.md and docs/*.md link only to what exists: files, and headings inside markdown files; and
their external links are well-formed (checked without the network). Run in CI with the unit tests."""

from __future__ import annotations

from pathlib import Path

from tests.support.markdown_links import broken_links, external_problem, heading_ids

ROOT = Path(__file__).resolve().parents[2]


def documents() -> list[Path]:
    return [ROOT / "README.md", ROOT / "CHANGES.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_link_in_the_readme_changes_and_docs_resolves() -> None:
    files = documents()
    assert all(f.exists() for f in files[:2]) and len(files) > 3, files  # the check sees the documents
    assert broken_links(files, ROOT) == []


def test_a_broken_link_of_each_kind_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## Its `GET /health` part\n")
    (tmp_path / "picture.png").write_bytes(b"png")
    good = tmp_path / "GOOD.md"
    good.write_text(
        "# Good\n\n## A section\n\n"
        "[other](docs/other.md) [its part](docs/other.md#its-get-health-part) [here](#a-section) "
        "![pic](picture.png) [site](https://example.org/a?b=c#d) [mail](mailto:team@example.org)\n\n"
        "`[not a link](nowhere.md)`\n\n```\n[nor this](nowhere.md)\n```\n"
    )
    bad = tmp_path / "BAD.md"
    bad.write_text(
        "# Bad\n\n"
        "[missing file](docs/missing.md)\n\n"
        "[missing anchor](docs/other.md#no-such-part)\n\n"
        "[missing here](#nothing)\n\n"
        "[outside](../elsewhere.md)\n\n"
        "[absolute](/docs/other.md)\n\n"
        "[no host](https:///path)\n\n"
        "[odd scheme](htp://example.org)\n\n"
        "![missing picture](gone.png)\n"
    )
    assert broken_links([good], tmp_path) == []
    problems = broken_links([bad], tmp_path)
    assert [p.split(": ", 1)[0] for p in problems] == [f"BAD.md:{line}" for line in (3, 5, 7, 9, 11, 13, 15, 17)]
    assert "docs/missing.md does not exist" in problems[0]
    assert "no heading with the anchor #no-such-part in docs/other.md" in problems[1]
    assert "#nothing" in problems[2] and "outside the repository" in problems[3] and "absolute" in problems[4]
    assert "no valid host name" in problems[5] and "scheme 'htp'" in problems[6] and "gone.png" in problems[7]


def test_heading_anchors_follow_github() -> None:
    text = "# LogLens\n\n## Two commands\n\n### `GET /health`\n\n## Two commands\n\n## What changed, and why?\n"
    assert heading_ids(text) == {"loglens", "two-commands", "get-health", "two-commands-1", "what-changed-and-why"}


def test_external_links_must_be_well_formed() -> None:
    assert external_problem("https://github.com/a/b") is None
    assert external_problem("http://localhost:5000/") is None
    assert external_problem("https://exa mple.org") is not None
    assert external_problem("ftp://example.org") is not None
    assert external_problem("mailto:nobody") is not None
