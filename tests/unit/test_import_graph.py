"""No import circle among the modules of src/loglens, nor among the dashboard's JavaScript modules.

A circle is a set of modules each of which reaches every other through imports (a strongly connected component
of more than one module). Imports made only for type checking count too: they are dependencies of the design.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp

import loglens

STATIC_JS = Path(loglens.__file__).parent / "web" / "static" / "js"
JS_IMPORT = re.compile(r"""^\s*import\b[^"';]*?\bfrom\s*["'](\.{1,2}/[^"']+)["']""", re.MULTILINE)


def circles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def python_graph() -> tuple[grimp.ImportGraph, dict[str, set[str]]]:
    graph = grimp.build_graph("loglens", exclude_type_checking_imports=False, cache_dir=None)
    return graph, {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}


def js_graph(root: Path) -> dict[str, set[str]]:
    """Each module under `root` (path relative to it) -> the modules it imports by relative path."""
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.js")):
        name = path.relative_to(root).as_posix()
        graph[name] = {
            (path.parent / target).resolve().relative_to(root.resolve()).as_posix()
            for target in JS_IMPORT.findall(path.read_text(encoding="utf-8"))
        }
    return graph


def describe(found: list[list[str]], graph: Mapping[str, Iterable[str]]) -> str:
    lines = [f"{len(found)} import circle(s):"]
    for number, members in enumerate(found, 1):
        lines.append(f"circle {number}: {len(members)} modules")
        inside = set(members)
        for member in members:
            lines.extend(f"  {member} -> {target}" for target in sorted(set(graph.get(member, ())) & inside))
    return "\n".join(lines)


def test_circles_finds_a_circle_and_only_its_members() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": set(), "f": {"f"}}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"x": {"y"}, "y": {"x"}, "z": {"x"}}) == [["x", "y"]]


def test_js_imports_are_resolved_relative_to_the_importing_module(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.js").write_text('import { b } from "./sub/b.js";\n', encoding="utf-8")
    (tmp_path / "sub" / "b.js").write_text("import {\n  a,\n} from '../a.js';\nexport var b = 1;\n", encoding="utf-8")
    graph = js_graph(tmp_path)
    assert graph == {"a.js": {"sub/b.js"}, "sub/b.js": {"a.js"}}
    assert circles(graph) == [["a.js", "sub/b.js"]]


def test_no_import_circle_among_the_python_modules() -> None:
    graph, imports = python_graph()
    assert len(imports) > 50  # the whole package was read
    found = circles(imports)
    print(describe(found, imports))
    assert not found, describe(found, imports)


def test_no_import_circle_among_the_dashboard_scripts() -> None:
    graph = js_graph(STATIC_JS)
    assert "main.js" in graph and "explore/main.js" in graph
    assert graph["main.js"]  # imports were found
    found = circles(graph)
    assert not found, describe(found, graph)
