"""Near-duplicates: nearly the same words, close in place and time, on one map, get flagged on arrival."""

from datetime import timedelta
from decimal import Decimal

import pytest
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
