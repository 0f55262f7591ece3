"""The backup drill: back up the running database, restore it into a fresh one, and find the
audit trail intact and every table's rows there (SQLite, or PostgreSQL when the suite is)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.utils import ConnectionHandler

from studienav.core import services
from studienav.core.backup import PG_DUMP_MAGIC, SQLITE_MAGIC, table_row_counts
from studienav.core.models import Role, User

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class FreshDatabase:
    url: str
    settings_dict: dict[str, Any]

    def row_counts(self) -> dict[str, int]:
        handler = ConnectionHandler({"default": dict(self.settings_dict)})
        restored = handler["default"]
        try:
            return table_row_counts(restored)
        finally:
            restored.close()


def _postgres_admin() -> Any:
    import psycopg

    source = connection.settings_dict
    return psycopg.connect(
        host=source["HOST"] or None,
        port=source["PORT"] or None,
        user=source["USER"] or None,
        password=source["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[FreshDatabase]:
    """A second, empty database of the suite's kind, dropped after the test."""
    source = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        yield FreshDatabase(f"sqlite:///{path}", {**source, "NAME": str(path)})
        return
    from psycopg import sql

    name = f"{source['NAME']}_restored"[:63]
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with _postgres_admin() as admin:
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    user = quote(source["USER"] or "", safe="")
    password = quote(source["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    url = f"postgres://{credentials}{source['HOST']}:{source['PORT'] or 5432}/{name}"
    try:
        yield FreshDatabase(url, {**source, "NAME": name})
    finally:
        with _postgres_admin() as admin:
            admin.execute(drop)


def _studienav(tmp_path: Path, database: FreshDatabase, *arguments: str) -> Any:
    """Run the console script as an operator would, against the fresh database."""
    env = {**os.environ, "DATABASE_URL": database.url, "STUDIENAV_VAR_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "studienav", *arguments], env=env, capture_output=True, text=True
    )


@pytest.fixture
def backup_file(tmp_path: Path, cecilia: User) -> Path:
    """A backup of the suite's database after node office invited someone (audited)."""
    services.user_invite(
        by=cecilia, email="greta@test.example", full_name="Greta Forsberg", role=Role.RESEARCHER
    )
    path = tmp_path / "studienav.backup"
    call_command("backup", output=str(path), stdout=StringIO())
    return path


def test_a_backup_restores_into_a_fresh_database_with_every_row_and_an_intact_trail(
    tmp_path: Path, backup_file: Path, fresh_database: FreshDatabase
) -> None:
    restored = _studienav(tmp_path, fresh_database, "restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    verified = _studienav(tmp_path, fresh_database, "audit-verify")
    assert verified.returncode == 0, verified.stderr
    assert "audit trail intact" in verified.stdout
    original = table_row_counts()
    assert original["core_auditevent"] > 0
    assert original["core_outboxmessage"] == 1
    assert fresh_database.row_counts() == original


def test_the_backup_file_is_readable_by_its_owner_only(backup_file: Path) -> None:
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600


def test_restore_refuses_a_database_that_holds_data(backup_file: Path) -> None:
    before = table_row_counts()
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(backup_file))
    assert table_row_counts() == before


def test_restore_with_force_replaces_what_the_database_holds(
    tmp_path: Path, backup_file: Path, fresh_database: FreshDatabase
) -> None:
    assert _studienav(tmp_path, fresh_database, "restore", str(backup_file)).returncode == 0
    again = _studienav(tmp_path, fresh_database, "restore", str(backup_file))
    assert again.returncode != 0
    assert "not empty" in again.stderr
    forced = _studienav(tmp_path, fresh_database, "restore", str(backup_file), "--force")
    assert forced.returncode == 0, forced.stderr
    assert fresh_database.row_counts() == table_row_counts()


def test_restore_refuses_a_backup_of_the_other_kind_of_database(tmp_path: Path) -> None:
    other = PG_DUMP_MAGIC if connection.vendor == "sqlite" else SQLITE_MAGIC
    path = tmp_path / "other.backup"
    path.write_bytes(other + b"\0" * 64)
    with pytest.raises(CommandError, match="backup; the database is"):
        call_command("restore", str(path))
