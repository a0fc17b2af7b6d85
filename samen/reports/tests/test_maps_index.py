"""/maps/: the report maps a viewer may open, paginated, each with its count of published reports."""

from decimal import Decimal

import pytest
from django.urls import reverse

from samen.initiatives.models import Initiative
from samen.reports.clustering import counting_paused, published_counts
from samen.reports.models import Report, ReportMap
from samen.reports.views import index

# Who sees the private map: the initiative's team and the map's reviewers.
SEES_PRIVATE = {
    "owner": True,
    "team": True,
    "reviewer": True,
    "member": False,
    "outsider": False,
    "anonymous": False,
}


@pytest.fixture
def private_map(initiative, reviewer):
    item = ReportMap.objects.create(
        initiative=initiative,
        slug="internal-reports",
        title="Internal incident reports",
        visibility="private",
    )
    item.reviewers.add(reviewer)
    return item


@pytest.fixture
def draft_map(make_initiative):
    draft = make_initiative(title="Not started", slug="not-started", status=Initiative.Status.DRAFT)
    return ReportMap.objects.create(initiative=draft, slug="draft-map", title="Map of a draft initiative")


def titles(response) -> list[str]:
    return [report_map.title for report_map, _count in response.context["entries"]]


@pytest.mark.django_db
@pytest.mark.parametrize("who", SEES_PRIVATE)
def test_private_maps_are_listed_only_for_their_team_and_reviewers(
    client_as, people, reviewer, report_map, private_map, draft_map, who
):
    person = reviewer if who == "reviewer" else people[who]

    response = client_as(person).get(reverse("reports:index"))

    assert response.status_code == 200
    assert report_map.title in titles(response)
    assert (private_map.title in titles(response)) == SEES_PRIVATE[who]
    assert (private_map.title in response.content.decode()) == SEES_PRIVATE[who]
    # A draft initiative's map is for its team (the owner, who made it) only.
    assert (draft_map.title in titles(response)) == (who == "owner")


@pytest.mark.django_db
def test_each_map_says_how_many_reports_it_has_published(client, report_map, make_report):
    make_report(status=Report.Status.PUBLISHED)
    make_report(status=Report.Status.PUBLISHED, latitude=None, longitude=None)  # no place: still counted
    make_report(status=Report.Status.RECEIVED)
    merged_into = make_report(status=Report.Status.PUBLISHED, latitude=Decimal("-1.2"))
    make_report(status=Report.Status.ARCHIVED, merged_into=merged_into)

    response = client.get(reverse("reports:index"))

    assert dict((m.slug, n) for m, n in response.context["entries"]) == {report_map.slug: 3}
    assert "3 published reports" in response.content.decode()


@pytest.mark.django_db
def test_the_counts_read_the_summaries_also_for_bulk_loads(report_map, make_report):
    with counting_paused(report_map):
        for i in range(3):
            make_report(title=f"Loaded {i}", status=Report.Status.PUBLISHED, latitude=Decimal("-1.3") + i)
    assert published_counts([report_map.pk]) == {report_map.pk: 3}


@pytest.mark.django_db
def test_the_list_is_paginated_in_a_bounded_number_of_queries(
    client, initiative, report_map, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(index, "PAGE_SIZE", 2)
    for n in range(4):
        ReportMap.objects.create(initiative=initiative, slug=f"map-{n}", title=f"Zone {n}")

    with django_assert_max_num_queries(6):
        first = client.get(reverse("reports:index"))
    second = client.get(reverse("reports:index"), {"page": 3})

    assert len(titles(first)) == 2
    assert "Page 1 of 3" in first.content.decode()
    assert titles(second) == ["Zone 3"]
    assert 'rel="prev"' in second.content.decode()


@pytest.mark.django_db
def test_the_site_menu_leads_to_the_maps(client):
    response = client.get(reverse("home"))
    assert f'href="{reverse("reports:index")}"' in response.content.decode()
