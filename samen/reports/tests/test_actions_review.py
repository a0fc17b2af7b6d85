"""Named review actions: the status flow, verification, categories, merging, and bulk actions."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from samen.reports import actions
from samen.reports.models import Report

S = Report.Status


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "allowed"),
    [
        (S.RECEIVED, S.IN_REVIEW, True),
        (S.RECEIVED, S.PUBLISHED, True),
        (S.RECEIVED, S.ARCHIVED, True),
        (S.IN_REVIEW, S.PUBLISHED, True),
        (S.IN_REVIEW, S.ARCHIVED, True),
        (S.IN_REVIEW, S.RECEIVED, False),
        (S.PUBLISHED, S.IN_REVIEW, True),
        (S.PUBLISHED, S.ARCHIVED, True),
        (S.PUBLISHED, S.RECEIVED, False),
        (S.ARCHIVED, S.IN_REVIEW, True),
        (S.ARCHIVED, S.PUBLISHED, False),
        (S.ARCHIVED, S.RECEIVED, False),
    ],
)
def test_the_status_flow_allows_only_its_steps(reviewer, make_report, start, end, allowed):
    report = make_report(status=start)

    if allowed:
        change = actions.set_status(report, reviewer, end)
        assert change.changes["status"] == [start.value, end.value]
    else:
        with pytest.raises(ValidationError):
            actions.set_status(report, reviewer, end)
    assert Report.objects.get(pk=report.pk).status == (end if allowed else start)


@pytest.mark.django_db
def test_publishing_records_when_and_announces_after_commit(
    reviewer, make_report, django_capture_on_commit_callbacks
):
    report = make_report()
    heard = []

    def listen(sender, report_id, **kwargs):
        heard.append(report_id)

    from samen.reports.signals import report_published

    report_published.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            actions.publish_report(report, reviewer)
        assert heard == []
        for callback in callbacks:
            callback()
    finally:
        report_published.disconnect(listen)

    assert heard == [report.pk]
    assert Report.objects.get(pk=report.pk).published_at is not None


@pytest.mark.django_db
def test_categorise_sets_the_primary_category_and_logs_names(reviewer, make_report, categories):
    report = make_report()

    change = actions.categorise_report(report, reviewer, [categories["unsafe"], categories["urgent"]])

    report.refresh_from_db()
    assert report.primary_category == categories["unsafe"]
    assert change.changes == {"categories": ["", "Emergency, Unsafe water"]}


@pytest.mark.django_db
def test_a_category_of_another_map_is_refused(reviewer, make_report, categories, initiative):
    from samen.reports.models import Category, ReportMap

    other_map = ReportMap.objects.create(initiative=initiative, slug="other", title="Other")
    foreign = Category.objects.create(report_map=other_map, title="Elsewhere")

    with pytest.raises(ValidationError):
        actions.categorise_report(make_report(), reviewer, [foreign])


@pytest.mark.django_db
def test_geolocate_refuses_out_of_range_and_half_coordinates(reviewer, make_report):
    report = make_report()

    with pytest.raises(ValidationError, match="Latitude must be between -90 and 90."):
        actions.geolocate_report(
            report, reviewer, place_name="", latitude=Decimal("99"), longitude=Decimal("1")
        )
    with pytest.raises(ValidationError, match="Give both latitude and longitude"):
        actions.geolocate_report(report, reviewer, place_name="", latitude=Decimal("1"), longitude=None)


@pytest.mark.django_db
def test_merging_hides_the_copy_and_logs_on_both(reviewer, make_report):
    original = make_report(title="Original", status=S.PUBLISHED)
    copy = make_report(title="Copy", status=S.PUBLISHED, near_duplicate_of=original)

    actions.merge_report(copy, reviewer, original)

    copy.refresh_from_db()
    assert copy.merged_into == original
    assert copy.status == S.ARCHIVED
    assert copy.near_duplicate_of is None
    assert list(Report.objects.filter(merged_into__isnull=True).published()) == [original]
    assert copy.changes.get(action="merged").changes == {
        "merged_into": [None, str(original.pk)],
        "near_duplicate_of": [str(original.pk), None],
        "status": ["published", "archived"],
    }
    assert original.changes.get(action="merged_in").changes == {"merged": [None, str(copy.pk)]}


@pytest.mark.django_db
def test_a_report_cannot_be_merged_into_itself_or_a_merged_one(reviewer, make_report):
    one, two, three = make_report(), make_report(), make_report()
    actions.merge_report(two, reviewer, one)

    with pytest.raises(ValidationError):
        actions.merge_report(one, reviewer, one)
    with pytest.raises(ValidationError):
        actions.merge_report(three, reviewer, Report.objects.get(pk=two.pk))


@pytest.mark.django_db
def test_dismissing_a_near_duplicate_clears_the_flag(reviewer, make_report):
    original = make_report()
    copy = make_report(near_duplicate_of=original)

    actions.dismiss_near_duplicate(copy, reviewer)

    assert Report.objects.get(pk=copy.pk).near_duplicate_of is None
    assert copy.changes.get(action="not_a_duplicate").actor == reviewer


@pytest.mark.django_db
def test_bulk_actions_change_only_this_maps_reports_and_count_what_happened(
    reviewer, people, report_map, make_report, initiative
):
    from samen.reports.models import ReportMap

    waiting = make_report(title="Waiting")
    archived = make_report(title="Archived", status=S.ARCHIVED)
    locked = make_report(title="Locked")
    actions.acquire_lock(locked, people["team"])
    other_map = ReportMap.objects.create(initiative=initiative, slug="other", title="Other")
    foreign = Report.objects.create(report_map=other_map, title="Foreign")

    counts = actions.bulk_apply(
        report_map, reviewer, [waiting.pk, archived.pk, locked.pk, foreign.pk], "publish"
    )

    assert counts == {"done": 1, "unchanged": 0, "locked": 1, "refused": 1}
    statuses = dict(Report.objects.values_list("title", "status"))
    assert statuses == {
        "Waiting": "published",
        "Archived": "archived",
        "Locked": "received",
        "Foreign": "received",
    }


@pytest.mark.django_db
def test_bulk_categorise_adds_without_removing(reviewer, report_map, make_report, categories):
    report = make_report()
    report.categories.add(categories["urgent"])

    counts = actions.bulk_apply(
        report_map, reviewer, [report.pk], "categorise", category=categories["unsafe"]
    )

    assert counts["done"] == 1
    assert set(report.categories.all()) == {categories["urgent"], categories["unsafe"]}


@pytest.mark.django_db
def test_bulk_verify_twice_changes_nothing_the_second_time(reviewer, report_map, make_report):
    report = make_report()

    first = actions.bulk_apply(report_map, reviewer, [report.pk], "verify")
    second = actions.bulk_apply(report_map, reviewer, [report.pk], "verify")

    assert (first["done"], second["unchanged"]) == (1, 1)
    assert report.changes.filter(action="verified").count() == 1
