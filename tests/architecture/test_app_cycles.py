"""No import cycle between the packages of src/pvz, interfaces included (the domain apps' order itself is
the `domain-layers` contract in pyproject.toml). Imports inside functions and under TYPE_CHECKING count,
as they do for import-linter. Issue 14 took the graph from 18 pairs of apps importing each other, 13 apps
in one loop, to none."""

from __future__ import annotations

from collections import defaultdict

import grimp


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


def test_no_two_apps_import_each_other() -> None:
    edges = _app_imports()

    assert {(a, b) for a, b in edges if a < b and (b, a) in edges} == set()


def test_no_app_is_caught_in_an_import_cycle() -> None:
    assert _in_a_cycle(_app_imports()) == set()


def test_the_cycle_finder_sees_a_cycle_and_its_absence() -> None:
    assert _in_a_cycle({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == {"a", "b", "c"}
    assert _in_a_cycle({("a", "b"), ("b", "c")}) == set()
