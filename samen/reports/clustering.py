"""Map clusters, computed in the database: a view of a million reports answers with a few hundred rows.

A view is a bounding box and a zoom. The zoom picks an H3 resolution whose cells are about 40-130
pixels across on screen; the answer is one cluster per H3 cell that overlaps the box and holds
reports: how many, the mean of their coordinates (so a cluster of one sits on its report) and the
most common primary category. A cell on the edge of the box counts all its members, also the ones
just outside it, so panning a little never changes a cluster's number.

Where the numbers come from: summaries that database triggers keep (migrations 0002, 0005, 0006),
each holding, per H3 cell at resolutions 2 to 9, a count and coordinate sums for each (status,
source, primary category). The viewer's statuses come from access.can_review().
- No date range and no category: `reports_cellcount`.
- A date range: `reports_cellday`, the same per UTC day. The whole UTC days inside the range come
  from it; the ragged ends (a range starting at local midnight in Nairobi starts at 21:00 UTC) are
  grouped from the reports, less than a day on each side.
- A category (which follows the many-to-many categories and their children): `reports_celltag`,
  the same per category tag, where a report is counted once under each category it carries and
  each of their ancestors.
- A date range and a category together: `reports_celltagday` (migration 0006), the tag counts per
  UTC day, at resolutions 2 to 8 (DATED_TAG_RESOLUTIONS; r0 and r1 from r2), with the ragged ends
  from the reports as for `reports_cellday`. r9 views (zoom 15) are a few streets, and
  group the reports in the box.
- A set of categories that is not one category's subtree: the reports themselves, through
  access.reports_for_viewer(), with the same GROUP BY.
Either way the database groups by (cell, category) and a window function picks each cell's top
category; Python never sees a single report, only one row per cell.

Resolutions 0 and 1 (zooms 0 to 4) are not stored: their cells are the parents of the r2 cells,
computed from the bits of the H3 index in SQL.

Few reports in view (at most FEW_REPORTS), or a zoom of POINTS_ZOOM and more, answer with the
reports themselves (at most POINT_LIMIT; more than that at a street zoom become the finest
clusters). Every answer stays under MAX_BYTES: clusters are capped at CLUSTER_LIMIT by going one
resolution coarser, and points that would not fit become clusters.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import h3
from django.db import connection, transaction
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from h3.api import basic_int as h3_int

from samen.core.access import Role

from .access import can_review, reports_for_viewer
from .models import Category, Report, ReportMap

MIN_ZOOM, MAX_ZOOM = 0, 20
# Zoom → H3 resolution, so that cells are roughly 40-130 px across at the equator (a cell's width
# is about twice its edge: r0 ~2,200 km, r2 ~320 km, r5 ~17 km, r9 ~350 m).
RESOLUTION_FOR_ZOOM = (0, 0, 0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 8, 8, 9)
STORED_RESOLUTIONS = range(2, 10)  # the h3_r2 ... h3_r9 columns and the cell counts
# The resolutions reports_celltagday (a date range and a category together) holds: migration 0006's
# TAG_DAY_RESOLUTIONS. r9 views are a few streets, and are grouped from the reports.
DATED_TAG_RESOLUTIONS = range(2, 9)
POINTS_ZOOM = 16
# Below POINTS_ZOOM, a view with at most this many reports shows them one by one.
FEW_REPORTS = 200
# No answer carries more points than this (with titles cut at TITLE_CHARS, about 35 KB).
POINT_LIMIT = 200
CLUSTER_LIMIT = 400
# A box far larger than its zoom suggests (a world box at street zoom) must not ask for millions of
# cells: the resolution goes coarser until the box spans at most this many.
MAX_CELLS = 1500
MAX_BYTES = 50_000
TITLE_CHARS = 80
# H3 polygons have geodesic edges; a box's north and south edges follow parallels, so they get a
# vertex every this many degrees, and pieces stay well under H3's 180° limit on an edge.
EDGE_STEP_DEGREES = 1.0
PIECE_DEGREES = 90.0
# Web Mercator maps stop short of the poles; polygons through a pole are ill-defined in H3.
POLE_LATITUDE = 89.9
EARTH_RADIUS_KM = 6371.0088

# The H3 index layout: resolution in bits 52-55, then a 3-bit digit per resolution 1..15 from bit 42
# down. A cell's parent at resolution t keeps the higher digits and sets the rest to 7.
_RESOLUTION_BITS = 0xF << 52
_ALL_BITS = (1 << 63) - 1


def _digit_bits(resolution: int) -> int:
    return (1 << (3 * (15 - resolution))) - 1


def parent_masks(resolution: int) -> tuple[int, int]:
    """(keep, set) such that `(cell & keep) | set` is a finer cell's parent at this resolution.

    Lets SQL group finer cells into coarser ones (r0 and r1 are not stored).
    """
    keep = _ALL_BITS & ~(_RESOLUTION_BITS | _digit_bits(resolution))
    return keep, (resolution << 52) | _digit_bits(resolution)


def resolution_range(resolution: int) -> tuple[int, int]:
    """The smallest and largest possible cell at a resolution: all cells of it lie between."""
    low = (1 << 59) | (resolution << 52)  # mode 1 (a cell), base cell 0
    return low, low | (0x7F << 45) | ((1 << 45) - 1)


class BadParameter(ValueError):
    """A query the map cannot answer; the message says what to send instead."""

    def __init__(self, field_name: str, message):
        super().__init__(str(message))
        self.field = field_name
        self.message = message


BBOX_FORMAT = _(
    "Give the area as bbox=south,west,north,east in degrees, for example bbox=-1.35,36.7,-1.25,36.9."
)


@dataclass(frozen=True)
class BBox:
    """A box in degrees. West greater than east means it crosses the antimeridian (RFC 7946 5.2)."""

    south: float
    west: float
    north: float
    east: float

    @classmethod
    def parse(cls, text: str) -> BBox:
        parts = (text or "").split(",")
        if len(parts) != 4:
            raise BadParameter("bbox", BBOX_FORMAT)
        try:
            south, west, north, east = (float(part) for part in parts)
        except ValueError:
            raise BadParameter("bbox", BBOX_FORMAT) from None
        if not all(math.isfinite(value) for value in (south, west, north, east)):
            raise BadParameter("bbox", BBOX_FORMAT)
        if not (-90 <= south <= 90 and -90 <= north <= 90):
            raise BadParameter("bbox", _("Latitude must be between -90 and 90."))
        if not (-180 <= west <= 180 and -180 <= east <= 180):
            raise BadParameter(
                "bbox",
                _(
                    "Longitude must be between -180 and 180; for an area across the antimeridian, give a west edge greater than the east edge."
                ),
            )
        if south >= north:
            raise BadParameter("bbox", _("The south edge of the area must be below its north edge."))
        if west == east:
            raise BadParameter("bbox", _("The west and east edges of the area must differ."))
        return cls(south, west, north, east)

    def __str__(self) -> str:
        return ",".join(f"{value:g}" for value in (self.south, self.west, self.north, self.east))

    @property
    def crosses_antimeridian(self) -> bool:
        return self.west > self.east

    @property
    def width(self) -> float:
        return self.east - self.west + (360 if self.crosses_antimeridian else 0)

    def spans(self) -> list[tuple[float, float]]:
        """The longitude ranges, west to east: two when the box crosses the antimeridian."""
        if self.crosses_antimeridian:
            return [(self.west, 180.0), (-180.0, self.east)]
        return [(self.west, self.east)]

    def area_km2(self) -> float:
        south, north = math.radians(self.south), math.radians(self.north)
        return EARTH_RADIUS_KM**2 * math.radians(self.width) * (math.sin(north) - math.sin(south))

    def filter(self, reports: QuerySet[Report]) -> QuerySet[Report]:
        """The reports inside the box, exactly (for points and the list).

        On SQLite, which has no statistics, through the place index that leads with the latitude
        unless the box is far taller than wide: that index holds the longitude too, so the
        reports of the box's band of latitudes are tested without reading them, where the
        longitude index would read every report of its band of longitudes (see Band.filter).
        """
        latitude, longitude = "latitude", "longitude"
        if connection.vendor == "sqlite":
            if self.north - self.south <= TALL_BOX * self.width:
                reports, longitude = _unindexed(reports, "longitude")
            else:
                reports, latitude = _unindexed(reports, "latitude")
        inside = Q()
        for west, east in self.spans():
            inside |= Q(**{f"{longitude}__gte": west, f"{longitude}__lte": east})
        return reports.filter(inside, **{f"{latitude}__gte": self.south, f"{latitude}__lte": self.north})


# A box at most this many times taller than wide (in degrees) is read through the latitude index.
TALL_BOX = 4.0


def _unindexed(reports: QuerySet[Report], name: str) -> tuple[QuerySet[Report], str]:
    """The reports with an alias of a column that SQLite will not look up through an index
    (a unary plus: SQLite's documented way), and the alias's name."""
    alias = f"{name}_unindexed"
    return reports.alias(
        **{alias: Func(F(name), template="+%(expressions)s", output_field=FloatField())}
    ), alias


def covering_cells(bbox: BBox, resolution: int, mode: str = "overlap") -> set[int]:
    """Every H3 cell at this resolution that overlaps the box (`mode="center"`: whose centre is in it).

    The box's north and south edges are drawn as geodesics between vertices EDGE_STEP_DEGREES
    apart, so they stray from the parallels by at most `parallel_bulge()`.
    """
    south, north = max(bbox.south, -POLE_LATITUDE), min(bbox.north, POLE_LATITUDE)
    cells: set[int] = set()
    for span_west, span_east in bbox.spans():
        pieces = max(1, math.ceil((span_east - span_west) / PIECE_DEGREES))
        step = (span_east - span_west) / pieces
        for n in range(pieces):
            west, east = span_west + n * step, span_west + (n + 1) * step
            edge = [west + (east - west) * i / max(1, math.ceil((east - west) / EDGE_STEP_DEGREES))
                    for i in range(max(1, math.ceil((east - west) / EDGE_STEP_DEGREES)) + 1)]  # fmt: skip
            ring = [(south, lng) for lng in edge] + [(north, lng) for lng in reversed(edge)]
            cells.update(h3_int.polygon_to_cells_experimental(h3.LatLngPoly(ring), resolution, mode))
    return cells


# --- Exact totals: whole cells inside the box, and the reports along its edges ----------------------

# How far any report of a cell can lie from the cell's centre, in average edge lengths of its
# resolution. A report's cell is the ancestor of its r9 cell, so a cell's reports lie in its r9
# descendants, which reach a little past its own hexagon: measured on random cells of r0-r8, at
# most 1.143 (a single r9 cell: 1.10); the rest is margin. test_clustering_exact.py measures it
# again.
CELL_REACH = 1.3
# Added to every margin: the database compares decimals with the box's floats.
EPSILON_DEGREES = 1e-7


def parallel_bulge(bbox: BBox) -> float:
    """Degrees of latitude by which a geodesic between two points of the box's north or south edge,
    EDGE_STEP_DEGREES apart, can stray from the parallel (towards the pole)."""
    latitude = math.radians(min(max(abs(bbox.south), abs(bbox.north)), POLE_LATITUDE))
    half_step = math.radians(EDGE_STEP_DEGREES) / 2
    return math.degrees(math.atan(math.tan(latitude) / math.cos(half_step)) - latitude)


@dataclass(frozen=True)
class Band:
    """Part of a box: south <= latitude <= north (an end may be open: exclusive), and longitude likewise."""

    south: float
    north: float
    west: float
    east: float
    south_open: bool = False
    north_open: bool = False
    west_open: bool = False
    east_open: bool = False

    def q(self, latitude: str = "latitude", longitude: str = "longitude") -> Q:
        """The band as a filter on these fields (or aliases of them)."""

        def bound(name: str, value: float, lower: bool, open_: bool) -> Q:
            lookup = ("gt" if open_ else "gte") if lower else ("lt" if open_ else "lte")
            return Q(**{f"{name}__{lookup}": value})

        return (
            bound(latitude, self.south, True, self.south_open)
            & bound(latitude, self.north, False, self.north_open)
            & bound(longitude, self.west, True, self.west_open)
            & bound(longitude, self.east, False, self.east_open)
        )

    def narrow_q(self) -> Q:
        """The band as a filter that reads it through the place index of its narrow side.

        A band is a strip: a few cells deep along one edge of the box, the box long. SQLite has
        no statistics, and given a range on each of two indexes (one leads with the latitude,
        the other with the longitude) it may take the long side's, reading every report of the
        box's width (a million at a country's zoom) to keep the few in the strip. On SQLite the
        long side is compared through an alias with a unary plus, which keeps it off its index
        (SQLite's documented way; see `_unindexed`); PostgreSQL's planner knows how the reports
        are spread and chooses by itself.
        """
        if connection.vendor != "sqlite":
            return self.q()
        long_side = "longitude" if self.east - self.west >= self.north - self.south else "latitude"
        return self.q(**{long_side: f"{long_side}_unindexed"})


@dataclass(frozen=True)
class Split:
    """A box as whole cells and edge bands.

    `covered` holds, per resolution (the clusters' first, then finer ones), cells that lie wholly
    inside the box, none inside another: their reports are counted from the summaries, each
    under its cell's ancestor at the clusters' resolution. Cells nest exactly (a report's cell at
    every resolution is the ancestor of its r9 cell: Report.compute_cells), so a report is in at
    most one covered cell. Every report in the box outside the bands is in a covered cell. The
    bands (disjoint, together the box less its core) hold the rest: the reports there that no
    covered cell holds are counted one by one, with the same filters as the list.

    The finer resolutions tile the edges of the box: the clusters' own cells along an edge reach
    out of the box, their finer descendants reach much less far, so the bands, and the reports
    read one by one, are thin.
    """

    covered: tuple[tuple[int, frozenset[int]], ...]
    bands: tuple[Band, ...]

    @property
    def cells(self) -> frozenset[int]:
        """Every covered cell, whatever its resolution."""
        return frozenset().union(*(cells for _resolution, cells in self.covered))


def _longitude_reach(reach_radians: float, latitude_degrees: float) -> float | None:
    """Half the longitude span, in degrees, of a spherical cap of this radius centred at most this
    far from the equator; None when the cap reaches a pole."""
    latitude = math.radians(min(abs(latitude_degrees), 90.0))
    ratio = math.sin(reach_radians) / max(math.cos(latitude), 1e-12)
    if ratio >= 1:
        return None
    return math.degrees(math.asin(ratio))


STRIP_DEGREES = 10.0
# How many resolutions finer than the clusters' tile the edges of a box, and how many cells one of
# them may add (a larger tiling stops a resolution earlier, and its band is read one by one).
FINER_LEVELS = 2
LEVEL_CELLS = 8000


def _wrap(longitude: float) -> float:
    return longitude - 360 if longitude > 180 else longitude + 360 if longitude < -180 else longitude


@dataclass(frozen=True)
class _Strip:
    """A strip of latitudes of a level's core. `reach_lng` is None when cells may reach across the
    whole box in longitude there (near a pole, or a narrow box): the strip is all band."""

    south: float
    north: float
    last: bool
    reach_lng: float | None = None
    low: float = 0.0  # the latitudes of the centres of the cells of the strip's points
    high: float = 0.0


@dataclass(frozen=True)
class _Level:
    """One resolution's core (the box less twice its cells' reach) cut into strips."""

    resolution: int
    core_south: float
    core_north: float
    strips: tuple[_Strip, ...]

    def centre_boxes(self, west: float, east: float) -> list[tuple[float, float, float, float]]:
        """(south, north, west, east) boxes holding the centres of every cell of this resolution
        that lies wholly inside the box, for the core's points outside the side bands."""
        return [
            (strip.low, strip.high, west + strip.reach_lng, east - strip.reach_lng)
            for strip in self.strips
            if strip.reach_lng is not None
        ]

    def inner(self, west: float, east: float) -> tuple[float, float, float, float] | None:
        """A box whose every point lies in a covered cell once this level is counted, or None."""
        reaches = [strip.reach_lng for strip in self.strips]
        if not reaches or any(reach is None for reach in reaches):
            return None
        widest = max(reach for reach in reaches if reach is not None)
        return self.core_south, self.core_north, west + 2 * widest, east - 2 * widest


def _level(bbox: BBox, resolution: int, bulge: float) -> _Level | None:
    """The resolution's core and strips, or None when the box is too low for any whole cell."""
    reach = CELL_REACH * h3.average_hexagon_edge_length(resolution, "km") / EARTH_RADIUS_KM
    reach_lat = math.degrees(reach) + EPSILON_DEGREES
    depth_lat = 2 * (reach_lat + bulge)
    core_south, core_north = bbox.south + depth_lat, bbox.north - depth_lat
    if core_south >= core_north:
        return None
    strips = []
    count = max(1, math.ceil((core_north - core_south) / STRIP_DEGREES))
    height = (core_north - core_south) / count
    for n in range(count):
        south = core_south + n * height
        last = n == count - 1
        north = core_north if last else south + height
        # The centres of the cells of this strip's points, as H3 may place them: within reach_lat
        # of the strip, give or take the bulge of the polygon drawn around them.
        low, high = south - reach_lat - bulge, north + reach_lat + bulge
        reach_lng = _longitude_reach(reach, max(abs(low - bulge), abs(high + bulge)))
        if reach_lng is None or bbox.width <= 4 * (reach_lng + EPSILON_DEGREES):
            strips.append(_Strip(south, north, last))
        else:
            strips.append(_Strip(south, north, last, reach_lng + EPSILON_DEGREES, low, high))
    return _Level(resolution, core_south, core_north, tuple(strips))


def _minus(box, hole) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The parts of a (south, north, west, east) box outside a hole (None: no hole), each with the
    side of the hole it lies on."""
    south, north, west, east = box
    if hole is None:
        return [("all", box)]
    h_south, h_north, h_west, h_east = hole
    if h_south >= h_north or h_west >= h_east:
        return [("all", box)]
    parts = []
    if north > h_north:
        parts.append(("north", (max(south, h_north), north, west, east)))
    if south < h_south:
        parts.append(("south", (south, min(north, h_south), west, east)))
    mid_south, mid_north = max(south, h_south), min(north, h_north)
    if mid_south < mid_north:
        if west < h_west:
            parts.append(("west", (mid_south, mid_north, west, min(east, h_west))))
        if east > h_east:
            parts.append(("east", (mid_south, mid_north, max(west, h_east), east)))
    return [(side, part) for side, part in parts if part[0] < part[1] and part[2] < part[3]]


def _centres_in(boxes: list[tuple[float, float, float, float]], resolution: int) -> set[int]:
    """Every cell at this resolution whose centre lies in one of these (south, north, west, east)
    boxes (longitudes on the unwrapped line), with one polygon for all of them.

    H3 fills a polygon whose edges are geodesics, which stray from the parallels: the polygon is
    the boxes' hull grown by that much, and each centre found is then tested against the boxes.
    """
    if not boxes:
        return set()
    south, north = min(box[0] for box in boxes), max(box[1] for box in boxes)
    west, east = min(box[2] for box in boxes), max(box[3] for box in boxes)
    hull = BBox(south, _wrap(west), north, _wrap(east))
    grow = parallel_bulge(hull) + EPSILON_DEGREES
    hull = replace(hull, south=max(-90.0, south - grow), north=min(90.0, north + grow))
    found = set()
    for cell in covering_cells(hull, resolution, "center"):
        lat, lng = h3_int.cell_to_latlng(cell)
        for box_south, box_north, box_west, box_east in boxes:
            if box_south <= lat <= box_north and any(
                box_west <= unwrapped <= box_east for unwrapped in (lng, lng + 360, lng - 360)
            ):
                found.add(cell)
                break
    return found


def _area_km2(box) -> float:
    """Roughly how many square kilometres a (south, north, west, east) box covers."""
    south, north, west, east = box
    return BBox(south, _wrap(west), north, _wrap(east)).area_km2() if west < east and south < north else 0.0


def split_box(bbox: BBox, resolution: int, finest: int = 9) -> Split:
    """The box's covered cells, from this resolution to at most `finest`, and its bands (see Split).

    A cell is covered when its centre lies so far inside the box that no point of it can be
    outside, and no coarser covered cell holds it. At the clusters' resolution that is every cell
    deep enough inside; each finer resolution only looks near the edges, where the coarser cells
    could not reach, so it adds a tiling of the edges rather than of the whole box. The box's
    core at the finest resolution (its inside less twice that resolution's reach) holds only
    points of covered cells; the bands around that core hold the rest. A degree of longitude
    shrinks towards the poles, so the reach in longitude is worked out per strip of latitude.
    """
    bulge = parallel_bulge(bbox) + EPSILON_DEGREES
    west, east = bbox.west, bbox.west + bbox.width  # on the unwrapped line: east may pass 180
    covered: list[tuple[int, frozenset[int]]] = []
    chosen: dict[int, set[int]] = {}
    final: _Level | None = None
    inner = None
    for level_resolution in range(resolution, min(finest, resolution + FINER_LEVELS) + 1):
        level = _level(bbox, level_resolution, bulge)
        if level is None:
            continue
        sides: dict[str, list[tuple[float, float, float, float]]] = {}
        for box in level.centre_boxes(west, east):
            for side, part in _minus(box, inner):
                sides.setdefault(side, []).append(part)
        area = sum(_area_km2(part) for parts in sides.values() for part in parts)
        if level_resolution > resolution and area > LEVEL_CELLS * h3.average_hexagon_area(
            level_resolution, "km^2"
        ):
            break
        found: set[int] = set()
        for parts in sides.values():
            found |= _centres_in(parts, level_resolution)
        # A cell's ancestors from its bits (parent_masks): far quicker than asking h3 for each.
        ancestors = [(*parent_masks(coarser), cells) for coarser, cells in chosen.items() if cells]
        cells = {
            cell
            for cell in found
            if not any((cell & keep) | bits in cells for keep, bits, cells in ancestors)
        }
        chosen[level_resolution] = cells
        if cells:
            covered.append((level_resolution, frozenset(cells)))
        final = level
        inner = level.inner(west, east)
    if final is None:
        return Split((), _unwrapped(bbox, (Band(bbox.south, bbox.north, west, east),)))
    bands = [
        Band(final.core_north, bbox.north, west, east, south_open=True),
        Band(bbox.south, final.core_south, west, east, north_open=True),
    ]
    for run in _runs(final.strips):
        if run.widest is None:
            bands.append(Band(run.south, run.north, west, east, north_open=not run.last))
            continue
        width = 2 * run.widest
        bands.append(Band(run.south, run.north, west, west + width, north_open=not run.last, east_open=True))
        bands.append(Band(run.south, run.north, east - width, east, north_open=not run.last, west_open=True))
    return Split(tuple(covered), _unwrapped(bbox, tuple(bands)))


# Neighbouring strips whose side bands differ in width by at most this factor share their bands.
RUN_WIDTH = 1.25


@dataclass
class _Run:
    south: float
    north: float
    last: bool
    widest: float | None  # None: the run is all band
    narrowest: float | None


def _runs(strips: tuple[_Strip, ...]) -> list[_Run]:
    """The strips joined into runs, each with the widest reach of its strips. A wider side band
    still holds every point that a narrower one held, so the bands still hold every point no
    covered cell holds; fewer bands are fewer queries (a world map has 17 strips)."""
    runs: list[_Run] = []
    for strip in strips:
        run = runs[-1] if runs else None
        reach = strip.reach_lng
        if run is not None and reach is None and run.widest is None:
            run.north, run.last = strip.north, strip.last
        elif (
            run is not None
            and reach is not None
            and run.widest is not None
            and run.narrowest is not None
            and max(reach, run.widest) <= RUN_WIDTH * min(reach, run.narrowest)
        ):
            run.north, run.last = strip.north, strip.last
            run.widest, run.narrowest = max(run.widest, reach), min(run.narrowest, reach)
        else:
            runs.append(_Run(strip.south, strip.north, strip.last, reach, reach))
    return runs


def _unwrapped(bbox: BBox, bands: tuple[Band, ...]) -> tuple[Band, ...]:
    """Bands given on the unwrapped line (west .. west + width) cut as the box's own spans are:
    across the antimeridian, longitude 180 belongs to the western span and -180 to the eastern."""
    if not bbox.crosses_antimeridian:
        return bands
    pieces = []
    for band in bands:
        for low, high, shift in ((bbox.west, 180.0, 0.0), (180.0, bbox.east + 360, -360.0)):
            west, east = max(band.west, low), min(band.east, high)
            west_open = band.west_open if band.west >= low else False
            east_open = band.east_open if band.east <= high else False
            if west < east or (west == east and not (west_open or east_open)):
                pieces.append(
                    replace(
                        band, west=west + shift, east=east + shift, west_open=west_open, east_open=east_open
                    )
                )
    return tuple(pieces)


def resolution_for(zoom: int, bbox: BBox) -> int:
    """The zoom's resolution, made coarser while the box would span more than MAX_CELLS cells."""
    resolution = RESOLUTION_FOR_ZOOM[min(zoom, len(RESOLUTION_FOR_ZOOM) - 1)]
    area = bbox.area_km2()
    while resolution > 0 and area / h3.average_hexagon_area(resolution, "km^2") > MAX_CELLS:
        resolution -= 1
    return resolution


# --- The cell counts -------------------------------------------------------------------------------

_COUNTED = "h3_r2 IS NOT NULL AND latitude IS NOT NULL AND longitude IS NOT NULL AND merged_into_id IS NULL"


SECONDS_PER_DAY = 86_400
# The UTC day of a report's event_at, as whole days since 1970-01-01: the key of reports_cellday,
# computed as migration 0005's triggers compute it.
_DAY_SQL = {
    "sqlite": "CAST(julianday(substr(event_at, 1, 10)) - 2440587.5 AS integer)",
    "postgresql": "((event_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01')",
}


# The page cache of SQLite's temp database while a rebuild runs (it is given back afterwards).
TEMP_CACHE_KIB = 256 * 1024


def rebuild_cell_counts(report_map: ReportMap) -> None:
    """Count one map's reports afresh into every summary, one GROUP BY per summary and resolution.

    The triggers keep the counts right on every write; this is for bulk loads (counting_paused)
    and for repairs, such as after restoring the reports table alone. Each resolution is grouped
    from its own column: H3 cells do not nest exactly, so a point's r6 cell is not always the
    parent of its r7 cell, and the counts must follow the columns the reports store.

    The map's counted reports are first copied, narrowed to the columns the summaries need, into a
    temporary table, and each (report, tag) pair with them into another: every GROUP BY then reads
    a narrow table, and the pairs (made distinct, with the ancestors of every category a report
    carries) are worked out once rather than once per resolution and summary.
    """
    day = _DAY_SQL[connection.vendor]
    cells = ", ".join(f"h3_r{r}" for r in STORED_RESOLUTIONS)
    columns = f"id, {cells}, day, status, source, category_id, lat, lng"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # The temporary tables live in SQLite's temp database, whose page cache is 2 MB by
            # default: a million narrow rows would be read back from a file a dozen times.
            cursor.execute("PRAGMA temp.cache_size")
            temp_cache = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA temp.cache_size = {-TEMP_CACHE_KIB}")
        for table in ("reports_cellcount", "reports_cellday", "reports_celltag", "reports_celltagday"):
            cursor.execute(f"DELETE FROM {table} WHERE report_map_id = %s", [report_map.pk])  # noqa: S608
        _rebuild_category_tree(cursor, report_map)
        for temporary in ("rebuild_tagged", "rebuild_reports"):
            cursor.execute(f"DROP TABLE IF EXISTS {temporary}")
        cursor.execute(
            f"""CREATE TEMPORARY TABLE rebuild_reports (
                id bigint NOT NULL, {", ".join(f"h3_r{r} bigint" for r in STORED_RESOLUTIONS)},
                day integer NOT NULL, status varchar(10) NOT NULL, source varchar(10) NOT NULL,
                category_id bigint NOT NULL, lat double precision NOT NULL, lng double precision NOT NULL
            )"""
        )
        cursor.execute(
            f"""INSERT INTO rebuild_reports ({columns})
            SELECT id, {cells}, {day}, status, source, COALESCE(primary_category_id, 0),
                   CAST(latitude AS double precision), CAST(longitude AS double precision)
            FROM reports_report WHERE report_map_id = %s AND {_COUNTED}""",  # noqa: S608
            [report_map.pk],
        )
        cursor.execute(
            f"""CREATE TEMPORARY TABLE rebuild_tagged (
                tag_id bigint NOT NULL, {", ".join(f"h3_r{r} bigint" for r in STORED_RESOLUTIONS)},
                day integer NOT NULL, status varchar(10) NOT NULL, source varchar(10) NOT NULL,
                category_id bigint NOT NULL, lat double precision NOT NULL, lng double precision NOT NULL
            )"""
        )
        # A report is counted once under each tag: the categories it carries (many-to-many and
        # primary) and their ancestors, made distinct per report.
        cursor.execute(
            f"""INSERT INTO rebuild_tagged (tag_id, {cells}, day, status, source, category_id, lat, lng)
            SELECT tagged.tag_id, {", ".join(f"r.h3_r{n}" for n in STORED_RESOLUTIONS)}, r.day, r.status,
                   r.source, r.category_id, r.lat, r.lng
            FROM (
                SELECT DISTINCT carried.report_id, tree.ancestor_id AS tag_id FROM (
                    SELECT id AS report_id, primary_category_id AS category_id FROM reports_report
                    WHERE report_map_id = %s AND primary_category_id IS NOT NULL
                    UNION ALL
                    SELECT c.report_id, c.category_id FROM reports_report_categories c
                    JOIN reports_report m ON m.id = c.report_id WHERE m.report_map_id = %s
                ) AS carried JOIN reports_categorytree tree ON tree.descendant_id = carried.category_id
            ) AS tagged JOIN rebuild_reports r ON r.id = tagged.report_id""",  # noqa: S608
            [report_map.pk, report_map.pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE rebuild_reports")
            cursor.execute("ANALYZE rebuild_tagged")
        sums = "COUNT(*), SUM(lat), SUM(lng)"
        # Only integers and fixed column names go into the text; values are parameters.
        for resolution in STORED_RESOLUTIONS:
            cell = f"h3_r{resolution}"
            cursor.execute(
                f"""INSERT INTO reports_cellcount (report_map_id, cell, status, source, category_id, n, sum_lat, sum_lng)
                SELECT %s, {cell}, status, source, category_id, {sums}
                FROM rebuild_reports GROUP BY {cell}, status, source, category_id""",  # noqa: S608
                [report_map.pk],
            )
            cursor.execute(
                f"""INSERT INTO reports_cellday (report_map_id, cell, day, status, source, category_id, n, sum_lat, sum_lng)
                SELECT %s, {cell}, day, status, source, category_id, {sums}
                FROM rebuild_reports GROUP BY {cell}, day, status, source, category_id""",  # noqa: S608
                [report_map.pk],
            )
            cursor.execute(
                f"""INSERT INTO reports_celltag (report_map_id, tag_id, cell, status, source, category_id, n, sum_lat, sum_lng)
                SELECT %s, tag_id, {cell}, status, source, category_id, {sums}
                FROM rebuild_tagged GROUP BY tag_id, {cell}, status, source, category_id""",  # noqa: S608
                [report_map.pk],
            )
            if resolution in DATED_TAG_RESOLUTIONS:
                cursor.execute(
                    f"""INSERT INTO reports_celltagday
                        (report_map_id, tag_id, cell, day, status, source, category_id, n, sum_lat, sum_lng)
                    SELECT %s, tag_id, {cell}, day, status, source, category_id, {sums}
                    FROM rebuild_tagged GROUP BY tag_id, {cell}, day, status, source, category_id""",  # noqa: S608
                    [report_map.pk],
                )
        for temporary in ("rebuild_tagged", "rebuild_reports"):
            cursor.execute(f"DROP TABLE {temporary}")
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA temp.cache_size = {temp_cache}")


def _rebuild_category_tree(cursor, report_map: ReportMap) -> None:
    """The map's rows of the category closure table (each category with all its ancestors), afresh."""
    cursor.execute(
        "DELETE FROM reports_categorytree WHERE descendant_id IN "
        "(SELECT id FROM reports_category WHERE report_map_id = %s)",
        [report_map.pk],
    )
    cursor.execute(
        """WITH RECURSIVE tree(descendant_id, ancestor_id) AS (
            SELECT id, id FROM reports_category WHERE report_map_id = %s
            UNION SELECT tree.descendant_id, c.parent_id FROM tree JOIN reports_category c ON c.id = tree.ancestor_id
            WHERE c.parent_id IS NOT NULL
        ) INSERT INTO reports_categorytree (descendant_id, ancestor_id) SELECT descendant_id, ancestor_id FROM tree""",
        [report_map.pk],
    )


@contextmanager
def counting_paused(report_map: ReportMap) -> Iterator[None]:
    """For writing many reports to one map: the triggers skip it, and its counts are rebuilt once at the end.

    All in one transaction, so readers see the old counts until the new ones are complete.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO reports_cellcount_paused (report_map_id) VALUES (%s)", [report_map.pk]
            )
        yield
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM reports_cellcount_paused WHERE report_map_id = %s", [report_map.pk])
        rebuild_cell_counts(report_map)


def pause_counting(report_map: ReportMap) -> None:
    """Stop the triggers counting one map, across many transactions, until `resume_counting`.

    For loads too long for one transaction (a background import commits batch by batch, so other
    writers are not held up and a crash keeps what was done). Pausing a paused map is a no-op, so
    a rerun after a crash pauses again safely; until someone resumes, the map shows its old counts.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reports_cellcount_paused (report_map_id) SELECT %s WHERE NOT EXISTS "
            "(SELECT 1 FROM reports_cellcount_paused WHERE report_map_id = %s)",
            [report_map.pk, report_map.pk],
        )


def resume_counting(report_map: ReportMap) -> None:
    """Lift `pause_counting`: rebuild the map's summaries and let the triggers count again, at once.

    A trigger that ran while the map was paused skipped the row, whenever its transaction commits.
    So before counting, every transaction still writing reports must be over, and no new one may
    start until the pause is lifted: on PostgreSQL a SHARE ROW EXCLUSIVE lock on the tables the
    triggers watch waits for them and holds new writers back for the rebuild; on SQLite the first
    write (the DELETE) takes the database's one write lock.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "LOCK TABLE reports_report, reports_report_categories, reports_category "
                "IN SHARE ROW EXCLUSIVE MODE"
            )
        cursor.execute("DELETE FROM reports_cellcount_paused WHERE report_map_id = %s", [report_map.pk])
        rebuild_cell_counts(report_map)


def is_counting_paused(report_map: ReportMap) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM reports_cellcount_paused WHERE report_map_id = %s", [report_map.pk])
        return cursor.fetchone() is not None


# --- Filters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapFilters:
    """What a viewer narrowed the map to. Dates are aware datetimes; `until` is exclusive."""

    category_ids: frozenset[int] = frozenset()  # a category and all its descendants
    source: str = ""
    since: datetime | None = None
    until: datetime | None = None
    statuses: tuple[str, ...] = ()  # reviewers only; empty: every status they may see

    @property
    def dated(self) -> bool:
        return bool(self.since or self.until)

    def category_root(self, categories: list[Category]) -> int | None:
        """The category whose subtree `category_ids` is, if it is one: the tag the tag counts know it by."""
        for category_id in self.category_ids:
            if with_descendants(category_id, categories) == self.category_ids:
                return category_id
        return None

    def whole_days(self) -> tuple[int | None, int | None]:
        """The UTC days (since 1970-01-01) wholly inside [since, until), as a half-open range.

        None for an open end. Empty (first >= last) when the range holds no whole day.
        """
        first = math.ceil(self.since.timestamp() / SECONDS_PER_DAY) if self.since else None
        last = math.floor(self.until.timestamp() / SECONDS_PER_DAY) if self.until else None
        return first, last

    def apply(self, reports: QuerySet[Report], role: Role, *, date_index: bool = True) -> QuerySet[Report]:
        """The reports that pass the filters.

        `date_index=False` keeps SQLite from reading the reports through the event_at index: it has
        no statistics, and with a date bound it takes that index even for a street-sized box, where
        the place index (migration 0005's holds event_at too) reads a few hundred rows instead of
        a month of them. A unary plus is SQLite's documented way to keep a term off an index.
        """
        if self.statuses and can_review(role):
            reports = reports.filter(status__in=self.statuses)
        if self.source:
            reports = reports.filter(source=self.source)
        when = "event_at"
        if (self.since or self.until) and not date_index and connection.vendor == "sqlite":
            reports = reports.alias(
                event_at_unindexed=Func(
                    F("event_at"), template="+%(expressions)s", output_field=DateTimeField()
                )
            )
            when = "event_at_unindexed"
        if self.since:
            reports = reports.filter(**{f"{when}__gte": self.since})
        if self.until:
            reports = reports.filter(**{f"{when}__lt": self.until})
        if self.category_ids:
            tagged = Report.categories.through.objects.filter(
                report_id=OuterRef("pk"), category_id__in=self.category_ids
            )
            reports = reports.filter(Q(primary_category_id__in=self.category_ids) | Exists(tagged))
        return reports


def with_descendants(category_id: int, categories: list[Category]) -> frozenset[int]:
    children: dict[int | None, list[int]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category.pk)
    found, todo = set(), [category_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return frozenset(found)


def visible_statuses(role: Role, filters: MapFilters) -> tuple[str, ...]:
    """The statuses a viewer's clusters count: what access.reports_for_viewer() would let through."""
    if not can_review(role):
        return (Report.Status.PUBLISHED,)
    return filters.statuses or tuple(Report.Status.values)


# --- Clusters ---------------------------------------------------------------------------------------


@dataclass
class Cluster:
    cell: int
    count: int
    latitude: float
    longitude: float
    category_id: int | None


@dataclass
class MapView:
    """The answer for one view; `payload()` is what clusters.json sends."""

    kind: str  # "clusters" or "points"
    zoom: int
    bbox: BBox
    resolution: int | None = None
    clusters: list[Cluster] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    colours: dict[int, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(c.count for c in self.clusters) if self.kind == "clusters" else len(self.points)

    def payload(self) -> dict[str, Any]:
        used = {c.category_id for c in self.clusters} | {p["category"] for p in self.points}
        data: dict[str, Any] = {
            "kind": self.kind,
            "zoom": self.zoom,
            "bbox": [self.bbox.south, self.bbox.west, self.bbox.north, self.bbox.east],
            "total": self.total,
        }
        if self.kind == "clusters":
            data["resolution"] = self.resolution
            data["clusters"] = [
                {
                    "lat": round(c.latitude, 5),
                    "lng": round(c.longitude, 5),
                    "count": c.count,
                    "category": c.category_id,
                }
                for c in self.clusters
            ]
        else:
            data["points"] = self.points
        # Colours only: category names are in the page's legend and filter, in the reader's language.
        data["colours"] = {str(pk): colour for pk, colour in self.colours.items() if pk in used}
        return data

    def encode(self) -> bytes:
        return json.dumps(self.payload(), ensure_ascii=False, separators=(",", ":")).encode()


def map_view(
    report_map: ReportMap,
    role: Role,
    bbox: BBox,
    zoom: int,
    filters: MapFilters | None = None,
    *,
    categories: list[Category] | None = None,
) -> MapView:
    """Clusters or points for one view of a map, as this viewer may see it.

    `categories` (the map's, already fetched by the caller) give the colours; without them they are
    fetched here.
    """
    filters = filters or MapFilters()
    if not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise BadParameter("zoom", _("The zoom must be a whole number from 0 to 20."))
    if categories is None:
        categories = list(report_map.categories.all())
    colours = {category.pk: category.colour for category in categories}
    resolution = resolution_for(zoom, bbox)

    if zoom >= POINTS_ZOOM:
        points = _points(report_map, role, bbox, filters)
        if points is not None:
            view = MapView("points", zoom, bbox, points=points, colours=colours)
            if len(view.encode()) <= MAX_BYTES:
                return view
    view = _clusters(report_map, role, bbox, zoom, resolution, filters, colours, categories)
    if zoom < POINTS_ZOOM and 0 < view.total <= FEW_REPORTS:
        points = _points(report_map, role, bbox, filters)
        if points is not None:
            few = MapView("points", zoom, bbox, points=points, colours=colours)
            if len(few.encode()) <= MAX_BYTES:
                return few
    return view


def _clusters(report_map, role, bbox, zoom, resolution, filters, colours, categories) -> MapView:
    while True:
        clusters = cluster_rows(report_map, role, bbox, resolution, filters, categories=categories)
        if len(clusters) <= CLUSTER_LIMIT or resolution == 0:
            clusters = sorted(clusters, key=lambda c: -c.count)[:CLUSTER_LIMIT]
            return MapView("clusters", zoom, bbox, resolution=resolution, clusters=clusters, colours=colours)
        resolution -= 1


def cluster_rows(
    report_map: ReportMap,
    role: Role,
    bbox: BBox,
    resolution: int,
    filters: MapFilters,
    *,
    from_reports: bool = False,
    categories: list[Category] | None = None,
) -> list[Cluster]:
    """One Cluster per populated cell at `resolution` with reports in the box: one query, grouped in SQL.

    A cluster counts its cell's reports inside the box only, so the clusters add up to what the list
    of the same box and filters shows: cells wholly inside the box come from the summaries, and the
    reports in the bands along the box's edges (split_box) are grouped one by one.

    `from_reports` counts the reports themselves even where the summaries could answer: the two
    must always agree, which is how the tests check the triggers. `categories` (the map's) tell
    whether a category filter is one category's subtree; without them they are fetched when needed.
    """
    # The tag-day counts stop at r8 (DATED_TAG_RESOLUTIONS): their edges are tiled no finer.
    finest = (
        DATED_TAG_RESOLUTIONS if filters.category_ids and filters.dated else STORED_RESOLUTIONS
    ).stop - 1
    split = split_box(bbox, resolution, finest)
    if categories is None and filters.category_ids and not from_reports:
        categories = list(report_map.categories.all())
    parts = _per_category_parts(
        report_map, role, bbox, resolution, split, filters, categories or [], from_reports
    )
    if len(parts) == 1:
        sql, params = parts[0]
    else:
        # Whole days from the day counts, ragged ends from the reports: one row per (cell, category) again.
        sql = " UNION ALL ".join(
            f"SELECT cell, category, n, sum_lat, sum_lng FROM ({part}) AS part{number}"  # noqa: S608
            for number, (part, _params) in enumerate(parts)
        )
        sql = f"""SELECT cell, category, SUM(n) AS n, SUM(sum_lat) AS sum_lat, SUM(sum_lng) AS sum_lng
            FROM ({sql}) AS parts GROUP BY cell, category"""  # noqa: S608
        params = [value for _part, part_params in parts for value in part_params]
    # Each cell's rows (one per category) become one: the totals over the cell, and the category
    # with the most reports (ties go to a real category, then the lowest id, so answers are stable).
    # `sql` is built here or by the ORM, with its values in `params`.
    ranked = f"""
        SELECT cell, total, sum_lat / total AS latitude, sum_lng / total AS longitude, category
        FROM (
            SELECT cell, category,
                   CAST(SUM(n) OVER (PARTITION BY cell) AS bigint) AS total,
                   SUM(sum_lat) OVER (PARTITION BY cell) AS sum_lat,
                   SUM(sum_lng) OVER (PARTITION BY cell) AS sum_lng,
                   ROW_NUMBER() OVER (
                       PARTITION BY cell ORDER BY n DESC, CASE WHEN category = 0 THEN 1 ELSE 0 END, category
                   ) AS place
            FROM ({sql}) AS per_category
        ) AS ranked
        WHERE place = 1
        ORDER BY total DESC, cell
        LIMIT {CLUSTER_LIMIT + 1}
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(ranked, params)
        rows = cursor.fetchall()
    clusters = []
    for cell, total, latitude, longitude, category in rows:
        latitude, longitude = float(latitude), float(longitude)
        centre_lat, centre_lng = h3.cell_to_latlng(h3.int_to_str(cell))
        if abs(longitude - centre_lng) > 90:
            # Members on both sides of the antimeridian average to the far side of the globe.
            latitude, longitude = centre_lat, centre_lng
        clusters.append(Cluster(int(cell), int(total), latitude, longitude, int(category) or None))
    return clusters


def _in_list(column: str, values) -> tuple[str, list]:
    values = sorted(values)
    if values and all(isinstance(value, int) for value in values) and connection.vendor == "sqlite":
        return f"{column} IN ({_literal_cells(values)})", []
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def _per_category_parts(report_map, role, bbox, resolution, split, filters, categories, from_reports):
    """The (sql, params) whose rows, summed, are (cell, category, n, sum_lat, sum_lng): see the module's docstring."""

    def everything() -> list[tuple[str, list]]:
        # The box's reports themselves, every filter applied: no summary can answer.
        return [_per_category_from_reports(report_map, role, bbox, resolution, None, filters)]

    def reports(narrowed: MapFilters) -> tuple[str, list]:
        return _per_category_from_reports(report_map, role, bbox, resolution, split, narrowed)

    def summary(table: str, where: list[str] | None = None, params: list | None = None) -> tuple[str, list]:
        return _per_category_from_summary(
            table, report_map, role, resolution, split, filters, where or [], params or []
        )

    if from_reports:
        return everything()
    table, where, params = "reports_cellday", [], []
    if filters.category_ids:
        root = filters.category_root(categories)
        if root is None:
            return everything()
        if resolution > DATED_TAG_RESOLUTIONS.stop - 1 and filters.dated:
            return everything()  # a town or less: the place index finds its reports
        table, where, params = "reports_celltagday", ["tag_id = %s"], [root]
        if not filters.dated:
            table = "reports_celltag"
    elif not filters.dated:
        table = "reports_cellcount"
    parts = []
    if split.covered:
        if filters.dated:
            first, last = filters.whole_days()
            if first is not None and last is not None and first >= last:
                return everything()  # not one whole UTC day: under two days of reports
            if first is not None:
                where.append("day >= %s")
                params.append(first)
            if last is not None:
                where.append("day < %s")
                params.append(last)
            parts.append(summary(table, where, params))
            if first is not None and filters.since and filters.since < _day_start(first):
                parts.append(reports(replace(filters, until=_day_start(first))))
            if last is not None and filters.until and _day_start(last) < filters.until:
                parts.append(reports(replace(filters, since=_day_start(last))))
        else:
            parts.append(summary(table, where, params))
    parts.extend(_per_category_on_edges(report_map, role, resolution, split, filters))
    return parts


def _day_start(day: int) -> datetime:
    return datetime.fromtimestamp(day * SECONDS_PER_DAY, tz=UTC)


def _stored(covered: tuple[tuple[int, frozenset[int]], ...]) -> set[int]:
    """The covered cells as the summaries store them: r0 and r1 cells (never stored) as their r2
    children, which hold exactly their reports, as cells nest exactly."""
    cells: set[int] = set()
    for resolution, members in covered:
        if resolution >= STORED_RESOLUTIONS.start:
            cells |= members
        else:
            cells.update(
                child for cell in members for child in h3_int.cell_to_children(cell, STORED_RESOLUTIONS.start)
            )
    return cells


def _per_category_from_summary(
    table, report_map, role, resolution, split: Split, filters, where, params
) -> tuple[str, list]:
    """(cell, category, n, sum_lat, sum_lng) rows from one of the summaries the triggers keep: the
    covered cells, each counted under its ancestor at the clusters' resolution (from the bits)."""
    statuses = visible_statuses(role, filters)
    where = ["report_map_id = %s", *where]
    params = [report_map.pk, *params]
    keep, bits = parent_masks(resolution)
    condition, values = _in_list("cell", _stored(split.covered))
    where.append(condition)
    params += values
    status_condition, status_values = _in_list("status", statuses)
    where.append(status_condition)
    params += status_values
    if filters.source:
        where.append("source = %s")
        params.append(filters.source)
    sql = f"""
        SELECT ((cell & {keep}) | {bits}) AS cell, category_id AS category,
               SUM(n) AS n, SUM(sum_lat) AS sum_lat, SUM(sum_lng) AS sum_lng
        FROM {table}
        WHERE {" AND ".join(where)}
        GROUP BY 1, 2
    """  # noqa: S608
    return sql, params


def _per_category_from_reports(
    report_map, role, bbox, resolution, split: Split | None, filters
) -> tuple[str, list]:
    """The same rows from the reports: those in the split's covered cells (wholly inside the box),
    or with `split=None` every report in the box."""
    reports = filters.apply(reports_for_viewer(role, report_map), role)
    reports, cell = _in_cells(reports, resolution)
    if split is None:
        return _grouped(bbox.filter(reports), cell)
    reports = reports.extra(where=[_covered_sql(split.covered)])  # noqa: S610
    # The box grown by a cell's size lets the (map, status, latitude, longitude) index narrow
    # the rows before the cell test; a cell reaches at most about two edges from its centre.
    reach = 2.5 * h3.average_hexagon_edge_length(resolution, "km") / 111.0
    reports = reports.filter(latitude__gte=bbox.south - reach, latitude__lte=bbox.north + reach)
    return _grouped(reports, cell)


def _per_category_on_edges(report_map, role, resolution, split: Split, filters) -> list[tuple[str, list]]:
    """The rows of the reports in the box's edge bands that no covered cell holds, one query per
    band: each band is a plain range of latitudes and longitudes, which a place index reads (in
    one query, neither database reads the bands through their indexes)."""
    if not split.bands:
        return []
    reports = filters.apply(reports_for_viewer(role, report_map), role, date_index=False)
    reports, cell = _in_cells(reports, resolution)
    if split.covered:
        reports = reports.extra(where=[f"NOT {_covered_sql(split.covered)}"])  # noqa: S610
    if connection.vendor == "sqlite":
        reports, _name = _unindexed(reports, "latitude")
        reports, _name = _unindexed(reports, "longitude")
    return [_grouped(reports.filter(band.narrow_q()), cell) for band in split.bands]


def _in_cells(reports: QuerySet[Report], resolution: int) -> tuple[QuerySet[Report], Combinable]:
    """The located reports, and their cell's expression at this resolution."""
    cell: Combinable
    if resolution >= STORED_RESOLUTIONS.start:
        return reports.filter(**{f"h3_r{resolution}__isnull": False}), F(f"h3_r{resolution}")
    keep, bits = parent_masks(resolution)
    cell = F("h3_r2").bitand(keep).bitor(bits)
    return reports.filter(h3_r2__isnull=False).alias(parent=cell), cell


def _covered_sql(covered: tuple[tuple[int, frozenset[int]], ...]) -> str:
    """Whether a report is in a covered cell, in SQL: its own cell at each covered resolution (r0
    and r1 ones from the bits of its r2 cell)."""
    tests = [
        f"{_cell_sql(resolution)} IN ({_literal_cells(cells)})" for resolution, cells in covered if cells
    ]
    return "(" + " OR ".join(tests) + ")" if tests else "(1 = 0)"


def _cell_sql(resolution: int) -> str:
    """A report's cell at this resolution in SQL (r0 and r1: the ancestor of its r2 cell, from the bits)."""
    if resolution >= STORED_RESOLUTIONS.start:
        return f'"reports_report"."h3_r{resolution}"'
    keep, bits = parent_masks(resolution)
    return f'(("reports_report"."h3_r2" & {keep}) | {bits})'


def _literal_cells(cells) -> str:
    """Cells written into the SQL as integer literals: a view may name thousands, more than
    SQLite takes as parameters in one statement. They are ints worked out here, never input."""
    return ", ".join(str(int(cell)) for cell in sorted(cells))


def _grouped(reports: QuerySet[Report], cell: Combinable) -> tuple[str, list]:
    grouped = (
        reports.order_by()
        .values(cell=cell, category=Coalesce(F("primary_category_id"), Value(0)))
        .annotate(
            n=Count("pk"),
            sum_lat=Sum(Cast("latitude", FloatField())),
            sum_lng=Sum(Cast("longitude", FloatField())),
        )
    )
    sql, params = grouped.query.sql_with_params()
    return sql, list(params)


# --- Whole maps -------------------------------------------------------------------------------------


def report_counts(map_ids: list[int]) -> dict[int, dict[str, int]]:
    """How many reports each map holds in each status, merged ones left out: those with a place
    from the r2 rows of the cell counts (a few per map, however many reports), those without one
    from the reports (the place index starts with the status, then the latitude)."""
    counts: dict[int, dict[str, int]] = {pk: {} for pk in map_ids}
    if not map_ids:
        return counts
    low, high = resolution_range(STORED_RESOLUTIONS.start)
    condition, values = _in_list("report_map_id", map_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT report_map_id, status, SUM(n) FROM reports_cellcount
            WHERE {condition} AND cell BETWEEN {low} AND {high}
            GROUP BY report_map_id, status""",  # noqa: S608
            values,
        )
        located = cursor.fetchall()
    unplaced = (
        Report.objects.filter(
            report_map_id__in=map_ids, status__in=Report.Status.values, merged_into__isnull=True
        )
        .filter(Q(latitude__isnull=True) | Q(longitude__isnull=True) | Q(h3_r2__isnull=True))
        .order_by()
        .values_list("report_map_id", "status")
        .annotate(n=Count("pk"))
    )
    for pk, status, n in [*located, *unplaced]:
        counts[int(pk)][status] = counts[int(pk)].get(status, 0) + int(n)
    return counts


def published_counts(map_ids: list[int]) -> dict[int, int]:
    """How many reports each map has published."""
    return {pk: by_status.get(Report.Status.PUBLISHED, 0) for pk, by_status in report_counts(map_ids).items()}


def published_extent(report_map: ReportMap) -> BBox | None:
    """The smallest box holding every published report with a place, or None when there is none.

    Four index lookups (the place indexes lead with latitude and with longitude), never a scan: the
    map's first view fits its reports without sending them.
    """
    reports = Report.objects.published().filter(
        report_map=report_map, merged_into__isnull=True, latitude__isnull=False, longitude__isnull=False
    )
    edges = []
    for order in ("latitude", "-latitude", "longitude", "-longitude"):
        value = reports.order_by(order).values_list(order.lstrip("-"), flat=True).first()
        if value is None:
            return None
        edges.append(float(value))
    south, north, west, east = edges
    return BBox(south, west, north, east)


# --- Points -----------------------------------------------------------------------------------------


# A dated query for a box with at most this many reports (of any date) reads them by place.
BOX_SCAN_LIMIT = 100_000


def in_box(report_map: ReportMap, role: Role, bbox: BBox, filters: MapFilters) -> QuerySet[Report]:
    """The reports in the box that pass the filters, read through the better index.

    With a date range there are two ways in: the place index (every report in the box) or the
    event_at index (every report in the range, anywhere on the map). The box's reports of any date
    are counted from the cell counts, cheaply; few enough, and the place index is used.
    """
    date_index = True
    if filters.dated:
        undated = replace(filters, since=None, until=None, category_ids=frozenset())
        resolution = resolution_for(MAX_ZOOM, bbox)
        date_index = (
            sum(c.count for c in cluster_rows(report_map, role, bbox, resolution, undated)) > BOX_SCAN_LIMIT
        )
    return bbox.filter(filters.apply(reports_for_viewer(role, report_map), role, date_index=date_index))


def _points(report_map, role, bbox, filters) -> list[dict[str, Any]] | None:
    """The reports in the box, newest first, or None when there are more than POINT_LIMIT."""
    reports = in_box(report_map, role, bbox, filters)
    newest: Any = "event_at"
    if connection.vendor == "sqlite":
        # Points are asked for a street, or for a box known to hold few reports. Sorted on the
        # plain column, SQLite (which has no statistics) reads the event_at index newest first
        # and tests every report of the map against the box; the unary plus keeps the sort off
        # that index, so the place index finds the box's few reports, which are then sorted.
        newest = Func(F("event_at"), template="+%(expressions)s", output_field=DateTimeField())
    # The box filter leaves out unlocated reports, so the coordinates are never None here.
    rows: list[tuple[Any, ...]] = list(
        reports.order_by(newest.desc() if not isinstance(newest, str) else "-event_at", "-id").values_list(
            "pk", "public_title", "latitude", "longitude", "primary_category_id"
        )[: POINT_LIMIT + 1]
    )
    if len(rows) > POINT_LIMIT:
        return None
    return [
        {
            "id": pk,
            "title": title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…",
            "lat": float(latitude),
            "lng": float(longitude),
            "category": category,
            "url": reverse("reports:detail", args=[report_map.slug, pk]),
        }
        for pk, title, latitude, longitude, category in rows
    ]


# --- GeoJSON ----------------------------------------------------------------------------------------

GEOJSON_LIMIT = 1000


def geojson(
    report_map: ReportMap,
    role: Role,
    bbox: BBox,
    filters: MapFilters | None = None,
    *,
    limit: int | None = None,
    categories: list[Category] | None = None,
) -> dict[str, Any]:
    """The reports in a box as a GeoJSON FeatureCollection, newest first, at most `limit` of them.

    `truncated` (a foreign member, RFC 7946 6.1) says whether more reports were left out: zoom in or
    narrow the filters to get them. Each report's main category comes as its id and its name in the
    active language; pass the map's `categories` when they are loaded already.
    """
    filters = filters or MapFilters()
    if categories is None:
        categories = list(report_map.categories.all())
    names = {category.pk: category.name for category in categories}
    limit = limit or GEOJSON_LIMIT
    reports = in_box(report_map, role, bbox, filters)
    rows = list(
        reports.order_by("-event_at", "-id").values_list(
            "pk",
            "public_title",
            "latitude",
            "longitude",
            "event_at",
            "public_place_name",
            "source",
            "primary_category_id",
        )[: limit + 1]
    )
    features = [geojson_feature(report_map, *row, names=names) for row in rows[:limit]]
    return {
        "type": "FeatureCollection",
        "bbox": [bbox.west, bbox.south, bbox.east, bbox.north],
        "truncated": len(rows) > limit,
        "features": features,
    }


def geojson_feature(
    report_map, pk, title, latitude, longitude, event_at, place_name, source, category, *, names=None
):
    return {
        "type": "Feature",
        "id": pk,
        "geometry": {"type": "Point", "coordinates": [float(longitude), float(latitude)]},
        "properties": {
            "title": title,
            "event_at": event_at.isoformat(),
            "place": place_name,
            "source": source,
            "category": category,
            "category_name": (names or {}).get(category),
            "url": reverse("reports:detail", args=[report_map.slug, pk]),
        },
    }
