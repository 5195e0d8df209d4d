"""The import cycles between apps may shrink, never grow (issue 14 removes them; then a `layers` contract in
pyproject.toml replaces this test). Two measures of today's loop, both kept exact so that a cycle removed is
also crossed off here: the pairs of apps that import each other, and the apps caught in any cycle. Imports
inside functions and under TYPE_CHECKING count, as they do for import-linter."""

from __future__ import annotations

from collections import defaultdict

import grimp

# Each pair once, alphabetically; see docs/architecture.md § Layers.
MUTUAL_PAIRS = {
    ("anomalies", "counter"),
}
IN_A_CYCLE = {
    "anomalies", "counter", "notifications",
}  # fmt: skip


def _app_imports() -> set[tuple[str, str]]:
    graph = grimp.build_graph("pvz", cache_dir=None)
    edges: set[tuple[str, str]] = set()
    for module in graph.modules:
        if module.count(".") < 1:
            continue
        importer = module.split(".")[1]
        for imported_module in graph.find_modules_directly_imported_by(module):
            if imported_module.count(".") >= 1 and (imported := imported_module.split(".")[1]) != importer:
                edges.add((importer, imported))
    return edges


def _in_a_cycle(edges: set[tuple[str, str]]) -> set[str]:
    following: dict[str, set[str]] = defaultdict(set)
    for importer, imported in edges:
        following[importer].add(imported)

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in following[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    return {app for app in list(following) if app in reachable(app)}


def test_no_new_pair_of_apps_imports_each_other() -> None:
    edges = _app_imports()
    mutual = {(a, b) for a, b in edges if a < b and (b, a) in edges}

    assert mutual - MUTUAL_PAIRS == set(), "new pairs of apps importing each other"
    assert MUTUAL_PAIRS - mutual == set(), "cycles removed: cross them off MUTUAL_PAIRS"


def test_no_new_app_joins_the_import_loop() -> None:
    looped = _in_a_cycle(_app_imports())

    assert looped - IN_A_CYCLE == set(), "apps newly caught in an import cycle"
    assert IN_A_CYCLE - looped == set(), "apps out of every cycle: cross them off IN_A_CYCLE"


def test_the_cycle_finder_sees_a_cycle_and_its_absence() -> None:
    assert _in_a_cycle({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == {"a", "b", "c"}
    assert _in_a_cycle({("a", "b"), ("b", "c")}) == set()
