"""Stories and update bodies are rendered once, when saved, and the stored HTML always matches the text."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from samen.core.text import render_markdown
from samen.initiatives.models import Initiative, Update

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("samen.initiatives.migrations.0005_rendered_markdown_page_version")


def stored(model, pk, field):
    return model.objects.values_list(field, flat=True).get(pk=pk)


def test_saving_stores_the_sanitised_html_of_the_story(initiative):
    initiative.story = "# Why\n\n**Water** for all. <script>alert(1)</script>"
    initiative.save()

    html = stored(Initiative, initiative.pk, "story_rendered")
    assert html == str(render_markdown(initiative.story))
    assert "<h2>Why</h2>" in html and "<script>" not in html


def test_the_page_shows_the_stored_html_without_rendering_markdown(client, initiative, monkeypatch):
    client.get(initiative.get_absolute_url())  # the shared fragments are cached from here on
    from samen.initiatives import models

    def fail(source):
        raise AssertionError("rendered Markdown while serving a page")

    monkeypatch.setattr(models, "render_markdown", fail)
    Initiative.objects.filter(pk=initiative.pk).update(page_version=99)  # miss the cache, keep the row

    html = client.get(initiative.get_absolute_url()).content.decode()

    assert "<strong>residents</strong>" in html


def test_an_edited_story_shows_its_new_html(client_as, people, initiative):
    owner = client_as(people["owner"])
    owner.get(initiative.get_absolute_url())
    data = {
        "title": initiative.title,
        "summary": initiative.summary,
        "story": "Now with *emphasis*.",
        "causes": initiative.causes,
        "place_name": initiative.place_name,
    }

    response = owner.post(f"/initiatives/{initiative.slug}/edit/", data)

    assert response.status_code == 302
    html = owner.get(initiative.get_absolute_url()).content.decode()
    assert "<em>emphasis</em>" in html and "<strong>residents</strong>" not in html


def test_saving_other_fields_keeps_the_stored_html(initiative):
    html = stored(Initiative, initiative.pk, "story_rendered")

    initiative.set_status(Initiative.Status.CLOSED)

    assert stored(Initiative, initiative.pk, "story_rendered") == html


def test_update_fields_with_the_story_store_its_html_too(initiative):
    initiative.story = "Only *this* changed."
    initiative.save(update_fields=["story"])

    assert stored(Initiative, initiative.pk, "story_rendered") == "<p>Only <em>this</em> changed.</p>"


def test_a_story_changed_in_memory_is_rendered_afresh_rather_than_shown_stale(initiative):
    initiative.refresh_from_db()
    assert "<strong>residents</strong>" in initiative.story_html

    initiative.story = "Changed, *not saved*."

    assert initiative.story_html == "<p>Changed, <em>not saved</em>.</p>"


def test_rows_written_without_save_are_rendered_on_the_spot(initiative, owner):
    Initiative.objects.filter(pk=initiative.pk).update(story_rendered=None)
    [update] = Update.objects.bulk_create(
        [Update(initiative=initiative, author=owner, title="T", body="**Bulk**")]
    )

    assert "<strong>residents</strong>" in Initiative.objects.get(pk=initiative.pk).story_html
    assert Update.objects.get(pk=update.pk).body_html == "<p><strong>Bulk</strong></p>"


def test_an_update_stores_its_body_html_and_its_pages_show_it(client, initiative, owner):
    update = Update.objects.create(initiative=initiative, author=owner, title="News", body="A *new* well.")

    assert stored(Update, update.pk, "body_rendered") == "<p>A <em>new</em> well.</p>"
    assert "<em>new</em>" in client.get(update.get_absolute_url()).content.decode()


def test_the_migration_renders_existing_rows(initiative, owner):
    update = Update.objects.create(initiative=initiative, author=owner, title="News", body="*Old* row")
    Initiative.objects.filter(pk=initiative.pk).update(story_rendered=None)
    Update.objects.filter(pk=update.pk).update(body_rendered=None)

    # The function only asks the editor for its connection; SQLite's real schema editor cannot
    # open inside the test's transaction.
    MIGRATION.render_existing(apps, SimpleNamespace(connection=connection))

    assert stored(Initiative, initiative.pk, "story_rendered") == str(render_markdown(initiative.story))
    assert stored(Update, update.pk, "body_rendered") == "<p><em>Old</em> row</p>"
