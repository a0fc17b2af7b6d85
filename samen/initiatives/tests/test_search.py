"""The search index itself: the query translation, and that the index follows the table."""

import pytest
from django.db import connection

from samen.initiatives.models import Initiative
from samen.initiatives.search import fts5_query, search_initiatives

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 is SQLite's")
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN is PostgreSQL's")


def found(q):
    return [item.title for item in search_initiatives(Initiative.objects.all(), q)]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("water", '("water")'),
        ("clean water", '("clean" AND "water")'),
        ('"clean water" kibera', '("clean water" AND "kibera")'),
        ("water or food", '("water") OR ("food")'),
        ("water -drinking", '(("water")) NOT "drinking"'),
        ("NEAR(a b) title:x", '("NEAR(a" AND "b)" AND "title:x")'),
        ('say"hi', '("say""hi")'),
        ("-only -negatives", ""),
        ("* - ( )", ""),
        ("or or", ""),
        ("", ""),
    ],
)
def test_it_turns_every_typed_term_into_a_quoted_fts5_string(typed, expected):
    assert fts5_query(typed) == expected


def test_it_caps_the_number_of_terms():
    assert fts5_query(" ".join(f"w{n}" for n in range(100))).count('"') == 2 * 16


@pytest.mark.django_db
def test_an_edited_title_is_found_by_its_new_words_only(make_initiative):
    item = make_initiative(title="Bicycle repair")

    item.title = "Sewing circle"
    item.save()

    assert found("sewing") == ["Sewing circle"]
    assert found("bicycle") == []


@pytest.mark.django_db
def test_a_deleted_initiative_leaves_the_index(make_initiative):
    make_initiative(title="Bicycle repair").delete()

    assert found("bicycle") == []


@pytest.mark.django_db
def test_updates_made_with_queryset_update_are_indexed(make_initiative):
    item = make_initiative(title="Bicycle repair")

    Initiative.objects.filter(pk=item.pk).update(summary="Also tandems")

    assert found("tandems") == ["Bicycle repair"]


@pytest.mark.django_db
def test_an_empty_search_changes_nothing(make_initiative):
    make_initiative(title="Bicycle repair")

    assert found("   ") == ["Bicycle repair"]


@on_sqlite
@pytest.mark.django_db
def test_the_fts5_table_and_its_triggers_exist_after_migrating():
    # SQLite rebuilds a table to alter it, which drops its triggers: a later migration on
    # Initiative must re-create them, and this test says so if it does not.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master "
            "WHERE type IN ('table', 'trigger') AND name LIKE 'initiatives_fts%'"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert {
        "initiatives_fts",
        "initiatives_fts_insert",
        "initiatives_fts_update",
        "initiatives_fts_delete",
    } <= names


@on_postgres
@pytest.mark.django_db
def test_postgres_answers_searches_from_the_gin_index(make_initiative):
    for n in range(50):
        make_initiative(title=f"Project {n}", summary="Bicycles" if n == 7 else "Other things")
    queryset = search_initiatives(Initiative.objects.all(), "bicycles")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()

    assert "initiative_search_gin" in plan
    assert [item.title for item in queryset] == ["Project 7"]
