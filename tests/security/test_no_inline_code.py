"""A strict Content-Security-Policy blocks inline code: no template or script of ours may rely on it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "pvz"
TEMPLATES = PACKAGE / "templates"
SCRIPTS = PACKAGE / "static" / "pvz"
# Rendered to PDF by WeasyPrint, never served to a browser: their <style> block is not subject to CSP.
PDF_ONLY = {"web/cells/labels.html", "web/returns/label_pdf.html"}

_TEMPLATE_RULES = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE | re.DOTALL),
    "<style> block": re.compile(r"<style\b", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "htmx eval (hx-on, hx-vars, js: values)": re.compile(r"\shx-on\b|\shx-on:|\shx-vars\s*=|[\"']js:", re.I),
}
_SCRIPT_RULES = {
    "eval": re.compile(r"\beval\s*\("),
    "new Function": re.compile(r"\bnew\s+Function\s*\("),
    "string timer": re.compile(r"\bset(?:Timeout|Interval)\s*\(\s*[\"'`]"),
    "style attribute": re.compile(r"setAttribute\(\s*[\"']style[\"']|\.cssText\b"),
    "inline markup": re.compile(r"\sstyle\s*=|\son[a-z]+\s*=\s*[\"']", re.IGNORECASE),
}


def inline_code(text: str, rules: dict[str, re.Pattern[str]]) -> list[str]:
    """The kinds of inline code `text` contains, by the name of the rule each matched."""
    return sorted(name for name, rule in rules.items() if rule.search(text))


def _templates() -> list[str]:
    return sorted(str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html"))


def _scripts() -> list[str]:
    return sorted(path.name for path in SCRIPTS.glob("*.js"))


def test_the_scan_covers_the_templates_and_scripts():
    assert len(_templates()) > 50
    assert {"base.html", "web/acceptance/progress.html", "web/cells/_fill.html"} <= set(_templates())
    assert set(_templates()) >= PDF_ONLY  # the exemption names real files
    assert {"scanner.js", "shell.js", "outbound.js"} <= set(_scripts())


@pytest.mark.parametrize(
    ("snippet", "found"),
    [
        ("<script>alert(1)</script>", ["inline <script>"]),
        ('<script type="module">x()</script>', ["inline <script>"]),
        ('<script src="/static/a.js" defer></script>', []),
        ('<button type="button" onclick="go()">', ["event handler attribute"]),
        ('<span class="bar"\n      style="width: 5%">', ["style attribute"]),
        ("<style>p { color: red }</style>", ["<style> block"]),
        ('<a href="javascript:void(0)">', ["javascript: URL"]),
        ('<button hx-on:click="go()">', ["htmx eval (hx-on, hx-vars, js: values)"]),
        ('<span class="x" data-bar-width="5" data-on-hold="1">', []),
    ],
)
def test_the_template_scan_finds_each_kind_of_inline_code(snippet: str, found: list[str]):
    assert inline_code(snippet, _TEMPLATE_RULES) == found


@pytest.mark.parametrize("name", [name for name in _templates() if name not in PDF_ONLY])
def test_template_has_no_inline_code(name: str):
    assert inline_code((TEMPLATES / name).read_text(), _TEMPLATE_RULES) == []


@pytest.mark.parametrize("name", _scripts())
def test_script_needs_no_eval_and_sets_no_style_attribute(name: str):
    assert inline_code((SCRIPTS / name).read_text(), _SCRIPT_RULES) == []
