"""The cell counts the database triggers keep always agree with counting the reports themselves.

Whatever writes reports (save(), bulk_create(), QuerySet.update() in bulk review actions, deletes),
the clusters from `reports_cellcount` must equal a GROUP BY over the reports.
"""

from decimal import Decimal

import pytest

from samen.core.access import Role
from samen.reports.clustering import BBox, MapFilters, cluster_rows
from samen.reports.models import Report

WORLD = BBox(-85, -180, 85, 180)
EAST_AFRICA = BBox(-6, 32, 2, 42)
ROLES = [Role.ANONYMOUS, Role.TEAM]


def assert_counts_agree(report_map, filters=None):
    filters = filters or MapFilters()
    for role in ROLES:
        for resolution in range(0, 10):
            box = WORLD if resolution <= 2 else EAST_AFRICA
            if resolution >= 7:
                box = BBox(-1.4, 36.7, -1.2, 36.9)
            kept = cluster_rows(report_map, role, box, resolution, filters)
            counted = cluster_rows(report_map, role, box, resolution, filters, from_reports=True)
            key = lambda c: c.cell  # noqa: E731
            assert [(c.cell, c.count, c.category_id) for c in sorted(kept, key=key)] == [
                (c.cell, c.count, c.category_id) for c in sorted(counted, key=key)
            ], (role, resolution)
            for mine, theirs in zip(sorted(kept, key=key), sorted(counted, key=key), strict=True):
                assert mine.latitude == pytest.approx(theirs.latitude, abs=1e-6)
                assert mine.longitude == pytest.approx(theirs.longitude, abs=1e-6)


@pytest.fixture
def spread(make_report, categories):
    made = []
    for i in range(12):
        made.append(
            make_report(
                title=f"Report {i}",
                latitude=Decimal("-1.30") + Decimal(i) / 100,
                longitude=Decimal("36.80") + Decimal(i % 4) / 50,
                primary_category=[categories["broken"], categories["unsafe"], None][i % 3],
                status=[Report.Status.PUBLISHED, Report.Status.RECEIVED][i % 2],
                source=[Report.Source.SMS, Report.Source.WEB, Report.Source.EMAIL][i % 3],
            )
        )
    return made


def test_new_reports_are_counted(spread, report_map):
    assert_counts_agree(report_map)
    assert_counts_agree(report_map, MapFilters(source=Report.Source.WEB))
    assert_counts_agree(report_map, MapFilters(statuses=(Report.Status.RECEIVED,)))


def test_publishing_in_bulk_moves_the_counts(spread, report_map):
    Report.objects.filter(report_map=report_map).update(status=Report.Status.PUBLISHED)
    assert_counts_agree(report_map)


def test_moving_and_recategorising_a_report_moves_its_count(spread, report_map, categories):
    report = spread[0]
    report.latitude, report.longitude = Decimal("-4.05"), Decimal("39.66")
    report.primary_category = categories["unsafe"]
    report.save()
    assert_counts_agree(report_map)


def test_saving_without_changes_keeps_the_counts(spread, report_map):
    for report in spread:
        report.save()
    assert_counts_agree(report_map)


def test_merged_and_deleted_reports_leave_the_counts(spread, report_map):
    Report.objects.filter(pk=spread[2].pk).update(merged_into=spread[0])
    spread[3].delete()
    assert_counts_agree(report_map)


def test_a_report_losing_its_place_leaves_the_counts(spread, report_map):
    report = spread[4]
    report.latitude = report.longitude = None
    report.save()
    assert_counts_agree(report_map)


def test_bulk_created_reports_are_counted(report_map, categories):
    rows = []
    for i in range(30):
        report = Report(
            report_map=report_map,
            title=f"Imported {i}",
            latitude=Decimal("-1.25") - Decimal(i) / 300,
            longitude=Decimal("36.85"),
            status=Report.Status.PUBLISHED,
            source=Report.Source.IMPORT,
            primary_category=categories["broken"],
        )
        report.prepare()
        rows.append(report)
    Report.objects.bulk_create(rows)
    assert_counts_agree(report_map)
    assert sum(c.count for c in cluster_rows(report_map, Role.ANONYMOUS, WORLD, 0, MapFilters())) == 30


def test_a_rebuild_gives_the_counts_the_triggers_keep(spread, report_map):
    from samen.reports.clustering import rebuild_cell_counts

    Report.objects.filter(pk=spread[5].pk).update(merged_into=spread[0])
    rebuild_cell_counts(report_map)
    assert_counts_agree(report_map)


def test_a_paused_bulk_load_is_counted_once_at_the_end(spread, report_map, categories):
    from samen.reports.clustering import counting_paused

    with counting_paused(report_map):
        rows = []
        for i in range(20):
            report = Report(
                report_map=report_map,
                title=f"Loaded {i}",
                latitude=Decimal("-1.1") - Decimal(i) / 200,
                longitude=Decimal("36.9"),
                status=Report.Status.PUBLISHED,
                primary_category=categories["unsafe"],
            )
            report.prepare()
            rows.append(report)
        Report.objects.bulk_create(rows)
        spread[1].delete()
        during = cluster_rows(report_map, Role.TEAM, WORLD, 0, MapFilters())
        assert sum(c.count for c in during) == len(spread)  # nothing counted while paused

    assert_counts_agree(report_map)
    assert (
        sum(c.count for c in cluster_rows(report_map, Role.TEAM, WORLD, 0, MapFilters()))
        == len(spread) - 1 + 20
    )
    # Counting is back on afterwards.
    spread[2].delete()
    assert_counts_agree(report_map)
