"""The database half of a backup, per engine: SQLite through its online backup API (a consistent copy while
the app keeps writing), PostgreSQL through `pg_dump -Fc` / `pg_restore` of the server's major version."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import psycopg.conninfo
from django.apps import apps
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from pvz.audit.models import GENESIS_HASH, AuditChainHead
from pvz.backups.errors import ArchiveMismatch, BackupError, DatabaseNotEmpty

DUMP_NAME = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


def engine() -> str:
    return str(connection.vendor)


def unknown_migrations(names: list[str]) -> list[str]:
    """The archive's migrations this code does not have: the archive comes from a newer version."""
    known = {
        f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    }
    return sorted(set(names) - known)


def model_tables() -> list[str]:
    """Every table of a model the app owns (proxies and unmanaged models left out)."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed
    }
    return sorted(tables & set(connection.introspection.table_names()))


def _facts(cursor: Any, quote: Any, tables: list[str]) -> Facts:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (table names from the models)
        counts[table] = int(cursor.fetchone()[0])
    cursor.execute(f"SELECT seq, hash FROM {quote(AuditChainHead._meta.db_table)} WHERE id = 1")  # noqa: S608
    row = cursor.fetchone()
    head = {"seq": int(row[0]), "hash": str(row[1])} if row else {"seq": 0, "hash": GENESIS_HASH}
    cursor.execute("SELECT app, name FROM django_migrations")
    migrations = sorted(f"{app}.{name}" for app, name in cursor.fetchall())
    return Facts(counts=counts, audit_head=head, migrations=migrations)


@dataclass(frozen=True)
class Facts:
    """What a dump holds, read from the dump's own snapshot: rows per table, the audit chain's head, the
    applied migrations. A restore must find exactly these."""

    counts: dict[str, int]
    audit_head: dict[str, Any]
    migrations: list[str]


def current_facts() -> Facts:
    with connection.cursor() as cursor:
        return _facts(cursor, connection.ops.quote_name, model_tables())


def is_empty() -> bool:
    """No table of the app holds a row (a migrated but unused database counts as empty)."""
    if not connection.introspection.table_names():
        return True
    with connection.cursor() as cursor:
        for table in model_tables():
            if table == "django_migrations":
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                return False
    return True


def database_dump(target_dir: Path) -> tuple[Path, Facts]:
    """The dump file and its facts, both from one consistent state of the database."""
    kind = engine()
    out = target_dir / DUMP_NAME.get(kind, "database")
    tables = model_tables()
    if kind == "sqlite":
        # A connection of its own, not the app's: it reads the last committed state (WAL lets it read
        # while the app writes), whatever transaction the caller is in.
        source = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=30)
        copy = sqlite3.connect(out)
        try:
            source.backup(copy)
            facts = _facts(copy.cursor(), lambda name: f'"{name}"', tables)
        finally:
            copy.close()
            source.close()
        return out, facts
    if kind == "postgresql":
        # pg_dump reads the snapshot this transaction exports: the counts and the audit head below are of
        # exactly the state it dumps, however busy the point is meanwhile. A connection of its own, so the
        # snapshot is a fresh transaction's whatever the caller is in.
        with psycopg.connect(_pg_conninfo(), autocommit=False) as own, own.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = str(cursor.fetchone()[0])  # type: ignore[index]
            facts = _facts(cursor, connection.ops.quote_name, tables)
            _run(
                [
                    _pg_tool("pg_dump"),
                    "-Fc",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    "-f",
                    str(out),
                    *_pg_args(),
                ]
            )
            own.rollback()
        return out, facts
    raise BackupError(details={"reason": f"no backup for the {kind} database"})


def database_restore(dump: Path, *, force: bool) -> None:
    """Restores `dump` over the configured database, which must be empty unless `force`."""
    if not force and not is_empty():
        raise DatabaseNotEmpty()
    kind = engine()
    if kind == "sqlite":
        target = Path(str(connection.settings_dict["NAME"]))
        connections.close_all()
        _sqlite_unused(target)
        source, sink = sqlite3.connect(dump), sqlite3.connect(target)
        try:
            source.backup(sink)
        finally:
            source.close()
            sink.close()
        return
    if kind == "postgresql":
        with connection.cursor() as cursor:
            # Empty (or --force): the schema is dropped whole, so no table of an older layout is left over.
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
        connections.close_all()
        _run(
            [
                _pg_tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "-d",
                *_pg_args(dbname_flag=False),
                str(dump),
            ]
        )
        return
    raise BackupError(details={"reason": f"no restore for the {kind} database"})


def _sqlite_unused(target: Path) -> None:
    """SQLite's backup into a file another process is using would wait for it forever: refuse instead."""
    probe = sqlite3.connect(target, timeout=10, isolation_level=None)
    try:
        probe.execute("BEGIN EXCLUSIVE")
        probe.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        raise BackupError(
            details={"reason": f"{target} is in use: stop the app before restoring ({exc})"}
        ) from exc
    finally:
        probe.close()


def server_major() -> int:
    connection.ensure_connection()
    return int(connection.pg_version) // 10000  # type: ignore[attr-defined]


def _pg_tool(name: str) -> str:
    """`pg_dump`/`pg_restore` of the server's major version: Debian's versioned directory first, else PATH,
    refused when older than the server (it cannot read a newer server's catalogue)."""
    major = server_major()
    for candidate in (f"/usr/lib/postgresql/{major}/bin/{name}", shutil.which(name)):
        if not candidate or not Path(candidate).is_file():
            continue
        version = subprocess.run(  # noqa: S603 (a PostgreSQL client found on this machine)
            [candidate, "--version"], capture_output=True, text=True, check=False
        ).stdout
        found = re.search(r"(\d+)(?:\.\d+)?", version)
        if found and int(found.group(1)) >= major:
            return candidate
    install = f"apt-get install postgresql-client-{major}"
    raise BackupError(details={"reason": f"{name} of PostgreSQL {major} or newer is needed ({install})"})


def _pg_conninfo() -> str:
    settings: dict[str, Any] = connection.settings_dict
    parts = {
        "host": settings.get("HOST"),
        "port": settings.get("PORT"),
        "user": settings.get("USER"),
        "password": settings.get("PASSWORD"),
        "dbname": settings.get("NAME"),
    }
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in parts.items() if v})


def _pg_args(*, dbname_flag: bool = True) -> list[str]:
    """The libpq connection string for pg_dump / pg_restore, without the password (given as PGPASSWORD)."""
    settings: dict[str, Any] = connection.settings_dict
    parts = {
        k: settings.get(k.upper() if k != "dbname" else "NAME") for k in ("host", "port", "user", "dbname")
    }
    conninfo = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in parts.items() if v})
    return ["--dbname", conninfo] if dbname_flag else [conninfo]


def _run(args: list[str]) -> None:
    env = {**os.environ}
    password = connection.settings_dict.get("PASSWORD")
    if password:
        env["PGPASSWORD"] = str(password)
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)  # noqa: S603 (pg tools)
    if done.returncode != 0:
        raise BackupError(details={"reason": f"{Path(args[0]).name} failed: {done.stderr.strip()[-500:]}"})


def check_engine(manifest: dict[str, Any]) -> None:
    if manifest.get("engine") != engine():
        raise ArchiveMismatch(
            details={"reason": f"the archive holds a {manifest.get('engine')} database, this is {engine()}"}
        )
    newer = unknown_migrations(list(manifest.get("migrations", [])))
    if newer:
        raise ArchiveMismatch(
            details={"reason": "the archive comes from a newer version", "unknown_migrations": newer[:10]}
        )
