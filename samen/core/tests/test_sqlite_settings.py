"""The default database: SQLite in WAL mode with persistent connections."""

import importlib

import pytest
from django.db.backends.sqlite3.base import DatabaseWrapper


@pytest.fixture
def default_settings(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    import samen.settings

    yield importlib.reload(samen.settings)
    importlib.reload(samen.settings)


def test_sqlite_is_the_default_with_persistent_connections(default_settings):
    database = default_settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["CONN_MAX_AGE"] > 0


def test_a_sqlite_file_opens_in_wal_mode(default_settings, tmp_path, django_db_blocker):
    database = {**default_settings.DATABASES["default"], "NAME": str(tmp_path / "samen.sqlite3")}
    database.setdefault("TIME_ZONE", None)
    connection = DatabaseWrapper(
        {**database, "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False}, alias="wal-check"
    )
    try:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
    finally:
        connection.close()


def test_database_url_switches_to_postgresql(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://samen:secret@db.internal:5432/samen")
    import samen.settings

    try:
        reloaded = importlib.reload(samen.settings)
        database = reloaded.DATABASES["default"]
        assert database["ENGINE"] == "django.db.backends.postgresql"
        assert (database["HOST"], database["NAME"]) == ("db.internal", "samen")
        assert "init_command" not in database.get("OPTIONS", {})
    finally:
        monkeypatch.undo()
        importlib.reload(samen.settings)
