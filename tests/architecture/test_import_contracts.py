"""The layer contracts of pyproject.toml (`[tool.importlinter]`, docs/architecture.md § Layers) hold for
src/pvz, and each fails when a deliberate violation is added to a copy of the package: a contract that
cannot fail would check nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
INTERFACES = "Domain apps never import the interfaces (api, web, realtime)"
CORE = "core imports no app"
AUDIT = "audit imports no app but core"
LAYERS = (
    "Domain apps in layers (higher may import lower, never the reverse; apps side by side are independent)"
)


def _lint(source_root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the project's contracts over the package `pvz` found in `source_root`."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=source_root,
        env={**os.environ, "PYTHONPATH": str(source_root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_hold_for_the_code() -> None:
    result = _lint(ROOT / "src")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{INTERFACES} KEPT" in result.stdout
    assert f"{CORE} KEPT" in result.stdout
    assert f"{AUDIT} KEPT" in result.stdout
    assert f"{LAYERS} KEPT" in result.stdout


@pytest.mark.parametrize(
    ("module", "added", "broken", "kept"),
    [
        # a domain app importing an interface, at the top of a module
        ("shipments/statuses.py", "import pvz.api.errors", INTERFACES, CORE),
        # core importing an app from inside a function (the kind of import that dodges a cycle)
        (
            "core/clock.py",
            "def _late() -> object:\n    from pvz.shipments import models\n\n    return models",
            CORE,
            INTERFACES,
        ),
        # a lower app importing a higher one (shipments → counter), inside a function
        (
            "shipments/statuses.py",
            "def _late() -> object:\n    from pvz.counter import models\n\n    return models",
            LAYERS,
            CORE,
        ),
        # two apps side by side (network and guard) importing one another
        ("network/errors.py", "import pvz.guard.conf", LAYERS, AUDIT),
        # audit, the floor under every app, naming a user's model for a type only
        (
            "audit/chain.py",
            "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from pvz.accounts.models import User",
            AUDIT,
            CORE,
        ),
    ],
)
def test_a_violation_breaks_its_contract(
    tmp_path: Path, module: str, added: str, broken: str, kept: str
) -> None:
    shutil.copytree(
        ROOT / "src" / "pvz",
        tmp_path / "pvz",
        ignore=shutil.ignore_patterns("static", "templates", "locale", "__pycache__"),
    )
    target = tmp_path / "pvz" / module
    target.write_text(target.read_text(encoding="utf-8") + "\n\n" + added + "\n", encoding="utf-8")

    result = _lint(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{broken} BROKEN" in result.stdout
    assert f"{kept} KEPT" in result.stdout


def test_every_app_is_named_by_the_contracts() -> None:
    """A new app joins the domain list (or is an interface): none escapes the contracts by being unlisted."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    contracts = {contract["id"]: contract for contract in config["contracts"]}
    domain = set(contracts["interfaces-above-domain"]["source_modules"])
    interfaces = set(contracts["interfaces-above-domain"]["forbidden_modules"])
    packages = {f"pvz.{path.parent.name}" for path in (ROOT / "src" / "pvz").glob("*/__init__.py")}

    assert packages - domain - interfaces == set()
    assert set(contracts["core-imports-no-app"]["forbidden_modules"]) == packages - {"pvz.core"}
    assert set(contracts["audit-imports-only-core"]["forbidden_modules"]) == packages - {
        "pvz.core",
        "pvz.audit",
    }
