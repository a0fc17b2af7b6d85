"""Date and category filters answered from the day and tag summaries agree with grouping the reports.

The summaries of migration 0005 are kept by triggers on reports, their many-to-many categories and
the category tree; whatever writes them, clusters read from the summaries must equal a GROUP BY
over the reports (`from_reports=True`), for every filter and role, at the coarsest, the finest and the
switch between summaries and reports, and at a middle resolution that changes from filter to filter
(`sampled_resolutions`), so that every resolution is compared.

That comparison is slow (hundreds of queries), so it runs on reports written by the triggers and
on a rebuild; the tests that change reports and categories afterwards check that the triggers leave
exactly the rows a rebuild from scratch would write, which a few queries show.
"""

import functools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from samen.core.access import Role
from samen.reports import clustering
from samen.reports.clustering import BBox, MapFilters, cluster_rows, counting_paused, rebuild_cell_counts
from samen.reports.models import Category, Report

WORLD = BBox(-85, -180, 85, 180)
EAST_AFRICA = BBox(-6, 32, 2, 42)
NAIROBI_CITY = BBox(-1.4, 36.7, -1.2, 36.9)
ROLES = [Role.ANONYMOUS, Role.TEAM]
NAIROBI_TIME = ZoneInfo("Africa/Nairobi")  # UTC+3
KOLKATA_TIME = ZoneInfo("Asia/Kolkata")  # UTC+5:30: local midnights fall on half hours in UTC


def utc(day, hour=12, minute=0):
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


def local_midnight(day, zone):
    return datetime(2024, 3, day, tzinfo=zone)


def date_filters():
    return [
        MapFilters(since=utc(3, 0), until=utc(6, 0)),  # whole UTC days
        MapFilters(since=local_midnight(3, NAIROBI_TIME), until=local_midnight(6, NAIROBI_TIME)),
        MapFilters(since=local_midnight(2, KOLKATA_TIME), until=local_midnight(9, KOLKATA_TIME)),
        MapFilters(since=utc(4, 6), until=utc(4, 18)),  # less than a day
        MapFilters(since=utc(3, 21), until=utc(5, 3)),  # no whole day, two ragged ends
        MapFilters(since=local_midnight(5, NAIROBI_TIME)),  # open end
        MapFilters(until=local_midnight(5, KOLKATA_TIME)),  # open start
        MapFilters(since=utc(2, 0), until=utc(8, 0), source=Report.Source.SMS),
        MapFilters(since=utc(2, 0), until=utc(8, 0), statuses=(Report.Status.RECEIVED,)),
    ]


def category_filters(categories):
    every = list(Category.objects.filter(report_map=categories["urgent"].report_map))
    subtree = lambda name: clustering.with_descendants(categories[name].pk, every)  # noqa: E731
    return [
        MapFilters(category_ids=subtree("urgent")),  # a parent takes in its children
        MapFilters(category_ids=subtree("broken")),
        MapFilters(category_ids=subtree("unsafe")),
        MapFilters(category_ids=subtree("urgent"), source=Report.Source.WEB),
        MapFilters(category_ids=subtree("unsafe"), statuses=(Report.Status.PUBLISHED,)),
    ]


def dated_category_filters(categories):
    """A date range and a category together: from the tag days where whole days allow."""
    every = list(Category.objects.filter(report_map=categories["urgent"].report_map))
    subtree = lambda name: clustering.with_descendants(categories[name].pk, every)  # noqa: E731
    return [
        MapFilters(category_ids=subtree("urgent"), since=utc(3, 0), until=utc(6, 0)),
        MapFilters(category_ids=subtree("broken"), since=utc(2, 0), until=utc(8, 0)),
        MapFilters(
            category_ids=subtree("urgent"),
            since=local_midnight(3, NAIROBI_TIME),
            until=local_midnight(6, NAIROBI_TIME),
        ),
        MapFilters(category_ids=subtree("unsafe"), since=local_midnight(2, KOLKATA_TIME)),
        MapFilters(category_ids=subtree("urgent"), until=local_midnight(5, KOLKATA_TIME)),
        MapFilters(category_ids=subtree("urgent"), since=utc(3, 21), until=utc(5, 3)),  # no whole day
        MapFilters(
            category_ids=subtree("urgent"), since=utc(2, 0), until=utc(8, 0), source=Report.Source.SMS
        ),
        MapFilters(
            category_ids=subtree("urgent"),
            since=utc(1, 0),
            until=utc(9, 0),
            statuses=(Report.Status.RECEIVED,),
        ),
        # Not one category's subtree: always from the reports, and still equal.
        MapFilters(category_ids=frozenset({categories["broken"].pk}), since=utc(3, 0), until=utc(6, 0)),
    ]


def clusters(report_map, role, box, resolution, filters, *, from_reports=False):
    found = cluster_rows(report_map, role, box, resolution, filters, from_reports=from_reports)
    return sorted(found, key=lambda c: c.cell)


def sampled_resolutions(index: int) -> tuple[int, ...]:
    """The resolutions to compare for the index-th filter: a deterministic sample of all ten.

    Every filter is compared at the coarsest view (0, derived from r2), the last resolution the tag
    days keep (8) and the finest (9, from the reports: one past the summaries shows the switch); the
    middle resolutions take turns, one per filter, so that over the filters each is compared a few
    times. Each comparison costs two queries; every resolution for every filter would be hundreds.
    """
    middle = range(1, clustering.DATED_TAG_RESOLUTIONS.stop - 1)  # 1 .. 7
    assert clustering.DATED_TAG_RESOLUTIONS.stop == clustering.STORED_RESOLUTIONS.stop - 1 == 9
    return (0, middle[index % len(middle)], 8, 9)


def assert_filters_agree(report_map, categories):
    # Both filters together read the tag days up to DATED_TAG_RESOLUTIONS, then the reports (as
    # from_reports does).
    every_filter = [*date_filters(), *category_filters(categories), *dated_category_filters(categories)]
    compared = set()
    for index, filters in enumerate(every_filter):
        for role in ROLES:
            for resolution in sampled_resolutions(index):
                compared.add(resolution)
                box = WORLD if resolution < 2 else EAST_AFRICA if resolution < 6 else NAIROBI_CITY
                kept = clusters(report_map, role, box, resolution, filters)
                counted = clusters(report_map, role, box, resolution, filters, from_reports=True)
                where = (filters, role, resolution)
                assert [(c.cell, c.count, c.category_id) for c in kept] == [
                    (c.cell, c.count, c.category_id) for c in counted
                ], where
                for mine, theirs in zip(kept, counted, strict=True):
                    assert mine.latitude == pytest.approx(theirs.latitude, abs=1e-6), where
                    assert mine.longitude == pytest.approx(theirs.longitude, abs=1e-6), where
    assert compared == set(range(10)), "some resolution was never compared"


SUMMARIES = ("reports_cellcount", "reports_cellday", "reports_celltag", "reports_celltagday")


def summary_rows(report_map) -> dict[str, list[tuple]]:
    """Every counted row of the map's summaries, sums rounded (their addition order differs)."""
    found = {}
    with connection.cursor() as cursor:
        for table in SUMMARIES:
            cursor.execute(f"SELECT * FROM {table} WHERE report_map_id = %s", [report_map.pk])  # noqa: S608
            columns = [column[0] for column in cursor.description]
            rows = []
            for row in cursor.fetchall():
                values = dict(zip(columns, row, strict=True))
                if values["n"]:
                    rows.append(
                        tuple(
                            round(value, 6) if isinstance(value, float) else value
                            for name, value in sorted(values.items())
                            if name != "id"
                        )
                    )
            found[table] = sorted(rows, key=repr)
    return found


def assert_triggers_match_a_rebuild(report_map):
    kept = summary_rows(report_map)
    assert any(kept.values()), "nothing counted: the test proves nothing"
    rebuild_cell_counts(report_map)
    assert summary_rows(report_map) == kept


@pytest.fixture(autouse=True)
def cells_once(monkeypatch):
    """The same boxes are covered hundreds of times here: work each out once (it is pure)."""
    monkeypatch.setattr(clustering, "covering_cells", functools.cache(clustering.covering_cells))


def total(report_map, filters, role=Role.TEAM):
    return sum(c.count for c in cluster_rows(report_map, role, WORLD, 0, filters))


@pytest.fixture
def spread(make_report, categories):
    """Reports over a week, at day boundaries in UTC and local time, with one, two or no categories."""
    urgent, broken, unsafe = categories["urgent"], categories["broken"], categories["unsafe"]
    moments = [
        utc(2, 0),  # exactly a UTC midnight
        utc(2, 21),  # local midnight in Nairobi on the 3rd
        utc(3, 18, 30),  # local midnight in Kolkata on the 4th
        utc(3, 23, 59),
        utc(4, 0),
        utc(4, 12),
        utc(5, 2, 59),
        utc(5, 3),
        utc(6, 0),  # the exclusive end of a whole-day range
        utc(7, 9),
        utc(8, 20),
        utc(1, 1),
    ]
    carried = [[broken], [urgent, broken], [unsafe], [], [unsafe, broken], [urgent]]
    made = []
    for i, moment in enumerate(moments):
        report = make_report(
            title=f"Report {i}",
            latitude=Decimal("-1.30") + Decimal(i) / 100,
            longitude=Decimal("36.80") + Decimal(i % 4) / 50,
            primary_category=[broken, unsafe, None, urgent][i % 4],
            status=[Report.Status.PUBLISHED, Report.Status.RECEIVED][i % 2],
            source=[Report.Source.SMS, Report.Source.WEB, Report.Source.EMAIL][i % 3],
            event_at=moment,
        )
        report.categories.set(carried[i % len(carried)])
        made.append(report)
    return made


def test_date_and_category_filters_agree_with_the_reports(spread, report_map, categories):
    assert_filters_agree(report_map, categories)


def test_a_report_at_the_start_of_a_range_is_in_and_one_at_its_end_is_out(spread, report_map):
    assert total(report_map, MapFilters(since=utc(2, 0), until=utc(6, 0))) == sum(
        1 for r in spread if utc(2, 0) <= r.event_at < utc(6, 0)
    )
    nairobi_day = MapFilters(since=local_midnight(3, NAIROBI_TIME), until=local_midnight(4, NAIROBI_TIME))
    assert total(report_map, nairobi_day) == sum(1 for r in spread if utc(2, 21) <= r.event_at < utc(3, 21))


def test_a_report_carrying_a_category_and_its_parent_counts_once(make_report, report_map, categories):
    report = make_report(status=Report.Status.PUBLISHED, primary_category=categories["broken"])
    report.categories.set([categories["urgent"], categories["broken"]])

    every = list(Category.objects.filter(report_map=report_map))
    urgent = MapFilters(category_ids=clustering.with_descendants(categories["urgent"].pk, every))
    assert total(report_map, urgent, Role.ANONYMOUS) == 1
    assert_filters_agree(report_map, categories)


def test_whole_days_and_whole_subtrees_are_not_grouped_from_the_reports(
    spread, report_map, categories, monkeypatch
):
    def refuse(*args, **kwargs):
        raise AssertionError("grouped the reports")

    monkeypatch.setattr(clustering, "_per_category_from_reports", refuse)
    every = list(Category.objects.filter(report_map=report_map))
    for filters in [
        MapFilters(since=utc(3, 0), until=utc(6, 0)),
        MapFilters(since=utc(3, 0)),
        MapFilters(category_ids=clustering.with_descendants(categories["urgent"].pk, every)),
    ]:
        for resolution in (0, 1, 2, 5, 9):
            cluster_rows(
                report_map, Role.ANONYMOUS, WORLD if resolution < 5 else NAIROBI_CITY, resolution, filters
            )
    urgent_in_whole_days = MapFilters(
        category_ids=clustering.with_descendants(categories["urgent"].pk, every),
        since=utc(3, 0),
        until=utc(6, 0),
    )
    for resolution in (0, 1, *clustering.DATED_TAG_RESOLUTIONS):
        box = WORLD if resolution < 2 else EAST_AFRICA if resolution < 6 else NAIROBI_CITY
        cluster_rows(report_map, Role.ANONYMOUS, box, resolution, urgent_in_whole_days)


def test_a_date_range_and_a_category_read_the_tag_days_at_coarse_resolutions(
    spread, report_map, categories, monkeypatch
):
    """Whole days come from reports_celltagday; only the ragged ends and fine views group the reports."""
    grouped = []
    real = clustering._per_category_from_reports

    def spy(report_map, role, bbox, resolution, cells, filters):
        grouped.append((resolution, filters.since, filters.until))
        return real(report_map, role, bbox, resolution, cells, filters)

    monkeypatch.setattr(clustering, "_per_category_from_reports", spy)
    every = list(Category.objects.filter(report_map=report_map))
    since, until = local_midnight(3, NAIROBI_TIME), local_midnight(6, NAIROBI_TIME)
    filters = MapFilters(
        category_ids=clustering.with_descendants(categories["urgent"].pk, every), since=since, until=until
    )
    cluster_rows(report_map, Role.ANONYMOUS, WORLD, 3, filters)
    # Nairobi's midnights are 21:00 UTC: the hours before the first whole UTC day and after the last.
    assert grouped == [(3, since, utc(3, 0)), (3, utc(5, 0), until)]
    grouped.clear()
    finest = clustering.STORED_RESOLUTIONS.stop - 1
    assert finest not in clustering.DATED_TAG_RESOLUTIONS
    cluster_rows(report_map, Role.ANONYMOUS, NAIROBI_CITY, finest, filters)
    assert grouped == [(finest, since, until)]


def test_the_tag_days_keep_the_resolutions_clustering_reads():
    from importlib import import_module

    migration = import_module("samen.reports.migrations.0006_cluster_tag_days")
    assert migration.TAG_DAY_RESOLUTIONS == clustering.DATED_TAG_RESOLUTIONS


def test_changing_when_status_and_where_moves_the_counts(spread, report_map, categories):
    Report.objects.filter(report_map=report_map).update(status=Report.Status.PUBLISHED)
    moved = spread[3]
    moved.event_at = utc(7, 23)
    moved.latitude, moved.longitude = Decimal("-4.05"), Decimal("39.66")
    moved.save()
    assert_triggers_match_a_rebuild(report_map)


def test_changing_a_reports_categories_moves_its_tags(spread, report_map, categories):
    spread[0].categories.add(categories["unsafe"])
    spread[1].categories.remove(categories["broken"])
    spread[2].categories.clear()
    spread[4].categories.set([categories["urgent"], categories["broken"], categories["unsafe"]])
    spread[5].primary_category = None
    spread[5].save()
    Report.objects.filter(pk=spread[6].pk).update(primary_category=categories["broken"])
    assert_triggers_match_a_rebuild(report_map)


def test_moving_a_category_under_another_parent_retags_its_reports(spread, report_map, categories):
    categories["broken"].parent = categories["unsafe"]
    categories["broken"].save()
    assert_triggers_match_a_rebuild(report_map)

    pump = Category.objects.create(report_map=report_map, parent=categories["broken"], title="Pump")
    spread[7].categories.add(pump)
    categories["broken"].parent = None
    categories["broken"].save()
    assert_triggers_match_a_rebuild(report_map)


def test_deleting_a_category_leaves_its_tags(spread, report_map, categories):
    categories["broken"].delete()
    assert_triggers_match_a_rebuild(report_map)


def test_merged_unlocated_and_deleted_reports_leave_the_counts(spread, report_map, categories):
    Report.objects.filter(pk=spread[2].pk).update(merged_into=spread[0])
    spread[3].delete()
    spread[4].latitude = spread[4].longitude = None
    spread[4].save()
    assert_triggers_match_a_rebuild(report_map)
    assert total(report_map, MapFilters(since=utc(1, 0))) == len(spread) - 3


def test_bulk_created_reports_and_their_categories_are_counted(report_map, categories):
    rows = []
    for i in range(24):
        report = Report(
            report_map=report_map,
            title=f"Imported {i}",
            latitude=Decimal("-1.25") - Decimal(i) / 300,
            longitude=Decimal("36.85"),
            status=Report.Status.PUBLISHED,
            source=Report.Source.IMPORT,
            primary_category=categories["unsafe"] if i % 2 else None,
            event_at=utc(1, 0) + timedelta(hours=7 * i),
        )
        report.prepare()
        rows.append(report)
    made = Report.objects.bulk_create(rows)
    Through = Report.categories.through
    Through.objects.bulk_create(
        [Through(report_id=r.pk, category_id=categories["broken"].pk) for r in made[::3]]
        + [Through(report_id=r.pk, category_id=categories["urgent"].pk) for r in made[::2]]
    )
    assert_triggers_match_a_rebuild(report_map)


def test_a_paused_load_and_a_rebuild_give_what_the_triggers_keep(spread, report_map, categories):
    with counting_paused(report_map):
        rows = []
        for i in range(10):
            report = Report(
                report_map=report_map,
                title=f"Loaded {i}",
                latitude=Decimal("-1.1") - Decimal(i) / 200,
                longitude=Decimal("36.9"),
                status=Report.Status.PUBLISHED,
                primary_category=categories["broken"],
                event_at=utc(3, 0) + timedelta(hours=5 * i),
            )
            report.prepare()
            rows.append(report)
        for report in Report.objects.bulk_create(rows):
            report.categories.add(categories["unsafe"])
        spread[1].categories.clear()
        spread[2].delete()
        assert total(report_map, MapFilters(since=utc(1, 0))) == len(spread)  # nothing counted while paused

    assert_filters_agree(report_map, categories)
    assert total(report_map, MapFilters(since=utc(1, 0))) == len(spread) - 1 + 10

    Report.objects.filter(pk=spread[5].pk).update(merged_into=spread[0])
    assert_triggers_match_a_rebuild(report_map)


@pytest.mark.parametrize("box_scan_limit", [0, 10**9], ids=["by-date", "by-place"])
def test_dated_points_are_the_same_whichever_index_reads_them(
    spread, report_map, monkeypatch, box_scan_limit
):
    monkeypatch.setattr(clustering, "BOX_SCAN_LIMIT", box_scan_limit)
    since, until = local_midnight(3, NAIROBI_TIME), local_midnight(6, NAIROBI_TIME)

    points = clustering._points(report_map, Role.TEAM, NAIROBI_CITY, MapFilters(since=since, until=until))

    inside = [r for r in spread if since <= r.event_at < until]
    assert [p["id"] for p in points] == [
        r.pk for r in sorted(inside, key=lambda r: (r.event_at, r.pk), reverse=True)
    ]
