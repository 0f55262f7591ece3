"""Back up the database to one file and restore it: SQLite's online backup, PostgreSQL's
pg_dump and pg_restore (custom format), with the connection from the settings.

The password travels in PGPASSWORD, never on a command line. A backup holds the participation
fields encrypted: keep PARTICIPATION_KEYS apart from it, and both safe.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.client import DatabaseClient

from studienav.core.errors import DomainError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupFailed(DomainError):
    default_code = "backup_failed"


def _quoted(connection: BaseDatabaseWrapper, table: str) -> str:
    return str(connection.ops.quote_name(table))


def table_row_counts(connection: BaseDatabaseWrapper | None = None) -> dict[str, int]:
    """Rows in each table of the database (for the drill: the restored copy must match)."""
    connection = connection or default_connection
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {_quoted(connection, table)}")  # noqa: S608
            counts[table] = int(cursor.fetchone()[0])
    return counts


def tables_with_rows(connection: BaseDatabaseWrapper | None = None) -> list[str]:
    """The tables that hold at least one row: a database without any is empty."""
    connection = connection or default_connection
    found = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT 1 FROM {_quoted(connection, table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone() is not None:
                found.append(table)
    return found


def _private_file(path: Path) -> None:
    """An empty file only the owner may read: a backup holds personal data."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _pg_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The libpq environment for the database in `settings_dict` (PGPASSWORD, PGSSLMODE …)."""
    _arguments, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    environment = {**os.environ, **(extra or {})}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if settings_dict.get(key):
            environment[variable] = str(settings_dict[key])
    return environment


def _pg_run(arguments: list[str], settings_dict: dict[str, Any]) -> None:
    done = subprocess.run(  # noqa: S603 (fixed programs, arguments from the settings)
        arguments,
        env=_pg_environment(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupFailed(
            code=f"{arguments[0]}_failed",
            message=f"{arguments[0]} exited {done.returncode}: {done.stderr.strip()}",
        )


def _database_name(settings_dict: dict[str, Any]) -> str:
    name = str(settings_dict.get("NAME") or "")
    if not name:
        raise BackupFailed(code="no_database_name", message="DATABASE_URL names no database.")
    return name


def database_backup(*, output: Path, connection: BaseDatabaseWrapper | None = None) -> int:
    """Write a consistent copy of the running database to `output`; returns its size."""
    connection = connection or default_connection
    partial = output.with_name(output.name + ".partial")
    _private_file(partial)
    try:
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(partial)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
        elif connection.vendor == "postgresql":
            settings_dict = connection.settings_dict
            _pg_run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-password",
                    f"--file={partial}",
                    f"--dbname={_database_name(settings_dict)}",
                ],
                settings_dict,
            )
        else:
            raise BackupFailed(
                code="unsupported_database", message=f"Cannot back up {connection.vendor}."
            )
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return output.stat().st_size


def _backup_kind(source: Path) -> str:
    try:
        with source.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupFailed(code="unreadable", message=f"{source}: {error.strerror}") from error
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupFailed(code="not_a_backup", message=f"{source} is not a studienav backup.")


def database_restore(
    *, source: Path, connection: BaseDatabaseWrapper | None = None, force: bool = False
) -> None:
    """Restore the backup `source` into the database; an empty one unless `force`."""
    connection = connection or default_connection
    kind = _backup_kind(source)
    if kind != connection.vendor:
        raise BackupFailed(
            code="wrong_database",
            message=f"{source} is a {kind} backup; the database is {connection.vendor}.",
        )
    occupied = tables_with_rows(connection)
    if occupied and not force:
        shown = ", ".join(occupied[:5]) + (" …" if len(occupied) > 5 else "")
        raise BackupFailed(
            code="database_not_empty",
            message=f"The database is not empty ({shown}); restore with --force to replace it.",
        )
    if kind == "sqlite":
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if not backup.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'django_migrations'"
            ).fetchone():
                message = f"{source} holds no studienav data."
                raise BackupFailed(code="not_a_backup", message=message)
            connection.ensure_connection()
            backup.backup(connection.connection)
        finally:
            backup.close()
        return
    settings_dict = connection.settings_dict
    connection.close()
    arguments = [
        "pg_restore",
        "--no-password",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={_database_name(settings_dict)}",
    ]
    if force:
        arguments += ["--clean", "--if-exists"]
    _pg_run([*arguments, str(source)], settings_dict)
