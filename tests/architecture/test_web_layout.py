"""The staff web UI is laid out by area, the same shape everywhere (issue 14 item 4): `pvz.web.<area>` holds
the area's views (`views.py`, more modules when it has several screens), its `forms.py` when it has forms,
and its `urls.py`; its templates are in `templates/web/<area>/`. The web package's own modules are only
what every area shares."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "src" / "pvz" / "web"
TEMPLATES = WEB.parent / "templates" / "web"
SHARED = {
    "__init__.py",
    "apps.py",
    "context.py",
    "health.py",
    "middleware.py",
    "permissions.py",
    "principal.py",
    "scanner.py",
    "sections.py",
    "security.py",
    "speech.py",
    "urls.py",
}
NOT_AREAS = {"templatetags", "__pycache__"}
TEMPLATE_NAME = re.compile(r"""["']web/([a-z_]+)/[^"']+\.html["']""")


def _areas() -> list[Path]:
    return sorted(p for p in WEB.iterdir() if p.is_dir() and p.name not in NOT_AREAS)


def test_the_web_package_holds_only_shared_modules_and_areas() -> None:
    loose = sorted(p.name for p in WEB.iterdir() if p.is_file() and p.suffix == ".py")
    assert set(loose) == SHARED


def test_every_area_has_views_and_urls() -> None:
    missing = [
        f"{area.name}/{name}"
        for area in _areas()
        for name in ("__init__.py", "views.py", "urls.py")
        if not (area / name).exists()
    ]
    assert missing == []


def test_an_area_renders_only_its_own_templates() -> None:
    foreign = [
        f"{module.relative_to(WEB)} renders web/{name}/"
        for area in _areas()
        for module in area.glob("*.py")
        for name in TEMPLATE_NAME.findall(module.read_text(encoding="utf-8"))
        if name not in (area.name, "includes")
    ]
    assert foreign == []


def test_templates_are_in_area_folders() -> None:
    areas = {area.name for area in _areas()} | {"includes"}
    assert sorted(p.name for p in TEMPLATES.iterdir() if p.is_file()) == []
    assert sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir() and p.name not in areas) == []
