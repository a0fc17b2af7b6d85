"""Bulk actions from the queue: publish, archive, verify and categorise a selection."""

import pytest
from django.urls import reverse

from samen.reports import actions
from samen.reports.models import Report


def bulk(client, report_map, **data):
    return client.post(reverse("reports:review_bulk", args=[report_map.slug]), data)


@pytest.mark.django_db
def test_bulk_publish_publishes_the_selection_logs_each_and_keeps_the_filters(
    client_as, reviewer, report_map, make_report
):
    one, two, untouched = make_report(), make_report(), make_report()

    response = bulk(
        client_as(reviewer),
        report_map,
        action="publish",
        reports=[one.pk, two.pk],
        query="source=web&status=all",
    )

    assert response.status_code == 302
    assert (
        response["Location"] == reverse("reports:review", args=[report_map.slug]) + "?status=all&source=web"
    )
    assert set(Report.objects.published().values_list("pk", flat=True)) == {one.pk, two.pk}
    assert Report.objects.get(pk=untouched.pk).status == Report.Status.RECEIVED
    for report in (one, two):
        change = report.changes.get(action="status")
        assert change.actor == reviewer
        assert change.changes["status"] == ["received", "published"]


@pytest.mark.django_db
def test_bulk_archive_and_verify(client_as, reviewer, report_map, make_report):
    one, two = make_report(), make_report()
    client = client_as(reviewer)

    bulk(client, report_map, action="verify", reports=[one.pk, two.pk])
    bulk(client, report_map, action="archive", reports=[two.pk])

    assert list(Report.objects.filter(verified=True).order_by("pk").values_list("pk", flat=True)) == [
        one.pk,
        two.pk,
    ]
    assert Report.objects.get(pk=two.pk).status == Report.Status.ARCHIVED


@pytest.mark.django_db
def test_bulk_categorise_needs_a_category_and_keeps_the_ticks(
    client_as, reviewer, report_map, make_report, categories
):
    report = make_report()
    client = client_as(reviewer)

    refused = bulk(client, report_map, action="categorise", reports=[report.pk])
    done = bulk(
        client, report_map, action="categorise", category=categories["unsafe"].pk, reports=[report.pk]
    )

    assert refused.status_code == 200
    assert "Choose the category to add." in refused.content.decode()
    assert f'value="{report.pk}" id="select-{report.pk}" checked' in refused.content.decode()
    assert done.status_code == 302
    assert list(report.categories.all()) == [categories["unsafe"]]


@pytest.mark.django_db
def test_bulk_without_a_selection_says_so(client_as, reviewer, report_map, make_report):
    make_report()

    response = bulk(client_as(reviewer), report_map, action="publish")

    assert response.status_code == 200
    assert "Tick at least one report." in response.content.decode()


@pytest.mark.django_db
def test_bulk_reports_what_it_left_alone(client_as, reviewer, people, report_map, make_report):
    free = make_report()
    locked = make_report()
    archived = make_report(status=Report.Status.ARCHIVED)
    actions.acquire_lock(locked, people["team"])

    client = client_as(reviewer)
    response = bulk(client, report_map, action="publish", reports=[free.pk, locked.pk, archived.pk])
    page = client.get(response["Location"]).content.decode()

    assert "1 report changed." in page
    assert "1 report was left alone: another reviewer is editing it." in page
    assert "1 report cannot take that step from its current status." in page


@pytest.mark.django_db
def test_bulk_publishing_unlocated_reports_warns_about_the_map(client_as, reviewer, report_map, make_report):
    report = make_report(latitude=None, longitude=None)

    client = client_as(reviewer)
    response = bulk(client, report_map, action="publish", reports=[report.pk])
    page = client.get(response["Location"]).content.decode()

    assert "1 published report has no coordinates" in page


@pytest.mark.django_db
def test_bulk_ignores_ids_from_another_map(client_as, reviewer, report_map, initiative):
    from samen.reports.models import ReportMap

    other_map = ReportMap.objects.create(
        initiative=initiative, slug="other", title="Other", visibility="private"
    )
    foreign = Report.objects.create(report_map=other_map, title="Foreign")

    bulk(client_as(reviewer), report_map, action="publish", reports=[foreign.pk])

    assert Report.objects.get(pk=foreign.pk).status == Report.Status.RECEIVED
