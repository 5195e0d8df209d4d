"""Running hand-written SQL from migrations: the hot-path functions (PostgreSQL only) and the counter
triggers (one script per database vendor). Migrations import this instead of carrying a copy each, so the
helpers must stay backwards compatible: old migrations run them as they are."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

Runner = Callable[[Any, Any], None]


def statements(script: str) -> list[str]:
    """The script's statements, whole (a trigger's body holds semicolons of its own)."""
    found, buffer = [], ""
    for part in script.split(";"):
        buffer += part + ";"
        if sqlite3.complete_statement(buffer):
            found.append(buffer.strip())
            buffer = ""
    return [statement for statement in found if statement != ";"]


def by_vendor(scripts: dict[str, str]) -> Runner:
    """A RunPython callable running the script of the connection's vendor: PostgreSQL takes it whole,
    SQLite statement by statement."""

    def run(apps: Any, schema_editor: Any) -> None:
        script = scripts[schema_editor.connection.vendor]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(script)
            return
        for statement in statements(script):
            schema_editor.execute(statement)

    return run


def postgresql_only(script: str) -> Runner:
    """A RunPython callable running `script` on PostgreSQL and nothing elsewhere (SQLite runs the Python
    paths only)."""

    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(script)

    return run
