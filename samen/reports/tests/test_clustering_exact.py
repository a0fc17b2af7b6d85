"""The map tells the truth: the clusters of a box add up to the number of reports its list shows.

A cell that only partly overlaps the box counts only its reports inside the box. Cells wholly
inside come from the summaries; the reports along the box's edges are counted one by one, with
the same filters (status, source, category, dates) as the list. These tests compare the two over
many random boxes, zooms and filters, for the public and for reviewers, on either database, and
check the geometry that makes the summaries safe to use (split_box) without a database.
"""

import math
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import h3
import pytest
from django.http import QueryDict
from h3.api import basic_int as h3_int
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samen.core.access import Role
from samen.reports import clustering
from samen.reports.clustering import BBox, map_view, split_box
from samen.reports.models import Report
from samen.reports.views.mapview import MapFilterForm, _listing

NAIROBI = (-1.29, 36.82)
START = datetime(2024, 3, 1, tzinfo=UTC)
STATUSES = [Report.Status.PUBLISHED] * 5 + [
    Report.Status.RECEIVED,
    Report.Status.IN_REVIEW,
    Report.Status.ARCHIVED,
]


@pytest.fixture
def scattered(report_map, categories):
    """150 reports around Nairobi (clumped and scattered), with every status, source and category."""
    rng = random.Random(12)
    choices = [None, categories["urgent"], categories["broken"], categories["unsafe"]]
    reports = []
    for i in range(150):
        spread = 0.02 if i % 3 else 0.4
        report = Report(
            report_map=report_map,
            title=f"Report {i}",
            latitude=Decimal(str(round(rng.gauss(NAIROBI[0], spread), 6))),
            longitude=Decimal(str(round(rng.gauss(NAIROBI[1], spread), 6))),
            status=rng.choice(STATUSES),
            source=rng.choice(Report.Source.values),
            primary_category=rng.choice(choices),
            event_at=START + timedelta(hours=rng.randrange(24 * 20)),
        )
        report.prepare()
        reports.append(report)
    Report.objects.bulk_create(reports)
    for report in Report.objects.filter(report_map=report_map):
        if report.primary_category_id:
            report.categories.add(report.primary_category_id)
    return reports


@pytest.fixture
def clusters_only(monkeypatch):
    """Every answer is clusters (a few reports would otherwise come back as points)."""
    monkeypatch.setattr(clustering, "FEW_REPORTS", 0)


def list_count(report_map, role, query: dict) -> int:
    """What the list beside the map says for these parameters: the view's own form and queryset."""
    form = MapFilterForm(
        QueryDict(mutable=True) | query, categories=list(report_map.categories.all()), role=role
    )
    assert form.is_valid(), form.errors
    return _listing(report_map, role, form).count()


def cluster_total(report_map, role, query: dict, zoom: int) -> int:
    form = MapFilterForm(
        QueryDict(mutable=True) | query, categories=list(report_map.categories.all()), role=role
    )
    assert form.is_valid(), form.errors
    assert form.area is not None, "a cluster total is asked for a box"
    view = map_view(report_map, role, form.area, zoom, form.filters())
    assert view.kind == "clusters"
    return view.total


def box_text(south, west, north, east) -> str:
    return f"{south:.5f},{west:.5f},{north:.5f},{east:.5f}"


def screen(lat, lng, zoom) -> str:
    """A 1024 x 640 pixel Web Mercator view around a point, as the map's script sends it."""
    degrees = 360 / (256 * 2**zoom)
    half_width, half_height = 512 * degrees, 320 * degrees * math.cos(math.radians(lat))
    return box_text(lat - half_height, lng - half_width, lat + half_height, lng + half_width)


def random_filters(rng, categories) -> dict:
    query = {}
    if rng.random() < 0.3:
        query["category"] = str(rng.choice(list(categories.values())).pk)
    if rng.random() < 0.3:
        query["source"] = rng.choice(Report.Source.values)
    if rng.random() < 0.3:
        first = date(2024, 3, 1) + timedelta(days=rng.randrange(15))
        query["from"] = first.isoformat()
        query["to"] = (first + timedelta(days=rng.randrange(6))).isoformat()
    return query


def test_a_box_cutting_through_cells_counts_only_the_reports_inside_it(scattered, report_map, clusters_only):
    # Zoom 11 draws r6 cells (about 7 km across); this box is much smaller, so every cell it
    # touches reaches past it.
    query = {"bbox": box_text(-1.30, 36.81, -1.28, 36.83)}
    view = map_view(report_map, Role.ANONYMOUS, BBox.parse(query["bbox"]), 11)
    whole_cells = sum(
        1
        for report in scattered
        if report.status == Report.Status.PUBLISHED
        and getattr(report, f"h3_r{view.resolution}") in {cluster.cell for cluster in view.clusters}
    )

    assert view.total == list_count(report_map, Role.ANONYMOUS, query)
    assert view.total < whole_cells, "the test's box should cut through populated cells"


@pytest.mark.parametrize("seed", range(6))
def test_the_clusters_add_up_to_the_list_for_random_views_and_filters(
    scattered, report_map, categories, clusters_only, seed
):
    rng = random.Random(seed)
    for _ in range(12):
        zoom = rng.randrange(5, 16)
        lat, lng = rng.gauss(NAIROBI[0], 0.1), rng.gauss(NAIROBI[1], 0.1)
        query = {"bbox": screen(lat, lng, zoom), **random_filters(rng, categories)}
        for role in (Role.ANONYMOUS, Role.TEAM):
            if role == Role.TEAM and rng.random() < 0.5:
                query["status"] = rng.choice(Report.Status.values)
            assert cluster_total(report_map, role, query, zoom) == list_count(report_map, role, query), (
                query,
                zoom,
                role,
            )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    south=st.floats(-1.9, -0.7),
    height=st.floats(0.002, 1.0),
    west=st.floats(36.2, 37.4),
    width=st.floats(0.002, 1.5),
    zoom=st.integers(2, 15),
    status=st.sampled_from(["", *Report.Status.values]),
    source=st.sampled_from(["", *Report.Source.values]),
    category=st.sampled_from(["", "urgent", "broken", "unsafe"]),
    days=st.one_of(st.none(), st.tuples(st.integers(0, 20), st.integers(0, 5))),
)
def test_any_box_and_filters_give_a_total_equal_to_the_list(
    scattered,
    report_map,
    categories,
    clusters_only,
    south,
    height,
    west,
    width,
    zoom,
    status,
    source,
    category,
    days,
):
    query = {"bbox": box_text(south, west, south + height, west + width)}
    if source:
        query["source"] = source
    if category:
        query["category"] = str(categories[category].pk)
    if days:
        first = date(2024, 3, 1) + timedelta(days=days[0])
        query["from"], query["to"] = first.isoformat(), (first + timedelta(days=days[1])).isoformat()
    assert cluster_total(report_map, Role.ANONYMOUS, query, zoom) == list_count(
        report_map, Role.ANONYMOUS, query
    )
    if status:
        query["status"] = status
    assert cluster_total(report_map, Role.TEAM, query, zoom) == list_count(report_map, Role.TEAM, query)


def test_a_box_across_the_antimeridian_counts_both_sides(report_map, clusters_only):
    fiji = [
        (-17.0, 179.99),
        (-17.1, 179.5),
        (-16.9, -179.99),
        (-17.2, -179.6),
        (-17.0, 180.0),
        (-17.0, -180.0),
    ]
    for lat, lng in fiji:
        report = Report(
            report_map=report_map,
            title="Fiji",
            latitude=Decimal(str(lat)),
            longitude=Decimal(str(lng)),
            status=Report.Status.PUBLISHED,
        )
        report.prepare()
        report.save()
    for zoom, bbox in [(5, "-19,178,-15,-178"), (9, "-17.15,179.9,-16.8,-179.9"), (3, "-40,150,10,-150")]:
        query = {"bbox": bbox}
        assert cluster_total(report_map, Role.ANONYMOUS, query, zoom) == list_count(
            report_map, Role.ANONYMOUS, query
        ), bbox


def test_the_clusters_endpoint_and_the_list_page_agree(client, scattered, report_map, clusters_only):
    bbox = screen(-1.3, 36.85, 10)
    answer = client.get(f"/maps/{report_map.slug}/clusters.json", {"bbox": bbox, "zoom": 10}).json()
    listed = client.get(f"/maps/{report_map.slug}/list/", {"bbox": bbox})

    expected = list_count(report_map, Role.ANONYMOUS, {"bbox": bbox})
    assert answer["total"] == expected
    assert f"{expected} reports in this area" in listed.content.decode()


# --- The geometry, without a database ---------------------------------------------------------------


def reach_ratio(cell: int) -> float:
    """How far the farthest vertex of the cell's r9 descendants (where its reports can lie) is from
    its centre, in average edges of its resolution: a search that opens only the children that
    could reach farther than the farthest vertex found so far."""
    resolution = h3_int.get_resolution(cell)
    centre = h3_int.cell_to_latlng(cell)
    farthest, todo = 0.0, [cell]
    while todo:
        current = todo.pop()
        level = h3_int.get_resolution(current)
        if level == 9:
            farthest = max(
                farthest,
                *(
                    h3.great_circle_distance(centre, vertex, "km")
                    for vertex in h3_int.cell_to_boundary(current)
                ),
            )
            continue
        # A cell's descendants lie within 1.2 of its edges from its centre (2.0 is a safe bound).
        bound = h3.great_circle_distance(centre, h3_int.cell_to_latlng(current), "km")
        if bound + 2.0 * h3.average_hexagon_edge_length(level, "km") > farthest:
            todo.extend(h3_int.cell_to_children(current, level + 1))
    return farthest / h3.average_hexagon_edge_length(resolution, "km")


def test_no_cell_reaches_farther_than_clustering_assumes():
    """CELL_REACH bounds how far a cell's reports lie from its centre: the r9 descendants of
    random cells of r0-r9 all over the globe, and of the twelve pentagons of r2."""
    rng = random.Random(3)
    cells = [h3_int.latlng_to_cell(lat, lng, resolution) for resolution in range(10) for lat, lng in
             [(math.degrees(math.asin(rng.uniform(-1, 1))), rng.uniform(-180, 180)) for _ in range(6)]]  # fmt: skip
    cells += list(h3_int.get_pentagons(2))[:4]
    worst = max(reach_ratio(cell) for cell in cells)
    assert worst < clustering.CELL_REACH / 1.1, worst


def inside(bbox: BBox, lat: float, lng: float) -> bool:
    if not bbox.south <= lat <= bbox.north:
        return False
    return any(west <= lng <= east for west, east in bbox.spans())


def in_band(split, lat: float, lng: float) -> int:
    return sum(1 for band in split.bands if band_holds(band, lat, lng))


def band_holds(band, lat, lng) -> bool:
    def within(value, low, high, low_open, high_open):
        return (value > low if low_open else value >= low) and (value < high if high_open else value <= high)

    return within(lat, band.south, band.north, band.south_open, band.north_open) and within(
        lng, band.west, band.east, band.west_open, band.east_open
    )


boxes = st.builds(
    lambda south, height, west, width: BBox(
        south, west, min(89.0, south + height), (west + width + 180) % 360 - 180
    ),
    south=st.floats(-85, 80),
    height=st.floats(0.01, 60),
    west=st.floats(-180, 179.9),
    width=st.floats(0.01, 200),
)


@settings(max_examples=60, deadline=None)
@given(bbox=boxes, resolution=st.integers(0, 9), seed=st.integers(0, 1000))
def test_covered_cells_lie_inside_the_box_and_the_bands_hold_every_other_point(bbox, resolution, seed):
    # A box much wider than its resolution's cells would be answered coarser (resolution_for).
    while resolution and bbox.area_km2() / h3.average_hexagon_area(resolution, "km^2") > clustering.MAX_CELLS:
        resolution -= 1
    split = split_box(bbox, resolution)
    covered = dict(split.covered)
    assert all(level >= resolution for level in covered)
    rng = random.Random(seed)
    # Points in the box and around it, as far out as the clusters' cells reach.
    margin = math.degrees(clustering.CELL_REACH * h3.average_hexagon_edge_length(resolution, "km") / 6371.0)
    for _ in range(400):
        lat = rng.uniform(max(-89.9, bbox.south - margin), min(89.9, bbox.north + margin))
        lng = (bbox.west - margin + rng.uniform(0, bbox.width + 2 * margin) + 180) % 360 - 180
        # A report's cells: its r9 cell and that cell's ancestors (Report.compute_cells).
        finest = h3_int.latlng_to_cell(lat, lng, 9)
        holders = [level for level, cells in covered.items() if h3_int.cell_to_parent(finest, level) in cells]
        assert len(holders) <= 1, "covered cells nest"
        if holders:
            assert inside(bbox, lat, lng), ("a covered cell reaches out of the box", holders, lat, lng)
        elif inside(bbox, lat, lng):
            assert in_band(split, lat, lng) == 1, (lat, lng)
        if inside(bbox, lat, lng):
            assert in_band(split, lat, lng) <= 1, "the bands overlap"


def test_a_country_box_is_tiled_finer_along_its_edges():
    """Kenya at zoom 7: the clusters' cells in the middle, finer ones along the edges, and bands
    a few times thinner than the clusters' own cells would leave, so that few reports are read
    one by one."""
    bbox = BBox(-4.7, 33.9, 4.6, 41.9)
    split = split_box(bbox, 3)
    levels = [level for level, _cells in split.covered]
    assert levels == list(range(3, 4 + clustering.FINER_LEVELS))
    depth = min(band.north - band.south for band in split.bands if band.east - band.west > 5)
    unsplit = 2 * math.degrees(clustering.CELL_REACH * h3.average_hexagon_edge_length(3, "km") / 6371.0)
    assert depth < unsplit / 5, (depth, unsplit)
