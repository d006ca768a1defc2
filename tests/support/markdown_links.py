"""Check the links of markdown files: every relative link and anchor resolves, every external link is well-formed.

Parsed with markdown-it-py (CommonMark plus tables), so that a link is what a renderer sees as one: nothing inside
code spans or fenced blocks counts. Anchors are GitHub's heading ids: the heading's text, lower case, without
punctuation other than '-' and '_', spaces turned into '-', and '-1', '-2', ... for repeats. No network is used.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

EXTERNAL_SCHEMES = {"http", "https", "mailto"}
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d+)?$")
_NOT_IN_SLUG = re.compile(r"[^\w\- ]", re.UNICODE)


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _walk(tokens: Iterable[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def heading_ids(text: str) -> set[str]:
    """The anchors GitHub gives the headings of a markdown text."""
    tokens = _parser().parse(text)
    seen: Counter[str] = Counter()
    ids = set()
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[i + 1]
        words = "".join(
            child.content for child in _walk(inline.children or []) if child.type in ("text", "code_inline")
        )
        slug = _NOT_IN_SLUG.sub("", words.strip().lower()).replace(" ", "-")
        ids.add(slug if seen[slug] == 0 else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return ids


def links(text: str) -> list[tuple[int, str]]:
    """(line, target) of every link and image in a markdown text."""
    found = []
    for block in _parser().parse(text):
        line = block.map[0] + 1 if block.map else 0
        for token in _walk(block.children or []):
            if token.type == "link_open":
                found.append((line, str(token.attrGet("href") or "")))
            elif token.type == "image":
                found.append((line, str(token.attrGet("src") or "")))
    return found


def external_problem(target: str) -> str | None:
    """Why an external link is malformed, or None."""
    parts = urlsplit(target)
    if parts.scheme not in EXTERNAL_SCHEMES:
        return f"scheme {parts.scheme!r} is not one of {sorted(EXTERNAL_SCHEMES)}"
    if parts.scheme == "mailto":
        return None if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", parts.path) else "not an e-mail address"
    host = parts.hostname or ""
    if not _HOST.match(parts.netloc) or ("." not in host and host != "localhost"):
        return f"no valid host name in {parts.netloc!r}"
    if any(c.isspace() for c in target):
        return "contains white space"
    return None


def broken_links(files: Iterable[Path], root: Path) -> list[str]:
    """Every broken link in `files`, as 'FILE:LINE: target: why'; relative targets must stay inside `root`."""
    root = root.resolve()
    problems = []
    ids_of: dict[Path, set[str]] = {}

    def ids(path: Path) -> set[str]:
        if path not in ids_of:
            ids_of[path] = heading_ids(path.read_text(encoding="utf-8"))
        return ids_of[path]

    for file in files:
        file = file.resolve()
        where = file.relative_to(root)
        for line, target in links(file.read_text(encoding="utf-8")):
            problem = _problem(file, target, root, ids)
            if problem is not None:
                problems.append(f"{where}:{line}: {target or '(empty)'}: {problem}")
    return problems


def _problem(file: Path, target: str, root: Path, ids: Callable[[Path], set[str]]) -> str | None:
    if not target:
        return "empty link"
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target):
        return external_problem(target)
    if target.startswith("/"):
        return "an absolute path: write it relative to this file"
    path_part, _, anchor = target.partition("#")
    destination = (file.parent / unquote(path_part)).resolve() if path_part else file
    if not destination.is_relative_to(root):
        return "points outside the repository"
    if not destination.exists():
        return f"{destination.relative_to(root)} does not exist"
    if anchor:
        if destination.suffix != ".md":
            return "an anchor into a file that is not markdown"
        if unquote(anchor) not in ids(destination):
            return f"no heading with the anchor #{anchor} in {destination.relative_to(root)}"
    return None
