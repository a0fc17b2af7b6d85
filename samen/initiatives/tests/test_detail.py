"""The initiative page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samen.initiatives.models import Follow, TeamMember, Update
from samen.people.models import Member

pytestmark = pytest.mark.django_db


def test_it_shows_everything_about_the_initiative(client, initiative, owner):
    Update.objects.create(initiative=initiative, author=owner, title="First well dug", body="It works.")

    response = client.get(initiative.get_absolute_url())
    html = response.content.decode()

    assert response.status_code == 200
    assert html.count("<h1") == 1
    for text in [
        "Clean water for Kibera",
        "Water points and hygiene lessons",
        "<strong>residents</strong>",
        "Water and sanitation",
        "Health",
        "Nairobi",
        "Open",
        "Olga Owner",
        "Tom Team",
        "1 follower",
        "First well dug",
    ]:
        assert text in html


def test_a_visitor_is_asked_to_log_in_to_follow(client, initiative):
    html = client.get(initiative.get_absolute_url()).content.decode()

    assert "Log in to follow" in html
    assert 'action="/initiatives/clean-water-kibera/follow/"' not in html


def test_a_follower_sees_an_unfollow_button_and_an_outsider_a_follow_button(client_as, people, initiative):
    as_member = client_as(people["member"]).get(initiative.get_absolute_url()).content.decode()
    as_outsider = client_as(people["outsider"]).get(initiative.get_absolute_url()).content.decode()

    assert "/unfollow/" in as_member
    assert "/follow/" in as_outsider and "/unfollow/" not in as_outsider


def test_only_the_team_sees_the_management_links(client_as, people, initiative):
    as_owner = client_as(people["owner"]).get(initiative.get_absolute_url()).content.decode()
    as_team = client_as(people["team"]).get(initiative.get_absolute_url()).content.decode()
    as_member = client_as(people["member"]).get(initiative.get_absolute_url()).content.decode()

    assert "/edit/" in as_owner and "/team/" in as_owner and "/status/" in as_owner
    assert "/edit/" in as_team and "/updates/new/" in as_team and "/team/" not in as_team
    assert "/edit/" not in as_member and "/updates/new/" not in as_member


def test_an_unknown_slug_is_404(client):
    assert client.get("/initiatives/no-such-thing/").status_code == 404


def test_the_page_runs_the_same_number_of_queries_whatever_the_team_updates_and_followers(
    client_as, people, initiative
):
    viewer = client_as(people["team"])

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert viewer.get(initiative.get_absolute_url()).status_code == 200
        return len(queries)

    few = count_queries()
    for n in range(30):
        person = Member.objects.create_user(email=f"p{n}@example.org", password="x", name=f"P {n}")
        TeamMember.objects.create(initiative=initiative, member=person)
        Follow.objects.create(initiative=initiative, member=person)
        Update.objects.create(initiative=initiative, author=person, title=f"Update {n}", body="Text")
    many = count_queries()

    assert few == many


def test_a_shared_link_to_it_previews_its_title_and_summary(client, initiative):
    html = client.get(initiative.get_absolute_url()).content.decode()

    assert f'<meta property="og:title" content="{initiative.title}">' in html
    assert f'<meta property="og:description" content="{initiative.summary}">' in html
    assert f'<meta property="og:url" content="http://testserver{initiative.get_absolute_url()}">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert "og:image" not in html  # no image, no broken preview


def test_other_pages_preview_as_samen(client):
    html = client.get("/initiatives/").content.decode()

    assert '<meta property="og:title" content="Samen">' in html
    assert html.count('property="og:title"') == 1
