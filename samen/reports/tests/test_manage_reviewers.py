"""Coordinators add and remove a map's reviewers by e-mail address."""

import pytest
from django.urls import reverse

from samen.reports.access import map_role


@pytest.mark.django_db
def test_a_coordinator_adds_a_reviewer_by_email_who_can_then_review(client_as, people, report_map):
    client = client_as(people["owner"])

    response = client.post(
        reverse("reports:manage_reviewers", args=[report_map.slug]), {"email": "OTTO@example.org"}
    )

    assert response.status_code == 302
    assert report_map.reviewers.filter(pk=people["outsider"].pk).exists()
    assert (
        client_as(people["outsider"]).get(reverse("reports:review", args=[report_map.slug])).status_code
        == 200
    )


@pytest.mark.django_db
def test_an_unknown_address_is_refused_and_kept(client_as, people, report_map):
    response = client_as(people["owner"]).post(
        reverse("reports:manage_reviewers", args=[report_map.slug]), {"email": "nobody@example.org"}
    )

    assert response.status_code == 200
    assert "No member has this e-mail address" in response.content.decode()
    assert 'value="nobody@example.org"' in response.content.decode()


@pytest.mark.django_db
def test_removing_a_reviewer_ends_their_access(client_as, people, reviewer, report_map):
    client_as(people["owner"]).post(
        reverse("reports:manage_reviewer_remove", args=[report_map.slug, reviewer.pk])
    )

    assert not report_map.reviewers.filter(pk=reviewer.pk).exists()
    assert map_role(reviewer, report_map) < map_role(people["team"], report_map)
    assert client_as(reviewer).get(reverse("reports:review", args=[report_map.slug])).status_code == 403
