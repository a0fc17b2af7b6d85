"""samen_backup and samen_restore: a whole site into one archive, and back into a new, empty database.

The restore runs as an operator would run it: in a process of its own, against a database that
`manage.py migrate` has just created. Every table (the trigger-kept summaries and the search index
too) must then hold as many rows as the original, and both media folders the same files. On
PostgreSQL the archive is also restored into SQLite: the format belongs to no vendor.
"""

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from PIL import Image

from samen.initiatives.models import Initiative
from samen.reports.models import Attachment, Report


def row_counts(cursor, tables, vendor: str) -> dict[str, int]:
    if vendor == "sqlite":
        # An FTS5 index keeps its words in segments whose number depends on the order of past writes;
        # merged into one (as FTS5's own 'optimize' does), equal contents take equal rows.
        cursor.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%'")
        for (index,) in cursor.fetchall():
            cursor.execute(f'INSERT INTO "{index}" ("{index}") VALUES (\'optimize\')')  # noqa: S608
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - names from the introspection
        counts[table] = cursor.fetchone()[0]
    return counts


def files_under(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def manage(*arguments, environment: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"manage.py {' '.join(arguments)}:\n{done.stdout}{done.stderr}"
    return done.stdout


class PostgresDatabase:
    """A new database on the test database's server, dropped afterwards."""

    def __init__(self, name: str):
        options = settings.DATABASES["default"]
        self.name = name
        given = {
            "host": options.get("HOST"),
            "port": options.get("PORT"),
            "user": options.get("USER"),
            "password": options.get("PASSWORD"),
        }
        self.server: dict[str, Any] = {key: value for key, value in given.items() if value}
        self.execute(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')

    def execute(self, *statements: str) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **self.server) as server:
            for statement in statements:
                server.execute(statement)

    @property
    def url(self) -> str:
        user = self.server.get("user", "")
        password = f":{self.server['password']}" if "password" in self.server else ""
        host, port = self.server.get("host", ""), self.server.get("port", 5432)
        return f"postgres://{user}{password}@{host}:{port}/{self.name}"

    def connect(self):
        return psycopg.connect(dbname=self.name, **self.server)

    def drop(self) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def site(transactional_db, tmp_path, django_capture_on_commit_callbacks):
    """The demo site, with an initiative's image in the media folder and a report's evidence in the private one."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (11, 107, 58)).save(picture, format="PNG")
    Initiative.objects.order_by("pk").first().image.save("pump.png", ContentFile(picture.getvalue()))
    evidence = Attachment(report=Report.objects.order_by("pk").first(), content_type="image/jpeg", size=5)
    evidence.file.save("photo.jpg", ContentFile(b"\xff\xd8\xff\xe0x"))
    return tmp_path


def test_a_backup_restores_every_row_and_file_into_a_new_database(site, settings):
    archive = site / "samen.zip"
    out = io.StringIO()
    call_command("samen_backup", str(archive), stdout=out, stderr=io.StringIO())
    assert "Wrote" in out.getvalue()
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        expected = row_counts(cursor, tables, connection.vendor)
    expected_files = {
        "media": files_under(Path(settings.MEDIA_ROOT)),
        "private": files_under(Path(settings.SAMEN_PRIVATE_MEDIA_ROOT)),
    }
    assert len(expected_files["media"]) == len(expected_files["private"]) == 1
    assert expected["reports_cellcount"] and expected["people_member"]

    targets = ["sqlite"] if connection.vendor == "sqlite" else ["postgresql", "sqlite"]
    for vendor in targets:
        folder = site / f"restored-{vendor}"
        folder.mkdir()
        environment = {
            "SAMEN_MEDIA_ROOT": str(folder / "media"),
            "SAMEN_PRIVATE_MEDIA_ROOT": str(folder / "private"),
        }
        database = None
        if vendor == "postgresql":
            database = PostgresDatabase(f"{settings.DATABASES['default']['NAME']}_restored")
            environment["DATABASE_URL"] = database.url
        else:
            environment["DATABASE_URL"] = f"sqlite:///{folder / 'db.sqlite3'}"
        try:
            manage("migrate", "--noinput", "-v", "0", environment=environment)
            said = manage("samen_restore", str(archive), environment=environment)
            assert "every table has the archive's row count" in said

            if database is not None:
                with database.connect() as restored, restored.cursor() as cursor:
                    found = row_counts(cursor, tables, vendor)
            else:
                with sqlite3.connect(folder / "db.sqlite3") as restored:
                    found = row_counts(restored.cursor(), tables, vendor)
        finally:
            if database is not None:
                database.drop()

        assert found == expected, f"restored into {vendor}"
        assert files_under(folder / "media") == expected_files["media"]
        assert files_under(folder / "private") == expected_files["private"]


def test_a_restore_never_mixes_two_sites(initiative, tmp_path):
    archive = tmp_path / "samen.zip"
    call_command("samen_backup", str(archive), stdout=io.StringIO(), stderr=io.StringIO())

    with pytest.raises(CommandError, match="The database is not empty"):
        call_command("samen_restore", str(archive), stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="exists already"):
        call_command("samen_backup", str(archive), stdout=io.StringIO(), stderr=io.StringIO())

    # An archive from another version of Samen asks for that version.
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(other, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["migrations"].append("reports.9999_from_the_future")
                data = json.dumps(manifest).encode()
            target.writestr(item, data)
    with pytest.raises(CommandError, match="reports.9999_from_the_future"):
        call_command("samen_restore", str(other), stdout=io.StringIO(), stderr=io.StringIO())
