"""Following and unfollowing, with and without htmx."""

import pytest
from django.urls import reverse

from samen.initiatives.models import Follow

pytestmark = pytest.mark.django_db


def follow_url(initiative):
    return reverse("initiatives:follow", args=[initiative.slug])


def unfollow_url(initiative):
    return reverse("initiatives:unfollow", args=[initiative.slug])


def count(initiative):
    initiative.refresh_from_db()
    return initiative.follower_count


def test_a_member_follows_and_the_count_goes_up(client_as, people, initiative):
    response = client_as(people["outsider"]).post(follow_url(initiative))

    assert response.status_code == 302 and response["Location"] == initiative.get_absolute_url()
    assert Follow.objects.filter(initiative=initiative, member=people["outsider"]).exists()
    assert count(initiative) == 2


def test_following_twice_changes_nothing(client_as, people, initiative):
    client = client_as(people["outsider"])

    client.post(follow_url(initiative))
    client.post(follow_url(initiative))

    assert Follow.objects.filter(initiative=initiative).count() == 2
    assert count(initiative) == 2


def test_unfollowing_twice_changes_nothing(client_as, people, initiative):
    client = client_as(people["member"])

    client.post(unfollow_url(initiative))
    client.post(unfollow_url(initiative))

    assert not Follow.objects.filter(initiative=initiative).exists()
    assert count(initiative) == 0


def test_unfollowing_without_following_leaves_the_count_alone(client_as, people, initiative):
    client_as(people["outsider"]).post(unfollow_url(initiative))

    assert count(initiative) == 1


def test_the_team_can_follow_too(client_as, people, initiative):
    client = client_as(people["team"])
    client.post(follow_url(initiative))

    html = client.get(initiative.get_absolute_url()).content.decode()

    assert count(initiative) == 2
    assert "/unfollow/" in html


def test_with_htmx_it_answers_with_just_the_button(client_as, people, initiative):
    response = client_as(people["outsider"]).post(follow_url(initiative), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="follow-box"' not in html  # only what goes inside the box
    assert "2 followers" in html
    assert "/unfollow/" in html

    html = (
        client_as(people["outsider"]).post(unfollow_url(initiative), headers={"HX-Request": "true"}).content
    )
    assert b"1 follower" in html and b"/follow/" in html


def test_the_buttons_work_without_javascript(client_as, people, initiative):
    html = client_as(people["outsider"]).get(initiative.get_absolute_url()).content.decode()

    assert f'method="post" action="{follow_url(initiative)}"' in html


def test_a_visitor_must_log_in_to_follow(client, initiative):
    response = client.post(follow_url(initiative))

    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert count(initiative) == 1


def test_nobody_outside_the_team_can_follow_a_draft(client_as, people, draft):
    response = client_as(people["outsider"]).post(follow_url(draft))

    assert response.status_code == 404
    assert count(draft) == 1


def test_following_needs_a_post(client_as, people, initiative):
    assert client_as(people["outsider"]).get(follow_url(initiative)).status_code == 405


def test_the_follower_count_always_matches_the_rows(initiative, outsider):
    initiative.follow(outsider)
    initiative.unfollow(outsider)
    initiative.follow(outsider)

    assert initiative.follower_count == Follow.objects.filter(initiative=initiative).count() == 2
