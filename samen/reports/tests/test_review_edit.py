"""One report's review page: edit, geolocate, categorise, verify, publish or archive, under an edit lock."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from samen.reports.models import Report, ReportChange
from samen.reports.signals import report_published


def edit_url(report):
    return reverse("reports:review_edit", args=[report.report_map.slug, report.pk])


def edit_data(report, **fields):
    data = {
        "title": report.title,
        "description": report.description,
        "event_at": timezone.localtime(report.event_at).strftime("%Y-%m-%dT%H:%M"),
        "place_name": report.place_name,
        "latitude": "" if report.latitude is None else str(report.latitude),
        "longitude": "" if report.longitude is None else str(report.longitude),
        "location_precision": report.location_precision,
        "categories": [c.pk for c in report.categories.all()],
    }
    if report.verified:
        data["verified"] = "on"
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def published_signals():
    heard = []

    def listen(sender, report_id, **kwargs):
        heard.append(report_id)

    report_published.connect(listen)
    yield heard
    report_published.disconnect(listen)


@pytest.mark.django_db
def test_opening_a_report_takes_the_lock_and_starts_its_review(client_as, reviewer, make_report):
    report = make_report()

    response = client_as(reviewer).get(edit_url(report))

    report.refresh_from_db()
    assert response.status_code == 200
    assert report.locked_by == reviewer
    assert timedelta(minutes=9) < report.locked_until - timezone.now() <= timedelta(minutes=10)
    assert report.status == Report.Status.IN_REVIEW
    change = report.changes.get(action="status")
    assert change.actor == reviewer
    assert change.changes == {"status": ["received", "in_review"]}


@pytest.mark.django_db
def test_reviewers_see_the_original_text_and_the_contact(client_as, reviewer, make_report):
    report = make_report(description="Call me on +254 712 345 678", reporter_contact="+254712345678")

    page = client_as(reviewer).get(edit_url(report)).content.decode()

    assert "Call me on +254 712 345 678" in page
    assert "Call me on [removed]" in page
    assert "+254712345678" in page


@pytest.mark.django_db
def test_saving_edits_geolocates_categorises_logs_and_releases(client_as, reviewer, make_report, categories):
    report = make_report(latitude=None, longitude=None, place_name="")
    client = client_as(reviewer)
    client.get(edit_url(report))

    response = client.post(
        edit_url(report),
        edit_data(
            report,
            title="Tap broken at Olympic school",
            place_name="Olympic primary school",
            latitude="-1.3140",
            longitude="36.7830",
            location_precision="exact",
            categories=[categories["broken"].pk],
            verified="on",
        ),
    )

    report.refresh_from_db()
    assert response.status_code == 302
    assert report.title == "Tap broken at Olympic school"
    assert (report.latitude, report.longitude) == (Decimal("-1.314000"), Decimal("36.783000"))
    assert report.h3_r9 is not None
    assert list(report.categories.all()) == [categories["broken"]]
    assert report.verified is True
    assert report.locked_by is None
    logged = {change.action: change for change in report.changes.all()}
    assert logged["edited"].changes == {"title": ["Water point broken", "Tap broken at Olympic school"]}
    assert logged["geolocated"].changes == {
        "place_name": ["", "Olympic primary school"],
        "latitude": [None, "-1.314000"],
        "longitude": [None, "36.783000"],
    }
    assert logged["categorised"].changes == {"categories": ["", "Broken water point"]}
    assert logged["verified"].changes == {"verified": ["False", "True"]}
    assert all(change.actor == reviewer for change in logged.values())


@pytest.mark.django_db
def test_saving_without_changes_writes_no_audit_line(client_as, reviewer, make_report):
    report = make_report(status=Report.Status.IN_REVIEW)
    client = client_as(reviewer)
    client.get(edit_url(report))
    before = ReportChange.objects.count()

    client.post(edit_url(report), edit_data(report))

    assert ReportChange.objects.count() == before


@pytest.mark.django_db
def test_save_and_publish_sets_published_at_and_announces_it_after_commit(
    client_as, reviewer, make_report, published_signals, django_capture_on_commit_callbacks
):
    report = make_report()
    client = client_as(reviewer)
    client.get(edit_url(report))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(edit_url(report), edit_data(report, then="publish"))

    report.refresh_from_db()
    assert report.status == Report.Status.PUBLISHED
    assert report.published_at is not None
    assert published_signals == [report.pk]
    assert len(callbacks) >= 1
    assert report.changes.filter(action="status", changes__status=["in_review", "published"]).exists()


@pytest.mark.django_db
def test_publishing_an_unlocated_report_warns_that_it_will_not_be_on_the_map(
    client_as, reviewer, make_report
):
    report = make_report(latitude=None, longitude=None)
    client = client_as(reviewer)
    client.get(edit_url(report))

    response = client.post(edit_url(report), edit_data(report, then="publish"), follow=True)

    report.refresh_from_db()
    assert report.status == Report.Status.PUBLISHED
    assert "not on the map until you geolocate it" in response.content.decode()


@pytest.mark.django_db
def test_an_archived_report_cannot_jump_onto_the_map_and_the_edits_are_kept(client_as, reviewer, make_report):
    report = make_report(status=Report.Status.ARCHIVED)
    client = client_as(reviewer)
    client.get(edit_url(report))

    response = client.post(edit_url(report), edit_data(report, title="My careful new title", then="publish"))

    report.refresh_from_db()
    assert response.status_code == 200
    assert "cannot become “Published”" in response.content.decode()
    assert 'value="My careful new title"' in response.content.decode()
    assert report.title == "Water point broken"
    assert report.status == Report.Status.ARCHIVED


@pytest.mark.django_db
def test_out_of_range_coordinates_are_refused_on_the_review_page(client_as, reviewer, make_report):
    report = make_report()
    client = client_as(reviewer)
    client.get(edit_url(report))

    response = client.post(edit_url(report), edit_data(report, latitude="-95", title="Keep me"))

    assert response.status_code == 200
    assert "Latitude must be between -90 and 90." in response.content.decode()
    assert 'value="Keep me"' in response.content.decode()
    report.refresh_from_db()
    assert report.latitude == Decimal("-1.313000")


@pytest.mark.django_db
def test_two_reviewers_cannot_both_hold_the_lock(client_as, reviewer, people, make_report):
    report = make_report()
    first, second = client_as(reviewer), client_as(people["team"])

    first.get(edit_url(report))
    page = second.get(edit_url(report))

    report.refresh_from_db()
    assert report.locked_by == reviewer
    assert "Rita Reviewer is editing this report until" in page.content.decode()


@pytest.mark.django_db
def test_the_second_reviewer_cannot_save_over_the_first_and_keeps_their_text(
    client_as, reviewer, people, make_report
):
    report = make_report()
    first, second = client_as(reviewer), client_as(people["team"])
    first.get(edit_url(report))
    second.get(edit_url(report))

    response = second.post(
        edit_url(report), edit_data(report, title="Second reviewer's title", description="Typed with care")
    )

    report.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 409
    assert "Not saved: Rita Reviewer is editing this report." in page
    assert 'value="Second reviewer&#x27;s title"' in page
    assert "Typed with care" in page
    assert report.title == "Water point broken"

    first.post(edit_url(report), edit_data(report, title="First reviewer's title"))
    report.refresh_from_db()
    assert report.title == "First reviewer's title"


@pytest.mark.django_db
def test_a_lock_runs_out_and_then_someone_else_may_save(client_as, reviewer, people, make_report):
    report = make_report()
    client_as(reviewer).get(edit_url(report))

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = client_as(people["team"]).post(
            edit_url(report), edit_data(report, title="Saved after the lock ran out")
        )

    report.refresh_from_db()
    assert response.status_code == 302
    assert report.title == "Saved after the lock ran out"


@pytest.mark.django_db
def test_the_first_reviewer_loses_a_lock_someone_took_after_it_ran_out(
    client_as, reviewer, people, make_report
):
    report = make_report()
    first, second = client_as(reviewer), client_as(people["team"])
    first.get(edit_url(report))
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        second.get(edit_url(report))
        response = first.post(edit_url(report), edit_data(report, title="Too late"))

    report.refresh_from_db()
    assert response.status_code == 409
    assert report.title == "Water point broken"
    assert report.locked_by == people["team"]


@pytest.mark.django_db
def test_cancel_releases_the_lock(client_as, reviewer, people, make_report):
    report = make_report()
    client_as(reviewer).get(edit_url(report))

    client_as(reviewer).post(reverse("reports:review_release", args=[report.report_map.slug, report.pk]))
    client_as(people["team"]).get(edit_url(report))

    report.refresh_from_db()
    assert report.locked_by == people["team"]


@pytest.mark.django_db
def test_only_the_holder_can_release_a_lock(client_as, reviewer, people, make_report):
    report = make_report()
    client_as(reviewer).get(edit_url(report))

    client_as(people["team"]).post(
        reverse("reports:review_release", args=[report.report_map.slug, report.pk])
    )

    report.refresh_from_db()
    assert report.locked_by == reviewer


@pytest.mark.django_db
def test_hostile_report_text_is_escaped_for_reviewers(client_as, reviewer, make_report):
    report = make_report(title='<img src=x onerror="alert(1)">', description="<script>alert(2)</script>")

    for url in (edit_url(report), reverse("reports:detail", args=[report.report_map.slug, report.pk])):
        page = client_as(reviewer).get(url).content.decode()
        assert "<script>alert(2)</script>" not in page
        assert '<img src=x onerror="alert(1)">' not in page
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
