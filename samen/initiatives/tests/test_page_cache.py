"""The initiative page caches what every viewer sees alike. It must never show anything stale,
and nothing that belongs to one viewer may reach another."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samen.initiatives import actions
from samen.initiatives.models import Initiative, Update
from samen.people.models import Member

pytestmark = pytest.mark.django_db


def page(client, initiative) -> str:
    response = client.get(initiative.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def main_part(html: str) -> str:
    """The page's own content; the header and footer carry a fresh CSRF token every time."""
    return html[html.index("<main") : html.index("</main>")]


def queries_for(client, initiative) -> int:
    with CaptureQueriesContext(connection) as queries:
        page(client, initiative)
    return len(queries)


def test_a_repeat_visit_is_served_from_the_cache_with_one_query(client, initiative):
    first = page(client, initiative)

    assert queries_for(client, initiative) == 1  # the initiative itself, for the access check
    assert main_part(page(client, initiative)) == main_part(first)


def test_a_new_update_shows_at_once(client, initiative, owner):
    assert "No updates yet." in page(client, initiative)

    actions.post_update(initiative, owner, title="The first well is dug", body="It works.")

    html = page(client, initiative)
    assert "The first well is dug" in html and "No updates yet." not in html


def test_a_deleted_update_disappears_at_once(client, initiative, owner):
    update = Update.objects.create(initiative=initiative, author=owner, title="Posted by mistake", body="x")
    assert "Posted by mistake" in page(client, initiative)

    update.delete()

    assert "Posted by mistake" not in page(client, initiative)


def test_team_changes_show_at_once(client, initiative, outsider):
    assert "Otto Outsider" not in page(client, initiative)

    added = initiative.add_team_member(outsider)
    assert "Otto Outsider" in page(client, initiative)

    initiative.remove_team_member(added)
    assert "Otto Outsider" not in page(client, initiative)


def test_a_renamed_member_shows_under_the_new_name(client, initiative, owner):
    Update.objects.create(initiative=initiative, author=owner, title="News", body="x")
    assert "Olga Owner" in page(client, initiative)

    owner.name = "Olga Eigenaar"
    owner.save(update_fields=["name"])

    html = page(client, initiative)
    assert "Olga Eigenaar" in html and "Olga Owner" not in html


def test_a_login_does_not_empty_the_cache(client, initiative, owner):
    page(client, initiative)

    owner.save(update_fields=["last_login"])

    assert queries_for(client, initiative) == 1


def test_a_deleted_author_is_no_longer_named(client, initiative):
    author = Member.objects.create_user(email="ada@example.org", password="x", name="Ada Author")
    Update.objects.create(initiative=initiative, author=author, title="News", body="x")
    assert "Ada Author" in page(client, initiative)

    author.delete()

    assert "Ada Author" not in page(client, initiative)


def test_edits_and_status_changes_show_at_once(client, initiative):
    page(client, initiative)

    initiative.title = "Clean water for all of Kibera"
    initiative.save()
    assert "Clean water for all of Kibera" in page(client, initiative)

    initiative.set_status(Initiative.Status.CLOSED)
    assert "<dd>Closed</dd>" in page(client, initiative)


def test_the_follower_count_is_always_current(client, initiative, outsider):
    assert "1 follower" in page(client, initiative)

    initiative.follow(outsider)

    assert "2 followers" in page(client, initiative)


def test_a_draft_is_not_shown_from_the_cache(client, client_as, people, initiative):
    page(client, initiative)

    initiative.set_status(Initiative.Status.DRAFT)

    assert client.get(initiative.get_absolute_url()).status_code == 404
    assert "only the team can see it" in page(client_as(people["owner"]), initiative)


def test_what_one_viewer_sees_never_reaches_another(client, client_as, people, initiative):
    as_owner = page(client_as(people["owner"]), initiative)  # primes the cache
    assert "/updates/new/" in as_owner and "/status/" in as_owner and "csrfmiddlewaretoken" in as_owner

    as_anonymous = page(client, initiative)
    as_follower = page(client_as(people["member"]), initiative)

    assert "Log in to follow" in as_anonymous
    for html in (as_anonymous, as_follower):
        assert "/updates/new/" not in html and "/edit/" not in html and "/status/" not in html
    assert "/unfollow/" in as_follower and "/unfollow/" not in as_anonymous


def test_each_language_gets_its_own_fragments(client, initiative):
    assert "No updates yet." in page(client, initiative)

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    html = page(client, initiative)

    assert "Nog geen updates." in html and "No updates yet." not in html
