"""map_clusters_1m: the public map's clusters.json on a million reports, through the live server.

The seed is 1,000,000 reports on one map (BENCH_MAP_REPORTS changes the number): forty town-sized
Gaussian blobs over Kenya with Zipf-like sizes, plus 5% scattered across the country; 88% are
published; sources, categories and dates vary. It is written with executemany (the H3 cells are
computed in Python, as Report.prepare() would), so the database triggers of migration 0002 build
the cell counts exactly as they do for any other write.

Then, for every zoom from 2 to 16, BOXES_PER_ZOOM boxes of a 1280 x 800 pixel screen (seeded
random centres: most on a town, some anywhere in the country) are asked of the real endpoint,
`/maps/<slug>/clusters.json`, as an anonymous visitor on gunicorn, ROUNDS times each, one request
at a time. A request's latency is measured by the client, so it includes HTTP and JSON encoding.

Every answer's total must equal the number of published reports in its box (what the list beside the
map shows for it), or the benchmark fails: clusters count only the reports inside the box.

Results:
- `map_clusters_1m`: p95 latency in ms over every request (target 100 ms); details per zoom: median
  and p95 latency, the largest answer in bytes (target 50 KB), the kind of answer, and what sending
  every report in the box as GeoJSON would weigh (the reports in the box are counted in SQL and
  multiplied by the mean size of the endpoint's own GeoJSON features, measured on up to 1,000).
- `map_clusters_1m_median`: the median latency (target 50 ms).
- `map_clusters_1m_bytes`: the largest answer in bytes (target 50,000).
- `map_clusters_1m_filtered`: the same boxes, once each (after one unrecorded), with a 30-day date
  range: whole UTC days from the day counts of migration 0005, the ragged ends from the reports.
  Held to the same 100 ms p95 (and 50 ms median, in the details).
- `map_clusters_1m_category`: the same boxes with a category that has a child ("Water", which holds
  "Broken water point"), answered from the tag counts of migration 0005. Same targets.
- `map_clusters_1m_dated_category`: the same boxes with both, the 30-day range and "Water": from the
  tag-day counts of migration 0006 up to resolution 8 (zoom 14), the ragged ends and r9 views
  from the reports. Same targets.
- `map_clusters_1m_load`: seconds to write the million reports, triggers included.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import statistics
import time
from urllib.parse import urlencode

from harness import LOOPBACK, BenchError, Context, Result

NAME = "map_clusters_1m"
SLUG = "bench-map-clusters"
EMAIL = "map-owner@bench.samen.invalid"
# A seed version: a kept database reuses a seed only when this and the count match.
SEED_VERSION = "clusters-v2"
REPORTS = int(os.environ.get("BENCH_MAP_REPORTS", "1000000"))
ZOOMS = range(2, 17)
BOXES_PER_ZOOM = 6
ROUNDS = 3
SCREEN = (1280, 800)
TARGET_MEDIAN_MS = 50
TARGET_P95_MS = 100
TARGET_BYTES = 50_000
COUNTRY = (-4.7, 33.9, 4.6, 41.9)  # south, west, north, east: Kenya
TOWNS = 40
NOISE = 0.05
BATCH = 20_000


def run(ctx: Context) -> list[Result]:
    ctx.progress(f"{NAME}: writing {REPORTS:,} reports (once per database)")
    seeded = ctx.django(f"{__name__}:seed", count=REPORTS)
    boxes = _boxes(seeded["towns"])
    server = ctx.server()
    base = f"/maps/{SLUG}/clusters.json"

    ctx.progress(f"{NAME}: counting the reports in {len(boxes)} boxes for the GeoJSON comparison")
    geojson = ctx.django(f"{__name__}:geojson_bytes", boxes=[box for _zoom, box in boxes])

    plain = _measure(ctx, server.port, base, boxes, {}, "clusters", ROUNDS)
    since = seeded["latest"][:10]
    filtered = _measure(
        ctx, server.port, base, boxes, {"from": _days_before(since, 30), "to": since}, "filtered", 1
    )
    by_category = _measure(
        ctx, server.port, base, boxes, {"category": seeded["parent_category"]}, "category", 1
    )
    dated_category = _measure(
        ctx,
        server.port,
        base,
        boxes,
        {"from": _days_before(since, 30), "to": since, "category": seeded["parent_category"]},
        "dated category",
        1,
    )

    # Exact totals: every answer's total is the number of published reports in its box, which is
    # what the list beside the map says (counted in SQL for the GeoJSON comparison above).
    wrong = sorted(
        {
            (boxes[m["box"]][0], m["total"], geojson[m["box"]]["reports"])
            for m in plain
            if m["total"] != geojson[m["box"]]["reports"]
        }
    )
    if wrong:
        raise BenchError(
            f"cluster totals differ from the reports in the box (zoom, total, reports): {wrong[:10]}"
        )

    per_zoom = {}
    for zoom in ZOOMS:
        mine = [m for m in plain if m["zoom"] == zoom]
        theirs = [g for (z, _b), g in zip(boxes, geojson, strict=True) if z == zoom]
        per_zoom[str(zoom)] = {
            "median_ms": _round(statistics.median(_latencies(mine))),
            "p95_ms": _round(_percentile(_latencies(mine), 95)),
            "max_bytes": max(m["bytes"] for m in mine),
            "median_bytes": int(statistics.median(m["bytes"] for m in mine)),
            "kinds": sorted({m["kind"] for m in mine}),
            "reports_in_view_median": int(statistics.median(g["reports"] for g in theirs)),
            "geojson_bytes_median": int(statistics.median(g["bytes"] for g in theirs)),
            "geojson_bytes_max": max(g["bytes"] for g in theirs),
            "filtered_median_ms": _round(
                statistics.median(_latencies([m for m in filtered if m["zoom"] == zoom]))
            ),
            "filtered_p95_ms": _round(
                _percentile(_latencies([m for m in filtered if m["zoom"] == zoom]), 95)
            ),
        }
    every = _latencies(plain)
    largest = max(m["bytes"] for m in plain)
    details = {
        **ctx.describe(),
        "measured": "GET /maps/<slug>/clusters.json on the live gunicorn, anonymous, one request at a time",
        "reports": seeded["reports"],
        "published": seeded["published"],
        "cell_count_rows": seeded["cell_count_rows"],
        "boxes_per_zoom": BOXES_PER_ZOOM,
        "rounds": ROUNDS,
        "requests": len(every),
        "totals_equal_the_list": True,
        "median_ms": _round(statistics.median(every)),
        "p95_ms": _round(_percentile(every, 95)),
        "max_bytes": largest,
        "per_zoom": per_zoom,
        "seed": {key: seeded[key] for key in ("seconds", "reused", "version")},
    }
    filtered_every = _latencies(filtered)
    category_every = _latencies(by_category)
    dated_category_every = _latencies(dated_category)
    return [
        Result.absolute(
            NAME,
            _percentile(every, 95),
            unit="ms p95",
            target=TARGET_P95_MS,
            higher_is_better=False,
            details=details,
        ),
        Result.absolute(
            f"{NAME}_median",
            statistics.median(every),
            unit="ms",
            target=TARGET_MEDIAN_MS,
            higher_is_better=False,
        ),
        Result.absolute(f"{NAME}_bytes", largest, unit="bytes", target=TARGET_BYTES, higher_is_better=False),
        # Not promised by the issue, but held to the same target so that its cost stays visible.
        Result.absolute(
            f"{NAME}_filtered",
            _percentile(filtered_every, 95),
            unit="ms p95",
            target=TARGET_P95_MS,
            higher_is_better=False,
            details={
                "filter": "from/to: the last 30 days of the seed (about 8% of the reports), one request per box",
                "answered_from": "reports_cellday for whole UTC days, reports_report for ragged ends",
                "median_ms": _round(statistics.median(filtered_every)),
                "target_median_ms": TARGET_MEDIAN_MS,
                "p95_ms": _round(_percentile(filtered_every, 95)),
                "per_zoom_median_ms": {z: v["filtered_median_ms"] for z, v in per_zoom.items()},
                "per_zoom_p95_ms": {z: v["filtered_p95_ms"] for z, v in per_zoom.items()},
                "max_bytes": max(m["bytes"] for m in filtered),
            },
        ),
        Result.absolute(
            f"{NAME}_category",
            _percentile(category_every, 95),
            unit="ms p95",
            target=TARGET_P95_MS,
            higher_is_better=False,
            details={
                "filter": "category=Water, which holds Broken water point (about 22% of the reports)",
                "answered_from": "reports_celltag: each report once under every category it carries and their ancestors",
                "median_ms": _round(statistics.median(category_every)),
                "target_median_ms": TARGET_MEDIAN_MS,
                "p95_ms": _round(_percentile(category_every, 95)),
                "per_zoom_median_ms": _per_zoom(by_category, statistics.median),
                "per_zoom_p95_ms": _per_zoom(by_category, lambda ms: _percentile(ms, 95)),
                "max_bytes": max(m["bytes"] for m in by_category),
            },
        ),
        Result.absolute(
            f"{NAME}_dated_category",
            _percentile(dated_category_every, 95),
            unit="ms p95",
            target=TARGET_P95_MS,
            higher_is_better=False,
            details={
                "filter": "from/to: the last 30 days, and category=Water (with Broken water point)",
                "answered_from": "reports_celltagday for whole UTC days up to r8 (zoom 14), reports_report for "
                "ragged ends and finer views",
                "median_ms": _round(statistics.median(dated_category_every)),
                "target_median_ms": TARGET_MEDIAN_MS,
                "p95_ms": _round(_percentile(dated_category_every, 95)),
                "per_zoom_median_ms": _per_zoom(dated_category, statistics.median),
                "per_zoom_p95_ms": _per_zoom(dated_category, lambda ms: _percentile(ms, 95)),
                "max_bytes": max(m["bytes"] for m in dated_category),
            },
        ),
        Result.absolute(
            f"{NAME}_load",
            seeded["seconds"],
            unit="s",
            target=300,
            higher_is_better=False,
            details={"reused": seeded["reused"], "reports": seeded["reports"]},
        ),
    ]


def _measure(ctx, port, base, boxes, extra, label, rounds) -> list[dict]:
    """Every box `rounds` times (after one unrecorded), in a shuffled order, on one keep-alive connection."""
    order = [(n, box) for n in range(rounds + 1) for box in range(len(boxes))]
    random.Random(7).shuffle(order)
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
    results = []
    done = 0
    for round_number, index in order:
        zoom, box = boxes[index]
        url = _url(base, (zoom, box), extra)
        started = time.perf_counter()
        status, body = _get(connection, url)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise BenchError(f"{url} answered {status}: {body[:300]!r}")
        if round_number == 0:
            continue  # the box's first request warms the pages it reads; later rounds are recorded
        answer = json.loads(body)
        results.append(
            {
                "zoom": zoom,
                "ms": elapsed,
                "bytes": len(body),
                "kind": answer["kind"],
                "box": index,
                "total": answer["total"],
            }
        )
        done += 1
        if done % 50 == 0:
            ctx.progress(f"{NAME} {label}: {done}/{len(boxes) * rounds} requests")
    connection.close()
    return results


def _per_zoom(measurements, figure) -> dict[str, float]:
    return {
        str(zoom): _round(figure(_latencies([m for m in measurements if m["zoom"] == zoom])))
        for zoom in ZOOMS
    }


def _get(connection, url) -> tuple[int, bytes]:
    for attempt in range(2):
        try:
            connection.request(
                "GET", url, headers={"Accept": "application/json", "Accept-Encoding": "identity"}
            )
            response = connection.getresponse()
            return response.status, response.read()
        except (http.client.RemoteDisconnected, ConnectionError):
            if attempt:
                raise
            connection.close()
    raise BenchError("unreachable")


def _url(base, zoom_box, extra) -> str:
    zoom, box = zoom_box
    return f"{base}?{urlencode({'bbox': ','.join(f'{v:.5f}' for v in box), 'zoom': zoom, **extra})}"


def _boxes(towns) -> list[tuple[int, tuple[float, float, float, float]]]:
    """BOXES_PER_ZOOM screens per zoom, centred on a town (most) or anywhere in the country."""
    rng = random.Random(2010)
    south, west, north, east = COUNTRY
    boxes = []
    for zoom in ZOOMS:
        for n in range(BOXES_PER_ZOOM):
            if n < BOXES_PER_ZOOM - 2:
                town = towns[rng.randrange(min(len(towns), 12))]
                lat, lng = rng.gauss(town[0], town[2]), rng.gauss(town[1], town[2])
            else:
                lat, lng = rng.uniform(south, north), rng.uniform(west, east)
            # As the URL writes them (5 decimals), so the list's count is of the very box asked for.
            boxes.append((zoom, tuple(float(f"{value:.5f}") for value in _screen(lat, lng, zoom))))
    return boxes


def _screen(lat, lng, zoom) -> tuple[float, float, float, float]:
    """The box a SCREEN-sized Web Mercator view at this zoom shows around (lat, lng)."""
    degrees_per_pixel = 360 / (256 * 2**zoom)
    half_width = min(180.0, SCREEN[0] / 2 * degrees_per_pixel)
    half_height = SCREEN[1] / 2 * degrees_per_pixel * math.cos(math.radians(lat))
    south, north = max(-85.0, lat - half_height), min(85.0, lat + half_height)
    if half_width >= 180:
        return south, -180.0, north, 180.0
    west, east = lng - half_width, lng + half_width
    return south, max(-180.0, west), north, min(180.0, east)


def _days_before(day: str, days: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) - timedelta(days=days)).isoformat()


def _latencies(measurements) -> list[float]:
    return sorted(m["ms"] for m in measurements)


def _percentile(ordered: list[float], q: float) -> float:
    ordered = sorted(ordered)
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def _round(value: float) -> float:
    return round(value, 2)


# --- Inside Django (through ctx.django) -----------------------------------------------------------


CATEGORIES = [
    ("Water", "#1a4fd6", None),
    ("Health", "#a4161a", None),
    ("Shelter", "#7a4b00", None),
    ("Food", "#0b6b3a", None),
    ("Security", "#4b1d6b", None),
    ("Roads blocked", "#5c5c5c", None),
    ("Broken water point", "#1a6fd6", "Water"),
    ("Cholera", "#c4161a", "Health"),
    ("Missing person", "#6b1d4b", "Security"),
]
SOURCES = [("sms", 50), ("web", 25), ("email", 10), ("import", 10), ("api", 5)]
STATUSES = [("published", 88), ("received", 6), ("in_review", 3), ("archived", 3)]


def _towns(rng) -> list[tuple[float, float, float, float]]:
    """(lat, lng, sigma in degrees, weight): bigger towns are wider."""
    south, west, north, east = COUNTRY
    towns = []
    for rank in range(1, TOWNS + 1):
        weight = 1 / rank**0.9
        sigma = 0.02 + 0.2 * weight
        towns.append(
            (rng.uniform(south + 0.5, north - 0.5), rng.uniform(west + 0.5, east - 0.5), sigma, weight)
        )
    return towns


def seed(count: int) -> dict:
    from datetime import timedelta

    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone
    from h3.api import basic_int

    from samen.initiatives.models import Initiative, TeamMember
    from samen.people.models import Member
    from samen.reports.clustering import counting_paused
    from samen.reports.models import Category, Report, ReportMap

    rng = random.Random(1_000_000)
    towns = _towns(rng)
    existing = ReportMap.objects.filter(slug=SLUG).first()
    if existing and existing.description == f"{SEED_VERSION}:{count}":
        return {**_summary(existing), "towns": towns, "seconds": 0.0, "reused": True, "version": SEED_VERSION}

    started = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # The default 2 MB page cache thrashes on a dozen growing indexes; this connection only.
            cursor.execute("PRAGMA cache_size = -400000")
    with transaction.atomic():
        if existing:
            # Straight DELETEs: the ORM's cascade would first load a million reports into memory.
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM reports_report_categories WHERE report_id IN "
                    "(SELECT id FROM reports_report WHERE report_map_id = %s)",
                    [existing.pk],
                )
                cursor.execute("DELETE FROM reports_report WHERE report_map_id = %s", [existing.pk])
            existing.initiative.delete()
        Member.objects.filter(email=EMAIL).delete()
        owner = Member.objects.create_user(EMAIL, None, name="Map Owner")
        initiative = Initiative.objects.create(
            title="Bench: a million reports", slug=SLUG, summary="Benchmark data.", status=Initiative.Status.OPEN,
            created_by=owner,
        )  # fmt: skip
        TeamMember.objects.create(initiative=initiative, member=owner, role=TeamMember.Role.OWNER)
        report_map = ReportMap.objects.create(
            initiative=initiative, slug=SLUG, title="A million reports", description=f"{SEED_VERSION}:{count}",
            default_latitude=0, default_longitude=37.9, default_zoom=6, channels=["web", "sms"],
        )  # fmt: skip
        by_title: dict[str, Category] = {}
        for position, (title, colour, parent) in enumerate(CATEGORIES):
            by_title[title] = Category.objects.create(
                report_map=report_map, title=title, colour=colour, position=position,
                parent=by_title.get(parent) if parent else None,
            )  # fmt: skip
        category_ids = [category.pk for category in by_title.values()]

    now = timezone.now().replace(microsecond=0)
    sources = [s for s, w in SOURCES for _ in range(w)]
    statuses = [s for s, w in STATUSES for _ in range(w)]
    weights = [town[3] for town in towns]
    # Each town leans to a few categories, so clusters have different dominant categories.
    leanings = [[rng.choice(category_ids) for _ in range(3)] + category_ids for _ in towns]
    adapt = connection.ops.adapt_datetimefield_value
    now_db = adapt(now)
    first_id = (Report.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    columns = [
        "id", "report_map_id", "title", "description", "public_description", "event_at", "location_precision",
        "primary_category_id", "source", "status", "verified", "reporter_name", "reporter_contact",
        "external_id", "fingerprint", "created_at", "updated_at", "published_at", "place_name",
        "latitude", "longitude", *[f"h3_r{r}" for r in range(2, 10)],
    ]  # fmt: skip
    insert = f"INSERT INTO reports_report ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    tag = "INSERT INTO reports_report_categories (report_id, category_id) VALUES (%s, %s)"
    south, west, north, east = COUNTRY
    latest = now - timedelta(days=1)
    # One transaction: the triggers skip this map while it loads, and its cell counts are built
    # once at the end with a GROUP BY per resolution (what an importer of this size would do).
    with counting_paused(report_map), connection.cursor() as cursor:
        for start in range(0, count, BATCH):
            rows, tags = [], []
            for i in range(start, min(count, start + BATCH)):
                if rng.random() < NOISE:
                    town_index = None
                    lat, lng = rng.uniform(south, north), rng.uniform(west, east)
                    category = rng.choice(category_ids)
                else:
                    town_index = rng.choices(range(TOWNS), weights)[0]
                    lat0, lng0, sigma, _w = towns[town_index]
                    lat, lng = rng.gauss(lat0, sigma), rng.gauss(lng0, sigma)
                    category = rng.choice(leanings[town_index])
                lat, lng = round(max(-89.0, min(89.0, lat)), 6), round(max(-179.0, min(179.0, lng)), 6)
                # As Report.compute_cells(): the r9 cell from the point, the coarser ones its ancestors.
                finest = basic_int.latlng_to_cell(lat, lng, 9)
                cells = [basic_int.cell_to_parent(finest, resolution) for resolution in range(2, 9)] + [
                    finest
                ]
                status = rng.choice(statuses)
                event_at = latest - timedelta(seconds=rng.randrange(365 * 86400))
                event_db = adapt(event_at)
                pk = first_id + i
                rows.append((
                    pk, report_map.pk, f"Report {i}", "", "", event_db, "exact", category, rng.choice(sources),
                    status, False, "", "", "", "", now_db, now_db, event_db if status == "published" else None,
                    f"Town {town_index}" if town_index is not None else "", lat, lng,
                    *cells,
                ))  # fmt: skip
                tags.append((pk, category))
            cursor.executemany(insert, rows)
            cursor.executemany(tag, tags)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Report, Report.categories.through]):
            cursor.execute(statement)
    seconds = time.perf_counter() - started
    return {
        **_summary(report_map),
        "towns": towns,
        "seconds": round(seconds, 1),
        "reused": False,
        "version": SEED_VERSION,
    }


def _summary(report_map) -> dict:
    from django.db import connection

    from samen.reports.models import Report

    reports = Report.objects.filter(report_map=report_map)
    parent = report_map.categories.filter(children__isnull=False).order_by("position").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM reports_cellcount WHERE report_map_id = %s", [report_map.pk])
        cell_rows = cursor.fetchone()[0]
    latest = reports.order_by("-event_at").values_list("event_at", flat=True).first()
    return {
        "slug": report_map.slug,
        "reports": reports.count(),
        "published": reports.filter(status=Report.Status.PUBLISHED).count(),
        "cell_count_rows": cell_rows,
        "latest": latest.isoformat() if latest else "",
        "parent_category": parent.pk if parent else None,
    }


def geojson_bytes(boxes) -> list[dict]:
    """What sending every published report in each box as GeoJSON would weigh, in bytes.

    A box of at most GEOJSON_LIMIT reports is measured exactly, from the endpoint's own
    serialiser; a bigger one is its count (in SQL) times the mean size of a feature, measured on
    the newest GEOJSON_LIMIT reports of the whole country.
    """
    from samen.core.access import Role
    from samen.reports import clustering
    from samen.reports.access import reports_for_viewer
    from samen.reports.models import ReportMap

    report_map = ReportMap.objects.get(slug=SLUG)
    compact = {"ensure_ascii": False, "separators": (",", ":")}
    country = clustering.geojson(report_map, Role.ANONYMOUS, clustering.BBox(*COUNTRY))
    features = country["features"]
    mean_feature = len(json.dumps(features, **compact)) / len(features) if features else 0
    boxes = [tuple(box) for box in boxes]  # they arrive as JSON lists
    known: dict[tuple, dict] = {}
    for box in boxes:
        if box in known:
            continue
        bbox = clustering.BBox(*box)
        count = bbox.filter(reports_for_viewer(Role.ANONYMOUS, report_map)).count()
        if count <= clustering.GEOJSON_LIMIT:
            size = len(json.dumps(clustering.geojson(report_map, Role.ANONYMOUS, bbox), **compact))
        else:
            empty = len(json.dumps({**country, "features": []}, **compact))
            size = int(empty + count * (mean_feature + 1))
        known[box] = {"reports": count, "bytes": size, "exact": count <= clustering.GEOJSON_LIMIT}
    return [known[box] for box in boxes]
