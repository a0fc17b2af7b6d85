"""Clusters computed on the server: counts, centres, dominant categories, points, filters and roles.

The expectations are worked out independently of clustering.py: each report's cell comes straight
from h3, and the groups are counted here in Python.
"""

from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal

import h3
import pytest
from django.utils import timezone

from samen.core.access import Role
from samen.reports import clustering
from samen.reports.clustering import BBox, MapFilters, map_view
from samen.reports.models import Report

KENYA = BBox(-5.0, 33.0, 5.0, 42.0)
# Three towns far enough apart to fall in different cells at every zoom used here.
NAIROBI, MOMBASA, KISUMU = (-1.2921, 36.8219), (-4.0435, 39.6682), (-0.0917, 34.7680)


def when(day: int):
    return timezone.make_aware(datetime(2024, 3, day, 12, 0))


@pytest.fixture
def reports(make_report, categories):
    """Published and unpublished reports in three towns, with known categories, sources and dates."""
    broken, unsafe = categories["broken"], categories["unsafe"]
    made = []

    def add(town, n, category, status=Report.Status.PUBLISHED, source=Report.Source.SMS, day=1):
        for i in range(n):
            report = make_report(
                title=f"{category.title} {len(made)}",
                latitude=Decimal(str(round(town[0] + 0.001 * i, 6))),
                longitude=Decimal(str(round(town[1] + 0.001 * i, 6))),
                primary_category=category,
                status=status,
                source=source,
                event_at=when(day),
            )
            report.categories.set([category])
            made.append(report)

    add(NAIROBI, 3, broken)
    add(NAIROBI, 2, unsafe, source=Report.Source.WEB, day=10)
    add(NAIROBI, 2, unsafe, status=Report.Status.RECEIVED)
    add(MOMBASA, 4, unsafe, day=20)
    add(MOMBASA, 1, broken, status=Report.Status.IN_REVIEW)
    add(KISUMU, 1, broken, source=Report.Source.WEB, day=5)
    return made


def expected(reports, resolution, statuses=(Report.Status.PUBLISHED,), keep=lambda report: True):
    """{cell: (count, Counter of categories, mean lat, mean lng)}, worked out from h3 directly."""
    groups = defaultdict(list)
    for report in reports:
        if report.status in statuses and keep(report):
            # A report's cell at any resolution is the ancestor of its r9 cell (cells nest).
            finest = h3.latlng_to_cell(float(report.latitude), float(report.longitude), 9)
            cell = h3.str_to_int(h3.cell_to_parent(finest, resolution))
            groups[cell].append(report)
    return {
        cell: (
            len(members),
            Counter(member.primary_category_id for member in members),
            sum(float(m.latitude) for m in members) / len(members),
            sum(float(m.longitude) for m in members) / len(members),
        )
        for cell, members in groups.items()
    }


@pytest.fixture
def few_points(monkeypatch):
    """Small datasets would always answer with points; lower the threshold to see clusters."""
    monkeypatch.setattr(clustering, "FEW_REPORTS", 2)


@pytest.mark.parametrize("zoom", [2, 5, 6, 8, 10, 12, 14])
def test_cluster_counts_add_up_to_the_published_reports_in_the_box(reports, report_map, few_points, zoom):
    view = map_view(report_map, Role.ANONYMOUS, KENYA, zoom)

    assert view.kind == "clusters"
    want = expected(reports, view.resolution)
    got = {cluster.cell: cluster for cluster in view.clusters}
    assert set(got) == set(want)
    assert view.total == sum(1 for r in reports if r.status == Report.Status.PUBLISHED)
    for cell, (count, _categories, latitude, longitude) in want.items():
        assert got[cell].count == count
        assert got[cell].latitude == pytest.approx(latitude, abs=1e-5)
        assert got[cell].longitude == pytest.approx(longitude, abs=1e-5)


def test_a_cluster_is_named_after_its_most_common_category(reports, report_map, categories, few_points):
    view = map_view(report_map, Role.ANONYMOUS, KENYA, 8)

    for cell, (_count, counts, _lat, _lng) in expected(reports, view.resolution).items():
        cluster = next(c for c in view.clusters if c.cell == cell)
        assert cluster.category_id == counts.most_common(1)[0][0]
    nairobi = next(c for c in view.clusters if c.count == 5)
    assert nairobi.category_id == categories["broken"].pk  # 3 broken against 2 unsafe


def test_reviewers_count_every_status_and_the_public_only_published(
    reports, report_map, categories, few_points
):
    public = map_view(report_map, Role.ANONYMOUS, KENYA, 8)
    review = map_view(report_map, Role.TEAM, KENYA, 8)

    assert public.total == 10
    assert review.total == len(reports)
    nairobi = next(c for c in review.clusters if c.count == 7)
    # 3 broken, 2 unsafe published and 2 unsafe received: the reviewer's top category differs.
    assert nairobi.category_id == categories["unsafe"].pk


def test_reviewers_can_narrow_to_one_status(reports, report_map, few_points):
    view = map_view(report_map, Role.TEAM, KENYA, 8, MapFilters(statuses=(Report.Status.RECEIVED,)))
    assert view.total == 2


def test_the_public_cannot_ask_for_unpublished_statuses(reports, report_map, few_points):
    asked = map_view(report_map, Role.MEMBER, KENYA, 8, MapFilters(statuses=(Report.Status.RECEIVED,)))
    assert asked.total == 10


def test_few_reports_in_view_come_as_single_points(reports, report_map):
    view = map_view(report_map, Role.ANONYMOUS, KENYA, 5)

    assert view.kind == "points"
    published = [r for r in reports if r.status == Report.Status.PUBLISHED]
    assert sorted(p["id"] for p in view.points) == sorted(r.pk for r in published)
    point = next(p for p in view.points if p["id"] == published[0].pk)
    assert (point["lat"], point["lng"]) == (float(published[0].latitude), float(published[0].longitude))
    assert point["url"] == published[0].get_absolute_url()
    assert (
        view.payload()["colours"][str(published[0].primary_category_id)]
        == published[0].primary_category.colour
    )


def test_a_high_zoom_answers_with_points_even_when_many(reports, report_map, few_points):
    street = BBox(NAIROBI[0] - 0.01, NAIROBI[1] - 0.01, NAIROBI[0] + 0.01, NAIROBI[1] + 0.01)
    view = map_view(report_map, Role.ANONYMOUS, street, clustering.POINTS_ZOOM)

    assert view.kind == "points"
    assert len(view.points) == 5


def test_too_many_points_at_a_high_zoom_become_the_finest_clusters(reports, report_map, monkeypatch):
    monkeypatch.setattr(clustering, "POINT_LIMIT", 2)
    street = BBox(NAIROBI[0] - 0.01, NAIROBI[1] - 0.01, NAIROBI[0] + 0.01, NAIROBI[1] + 0.01)
    view = map_view(report_map, Role.ANONYMOUS, street, 18)

    assert view.kind == "clusters"
    assert view.resolution == 9
    assert view.total == 5


def test_points_exclude_reports_outside_the_box(reports, report_map):
    mombasa = BBox(MOMBASA[0] - 0.1, MOMBASA[1] - 0.1, MOMBASA[0] + 0.1, MOMBASA[1] + 0.1)
    view = map_view(report_map, Role.ANONYMOUS, mombasa, 10)
    assert {p["id"] for p in view.points} == {
        r.pk for r in reports if r.status == Report.Status.PUBLISHED and float(r.latitude) < -4
    }


def test_an_empty_area_has_no_clusters(reports, report_map):
    view = map_view(report_map, Role.ANONYMOUS, BBox(50, 0, 51, 1), 8)
    assert view.total == 0
    assert view.clusters == []


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        (lambda c: MapFilters(source=Report.Source.WEB), lambda r, c: r.source == Report.Source.WEB),
        (
            lambda c: MapFilters(since=when(5), until=when(15)),
            lambda r, c: when(5) <= r.event_at < when(15),
        ),
        # A parent category takes in its children: "Emergency" holds "Broken water point".
        (
            lambda c: MapFilters(category_ids=frozenset({c["urgent"].pk, c["broken"].pk})),
            lambda r, c: r.primary_category_id == c["broken"].pk,
        ),
        (
            lambda c: MapFilters(category_ids=frozenset({c["unsafe"].pk}), source=Report.Source.SMS),
            lambda r, c: r.primary_category_id == c["unsafe"].pk and r.source == Report.Source.SMS,
        ),
    ],
    ids=["source", "dates", "category-with-children", "category-and-source"],
)
def test_filters_narrow_the_clusters(reports, report_map, categories, few_points, filters, keep):
    view = map_view(report_map, Role.ANONYMOUS, KENYA, 8, filters(categories))

    want = expected(reports, 8 and view.resolution, keep=lambda r: keep(r, categories))
    assert {c.cell: c.count for c in view.clusters} == {cell: v[0] for cell, v in want.items()}


def test_a_category_filter_follows_every_category_of_a_report(reports, report_map, categories, few_points):
    tagged = reports[0]  # primary "broken", now also "unsafe"
    tagged.categories.add(categories["unsafe"])

    view = map_view(
        report_map, Role.ANONYMOUS, KENYA, 8, MapFilters(category_ids=frozenset({categories["unsafe"].pk}))
    )

    assert view.total == 7  # 6 published unsafe reports, plus the one tagged unsafe as well


def test_with_descendants_takes_in_the_whole_subtree(categories):
    from samen.reports.models import Category

    deeper = Category.objects.create(
        report_map=categories["urgent"].report_map, parent=categories["broken"], title="Pump"
    )
    every = list(Category.objects.all())
    assert clustering.with_descendants(categories["urgent"].pk, every) == {
        categories["urgent"].pk,
        categories["broken"].pk,
        deeper.pk,
    }


def test_too_many_clusters_go_one_resolution_coarser(reports, report_map, few_points, monkeypatch):
    monkeypatch.setattr(clustering, "CLUSTER_LIMIT", 2)
    view = map_view(report_map, Role.ANONYMOUS, KENYA, 12)

    assert len(view.clusters) <= 2
    assert view.resolution < clustering.resolution_for(12, KENYA)
    assert view.total == 10


def test_a_box_across_the_antimeridian_finds_reports_on_both_sides(report_map, make_report, few_points):
    fiji = [(-17.0, 179.95), (-17.0, -179.95), (-17.01, 179.9)]
    for lat, lng in fiji:
        make_report(latitude=Decimal(str(lat)), longitude=Decimal(str(lng)), status=Report.Status.PUBLISHED)

    view = map_view(report_map, Role.ANONYMOUS, BBox(-18, 179, -16, -179), 7)

    assert view.total == 3
    for cluster in view.clusters:
        assert -18 <= cluster.latitude <= -16
        assert abs(cluster.longitude) > 179


def test_the_answer_stays_under_the_byte_budget_with_long_titles(report_map, make_report):
    for i in range(clustering.POINT_LIMIT):
        make_report(
            title="Ω" * 200,
            latitude=Decimal("-1.3") + Decimal(i) / 10000,
            longitude=Decimal("36.8"),
            status=Report.Status.PUBLISHED,
        )
    view = map_view(report_map, Role.ANONYMOUS, KENYA, 10)

    assert len(view.encode()) <= clustering.MAX_BYTES
    assert view.total == clustering.POINT_LIMIT


def test_parent_masks_agree_with_h3():
    cell = h3.latlng_to_cell(NAIROBI[0], NAIROBI[1], 9)
    for resolution in range(0, 10):
        keep, bits = clustering.parent_masks(resolution)
        assert (h3.str_to_int(cell) & keep) | bits == h3.str_to_int(h3.cell_to_parent(cell, resolution))


def test_a_huge_box_at_a_street_zoom_is_answered_coarsely():
    world = BBox(-85, -180, 85, 180)
    resolution = clustering.resolution_for(16, world)
    assert len(clustering.covering_cells(world, resolution)) <= clustering.MAX_CELLS
