"""Full-text search structures, one kind per database engine (see samen/initiatives/search.py).

SQLite: an external-content FTS5 table over title, summary and story, kept in step by triggers,
so the index holds no second copy of the text. PostgreSQL: a GIN index over the same weighted
tsvector expression that search.search_vector() builds; the planner only uses it when the two
expressions are identical, which test_search checks.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

PG_INDEX_NAME = "initiative_search_gin"

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE initiatives_fts USING fts5(
        title, summary, story,
        content='initiatives_initiative', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER initiatives_fts_insert AFTER INSERT ON initiatives_initiative BEGIN
        INSERT INTO initiatives_fts(rowid, title, summary, story)
        VALUES (new.id, new.title, new.summary, new.story);
    END""",
    # External-content tables need the old values to remove a row from the index.
    """CREATE TRIGGER initiatives_fts_delete AFTER DELETE ON initiatives_initiative BEGIN
        INSERT INTO initiatives_fts(initiatives_fts, rowid, title, summary, story)
        VALUES ('delete', old.id, old.title, old.summary, old.story);
    END""",
    """CREATE TRIGGER initiatives_fts_update AFTER UPDATE OF title, summary, story ON initiatives_initiative
    BEGIN
        INSERT INTO initiatives_fts(initiatives_fts, rowid, title, summary, story)
        VALUES ('delete', old.id, old.title, old.summary, old.story);
        INSERT INTO initiatives_fts(rowid, title, summary, story)
        VALUES (new.id, new.title, new.summary, new.story);
    END""",
    # Index the rows that existed before this migration.
    "INSERT INTO initiatives_fts(initiatives_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS initiatives_fts_update",
    "DROP TRIGGER IF EXISTS initiatives_fts_delete",
    "DROP TRIGGER IF EXISTS initiatives_fts_insert",
    "DROP TABLE IF EXISTS initiatives_fts",
]


def pg_index():
    # Frozen copy of search.search_vector(): a migration must not change when app code does.
    vector = (
        SearchVector("title", config="simple", weight="A")
        + SearchVector("summary", config="simple", weight="B")
        + SearchVector("story", config="simple", weight="C")
    )
    return GinIndex(vector, name=PG_INDEX_NAME)


def create_search(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.add_index(apps.get_model("initiatives", "Initiative"), pg_index())


def drop_search(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("initiatives", "Initiative"), pg_index())


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0002_initial")]

    operations = [migrations.RunPython(create_search, drop_search)]
