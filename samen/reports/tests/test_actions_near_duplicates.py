"""Near-duplicates: nearly the same words, close in place and time, on one map, get flagged on arrival."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from samen.reports import actions
from samen.reports.models import Report

TEXT = "The water tap at Olympic primary school is broken and leaking since this morning"


def arrive(report_map, **fields):
    fields.setdefault("title", "Tap broken")
    fields.setdefault("description", TEXT)
    fields.setdefault("latitude", Decimal("-1.313000"))
    fields.setdefault("longitude", Decimal("36.787000"))
    report, created = actions.create_report(report_map, source="sms", **fields)
    assert created
    return report


@pytest.mark.django_db
def test_nearly_the_same_report_nearby_is_flagged(report_map):
    first = arrive(report_map, reporter_contact="+254700000010")

    second = arrive(
        report_map,
        reporter_contact="+254700000011",
        description=TEXT.replace("is broken and leaking", "is broken, leaking"),
        latitude=Decimal("-1.316000"),  # about 330 m away
    )

    second.refresh_from_db()
    assert second.near_duplicate_of == first
    assert second.changes.get(action="flagged_near_duplicate").changes == {
        "near_duplicate_of": [None, str(first.pk)]
    }
    assert Report.objects.get(pk=first.pk).near_duplicate_of is None


@pytest.mark.django_db
def test_three_copies_all_point_at_the_first(report_map):
    first = arrive(report_map)
    second = arrive(report_map, description=TEXT + "!")
    third = arrive(report_map, description=TEXT + "!!")

    assert Report.objects.get(pk=second.pk).near_duplicate_of == first
    assert Report.objects.get(pk=third.pk).near_duplicate_of == first


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {"latitude": Decimal("-1.350000")},  # about 4 km away
        {"event_at": timezone.now() - timedelta(hours=30)},
        {"description": "Cholera cases reported at the clinic near the market, three children sick"},
    ],
    ids=["far-away", "a-day-apart", "other-words"],
)
def test_reports_that_differ_in_place_time_or_words_are_not_flagged(report_map, changes):
    arrive(report_map)

    other = arrive(report_map, **changes)

    assert Report.objects.get(pk=other.pk).near_duplicate_of is None


@pytest.mark.django_db
def test_reports_without_coordinates_compare_by_place_name(report_map):
    first = arrive(report_map, latitude=None, longitude=None, place_name="Olympic")

    same_place = arrive(
        report_map, latitude=None, longitude=None, place_name="olympic ", description=TEXT + "."
    )
    other_place = arrive(
        report_map, latitude=None, longitude=None, place_name="Makina", description=TEXT + ".."
    )

    assert Report.objects.get(pk=same_place.pk).near_duplicate_of == first
    assert Report.objects.get(pk=other_place.pk).near_duplicate_of is None


@pytest.mark.django_db
def test_another_maps_report_is_never_a_duplicate(report_map, initiative):
    from samen.reports.models import ReportMap

    arrive(report_map)
    other_map = ReportMap.objects.create(initiative=initiative, slug="other", title="Other")

    other = arrive(other_map)

    assert Report.objects.get(pk=other.pk).near_duplicate_of is None


@pytest.mark.django_db
def test_very_short_texts_are_never_called_duplicates(report_map):
    arrive(report_map, title="help", description="")

    other = arrive(report_map, title="help", description="")

    assert Report.objects.get(pk=other.pk).near_duplicate_of is None


def test_similarity_ignores_word_order_through_jaccard():
    assert actions.similarity("tap broken at school", "at school tap broken") == 1.0
    assert actions.similarity("tap broken at school", "cholera at the clinic") < actions.NEAR_DUPLICATE_RATIO


@pytest.mark.django_db
def test_a_typo_or_two_is_still_nearly_the_same_text(report_map):
    first = arrive(report_map)

    typo = arrive(report_map, description=TEXT.replace("broken", "brokn").replace("morning", "mornin"))

    assert Report.objects.get(pk=typo.pk).near_duplicate_of == first


def test_similarity_measures_shared_characters_in_order():
    assert actions.similarity("tap brokn at school", "tap broken at school") > 0.95
    assert actions.similarity("abc", "abc") == 1.0
    assert actions.similarity("abc", "xyz") == 0.0


@pytest.mark.django_db
def test_the_check_is_one_bounded_query_however_busy_the_map_is(report_map, django_assert_num_queries):
    now = timezone.now()
    Report.objects.bulk_create(
        Report(
            report_map=report_map,
            source="sms",
            title=f"Report {n}",
            description=f"Water point {n} at the market is broken",
            event_at=now - timedelta(minutes=n),
        )
        for n in range(actions.NEAR_DUPLICATE_CANDIDATES + 50)
    )
    report = Report(report_map=report_map, source="sms", title="Tap", description=TEXT, event_at=now)
    report.pk = 0

    with django_assert_num_queries(1):
        actions.find_near_duplicate(report)
    assert len(actions._candidates(report)) == actions.NEAR_DUPLICATE_CANDIDATES


@pytest.mark.django_db
def test_candidates_are_read_from_an_index_range_on_the_event_time(report_map):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's planner rightly prefers a sequential scan on a table this small")
    report = Report(
        report_map=report_map, source="sms", title="Tap", description=TEXT, event_at=timezone.now()
    )
    report.pk = 0
    sql, params = actions._candidates(report).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "USING INDEX" in plan
    assert "event_at>? AND event_at<?" in plan


@pytest.mark.django_db
def test_a_copy_is_found_behind_many_newer_reports(report_map):
    first = arrive(report_map, event_at=timezone.now() - timedelta(hours=2))
    for n in range(actions.NEAR_DUPLICATE_CHARACTER_COMPARISONS + 5):
        arrive(
            report_map, title=f"Other {n}", description=f"Cholera case number {n} at the clinic by the road"
        )

    copy = arrive(report_map, description=" ".join(reversed(TEXT.split())))

    assert Report.objects.get(pk=copy.pk).near_duplicate_of == first
