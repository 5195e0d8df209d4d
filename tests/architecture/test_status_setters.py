"""Every status change in src/ goes through a lifecycle (`pvz.core.lifecycle`): no `obj.status = …`
(or `.state = …`, the counter line's lifecycle field), no `.update(status=…)`, no `setattr(obj, "status",
…)` and no `bulk_update(…, ["status"])` anywhere else. Migrations are history and are left out; a
`create(status=…)` sets the first status and is allowed. Issue 14 item 5."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "pvz"
FIELDS = frozenset({"status", "state"})
ALLOWED = frozenset({SRC / "core" / "lifecycle.py"})


def status_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) for every write of a lifecycle field in `source` that bypasses a lifecycle."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        for target in targets:
            for item in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(item, ast.Attribute) and item.attr in FIELDS:
                    found.append((node.lineno, f".{item.attr} ="))
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name == "update" and any(kw.arg in FIELDS for kw in node.keywords):
            found.append((node.lineno, "update(status=…)"))
        if name == "setattr" and len(node.args) >= 2:
            field = node.args[1]
            if isinstance(field, ast.Constant) and field.value in FIELDS:
                found.append((node.lineno, "setattr(…, 'status', …)"))
        if name == "bulk_update":
            arguments = [*node.args, *(kw.value for kw in node.keywords)]
            strings = {n.value for arg in arguments for n in ast.walk(arg) if isinstance(n, ast.Constant)}
            if strings & FIELDS:
                found.append((node.lineno, "bulk_update(…, ['status'])"))
    return found


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts and p not in ALLOWED)


def test_no_status_written_outside_a_lifecycle() -> None:
    offenders = [
        f"{path.relative_to(SRC.parent)}:{line}: {what}"
        for path in _modules()
        for line, what in status_writes(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "status written outside pvz.core.lifecycle:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "snippet",
    [
        "carriage.status = CarriageStatus.CLOSED",
        "line.state: str = 'taken'",
        "a.x, a.status = 1, 2",
        "Tote.objects.filter(pk=1).update(status='empty', point=None)",
        "setattr(obj, 'status', 'closed')",
        "Shipment.objects.bulk_update(rows, fields=['status', 'cell'])",
    ],
)
def test_the_check_catches_each_way_of_writing_a_status(snippet: str) -> None:
    assert len(status_writes(snippet)) == 1


@pytest.mark.parametrize(
    "snippet",
    [
        "Carriage.objects.create(status=CarriageStatus.PLANNED)",
        "Carriage.objects.filter(status='closed').count()",
        "if carriage.status == CarriageStatus.CLOSED: pass",
        "CARRIAGE.set(carriage, CarriageStatus.CLOSED)",
        "response.status_code = 200",
    ],
)
def test_the_check_lets_reads_and_first_statuses_pass(snippet: str) -> None:
    assert status_writes(snippet) == []
