"""Exact CSV round trips: a map's export imported into the same map creates nothing; into a new map
it rebuilds the category tree, every translation, each report's main category and its source links.

Also: ids namespaced by source deployment, the source time zone, rows outside the map's area,
HTML entities, and cluster summaries after a paused import equal to what the triggers keep.
The real RNI export (CC BY 4.0, see data/README.md) is one of the files that goes round.
"""

import csv
import io
import math
import random
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samen.reports.clustering import pause_counting, resume_counting
from samen.reports.csv_import import CsvFormatError, Outcome, clean_source, import_reports, unescape_v2
from samen.reports.models import Category, Report, ReportMap, SourceLink

DATA = Path(__file__).parent / "data"
V2_HEADER = (
    "#,INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE,APPROVED,VERIFIED"
)


def export(client, report_map) -> bytes:
    response = client.get(reverse("reports:csv_export", args=[report_map.slug]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def new_map(report_map, slug) -> ReportMap:
    # Centred on 0, 0: a map that has not been placed has no area, so nothing is held back.
    return ReportMap.objects.create(
        initiative=report_map.initiative, slug=slug, title=slug, channels=["import"]
    )


def paths_of(report_map):
    categories = {category.pk: category for category in Category.objects.filter(report_map=report_map)}

    def path(pk):
        out, category = [], categories.get(pk)
        while category is not None:
            out.insert(0, category.title)
            category = categories.get(category.parent_id)
        return tuple(out)

    return categories, path


def snapshot(report_map) -> tuple[dict, dict]:
    """Every report (by title and time) with its text, place, categories and links; and the tree."""
    categories, path = paths_of(report_map)
    reports = {}
    used = set()
    for report in Report.objects.filter(report_map=report_map).prefetch_related("categories", "source_links"):
        carried = sorted(path(category.pk) for category in report.categories.all())
        used.update(carried)
        reports[(report.title, report.event_at)] = {
            "description": report.description,
            "public_description": report.public_description,
            "place_name": report.place_name,
            "location": (report.latitude, report.longitude),
            "precision": report.location_precision,
            "verified": report.verified,
            "published": report.status == Report.Status.PUBLISHED,
            "contact": report.reporter_contact,
            "main": path(report.primary_category_id) if report.primary_category_id else None,
            "categories": carried,
            "links": [link.url for link in report.source_links.all()],
        }
    ancestors = {p[:n] for p in used for n in range(1, len(p) + 1)}
    tree = {
        path(pk): (category.translations, category.colour, category.position)
        for pk, category in categories.items()
        if path(pk) in ancestors
    }
    return reports, tree


@pytest.fixture
def world(report_map):
    report_map.area_radius_km = 20_100
    report_map.save(update_fields=["area_radius_km"])
    return report_map


@pytest.fixture
def full_map(world, categories, make_report, client_as, reviewer):
    """A map with every kind of report: the real RNI export, a v2 and a v3 file, and web reports
    whose main category is not the first of their categories in any order."""
    for name in ("RNI_Download_20151007_original_v2_export.csv", "v2_haiti_style.csv", "v3_export_hxl.csv"):
        import_reports(world, (DATA / name).read_bytes(), filename=name)
    broken = make_report(
        title="Tap broken at AT&amp;T corner",  # typed by a person, exactly so
        description="Fish &amp; chips & more",
        status=Report.Status.PUBLISHED,
        primary_category=categories["unsafe"],
        event_at=datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
    )
    broken.categories.set([categories["broken"], categories["unsafe"]])
    SourceLink.objects.create(report=broken, url="https://news.example/tap?id=1&x=2", position=0)
    SourceLink.objects.create(report=broken, url="http://radio.example/", position=1)
    second = make_report(
        title="Dirty water",
        status=Report.Status.IN_REVIEW,
        primary_category=categories["broken"],
        event_at=datetime(2024, 5, 2, 10, 0, tzinfo=UTC),
    )
    second.categories.set([categories["urgent"], categories["broken"], categories["unsafe"]])
    return world


@pytest.mark.django_db
def test_a_maps_export_imported_into_the_same_map_creates_nothing(full_map, client_as, reviewer):
    before = snapshot(full_map)
    count = Report.objects.filter(report_map=full_map).count()
    body = export(client_as(reviewer), full_map)
    summary = import_reports(full_map, body, filename="export.csv")
    assert summary.format == "Samen"
    assert (summary.rows, summary.imported, summary.duplicates, summary.rejected) == (count, 0, count, 0)
    assert Report.objects.filter(report_map=full_map).count() == count
    assert snapshot(full_map) == before
    assert {problem.message for problem in summary.problems} == {"Exported from this map: skipped."}


@pytest.mark.django_db
def test_into_a_new_map_the_tree_translations_and_main_categories_come_back(
    full_map, client_as, reviewer, owner
):
    body = export(client_as(reviewer), full_map)
    copy = new_map(full_map, "copy")
    summary = import_reports(copy, body, filename="export.csv")
    assert summary.imported == summary.rows == Report.objects.filter(report_map=full_map).count()
    assert summary.rejected == 0
    reports, tree = snapshot(copy)
    original_reports, original_tree = snapshot(full_map)
    assert tree == original_tree
    assert tree[("Emergency", "Broken water point")] == ({"fr": "Point d'eau cassé"}, "#0b6b3a", 0)
    assert tree[("Emergency",)][0] == {"fr": "Urgences", "nl": "Noodgeval"}
    assert reports == original_reports
    assert reports[("Dirty water", datetime(2024, 5, 2, 10, 0, tzinfo=UTC))]["main"] == (
        "Emergency",
        "Broken water point",
    )
    # And the copy's own export, imported into a third map, is the same again: the order is stable.
    again = new_map(full_map, "copy-of-copy")
    import_reports(again, export(client_as(owner), copy))
    assert snapshot(again) == (reports, tree)


@pytest.mark.django_db
def test_the_export_writes_the_main_category_first_in_a_stable_order(full_map, client_as, reviewer):
    rows = list(csv.DictReader(io.StringIO(export(client_as(reviewer), full_map).decode("utf-8-sig"))))
    dirty = next(row for row in rows if row["Title"] == "Dirty water")
    assert dirty["Categories"] == "Broken water point,Emergency,Unsafe water"
    assert export(client_as(reviewer), full_map) == export(client_as(reviewer), full_map)


@pytest.mark.django_db
def test_ids_travel_so_the_original_file_adds_nothing_to_a_copy(full_map, client_as, reviewer):
    copy = new_map(full_map, "copy")
    import_reports(copy, export(client_as(reviewer), full_map))
    for name in ("RNI_Download_20151007_original_v2_export.csv", "v2_haiti_style.csv", "v3_export_hxl.csv"):
        summary = import_reports(copy, (DATA / name).read_bytes())
        assert summary.imported == 0, name


@pytest.mark.django_db
def test_a_v3_file_goes_round_too(world, client_as, reviewer):
    import_reports(world, (DATA / "v3_two_surveys.csv").read_bytes())
    body = export(client_as(reviewer), world)
    assert import_reports(world, body).imported == 0
    copy = new_map(world, "copy")
    assert import_reports(copy, body).imported == 2
    assert snapshot(copy) == snapshot(world)


# --- Ids from different deployments -----------------------------------------------------------------


def v2_file(*rows: str, header: str = V2_HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


@pytest.mark.django_db
def test_ids_from_different_deployments_never_clash(world):
    haiti = v2_file('1,Bridge down,13/01/2010 10:40,Jacmel,Gone.,"Roads, ",18.23,-72.53,YES,NO')
    chile = v2_file('1,Fire in the port,27/02/2010 03:34,Talcahuano,Smoke.,"Fires, ",-36.72,-73.11,YES,NO')
    assert import_reports(world, haiti, source="https://Haiti.Ushahidi.com/").imported == 1
    assert import_reports(world, chile, source="chile.ushahidi.com").imported == 1
    assert set(Report.objects.filter(report_map=world).values_list("external_id", flat=True)) == {
        "v2:haiti.ushahidi.com:1",
        "v2:chile.ushahidi.com:1",
    }
    # The same deployment again: nothing new.
    assert import_reports(world, haiti, source="haiti.ushahidi.com").duplicates == 1
    assert clean_source(" HTTPS://Haiti.Ushahidi.com/ ") == "haiti.ushahidi.com"


# --- Time zones ---------------------------------------------------------------------------------------

ROW = '7,Well dry,13/01/2010 10:40,Kibera,No water.,"Water, ",-1.3133,36.7880,YES,NO'


@pytest.mark.django_db
def test_v2_dates_are_read_in_the_source_time_zone(report_map):
    import_reports(report_map, v2_file(ROW), time_zone="America/Port-au-Prince")
    assert Report.objects.get(report_map=report_map).event_at == datetime(2010, 1, 13, 15, 40, tzinfo=UTC)


@pytest.mark.django_db
def test_by_default_in_the_maps_time_zone(report_map):
    report_map.time_zone = "Africa/Nairobi"
    report_map.save(update_fields=["time_zone"])
    summary = import_reports(report_map, v2_file(ROW))
    assert Report.objects.get(report_map=report_map).event_at == datetime(2010, 1, 13, 7, 40, tzinfo=UTC)
    assert "Dates were read as local time in Africa/Nairobi." in summary.notes


@pytest.mark.django_db
def test_utc_dates_stay_utc_whatever_the_zone(world):
    import_reports(world, (DATA / "v3_two_surveys.csv").read_bytes(), time_zone="Asia/Tokyo")
    assert Report.objects.get(report_map=world, title="Blankets needed").event_at == datetime(
        2018, 6, 1, 6, 30, tzinfo=UTC
    )


@pytest.mark.django_db
def test_an_unknown_time_zone_is_a_clear_error(report_map):
    with pytest.raises(CsvFormatError, match="is not a time zone"):
        import_reports(report_map, v2_file(ROW), time_zone="Mars/Olympus")


# --- The map's area -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rows_outside_the_maps_area_are_kept_unpublished_with_a_reason(report_map):
    summary = import_reports(
        report_map,
        v2_file(
            ROW, '8,Building collapsed,13/01/2010 10:40,Delmas,Rubble.,"Water, ",18.5447,-72.3005,YES,NO'
        ),
    )
    assert summary.imported == 2
    statuses = dict(Report.objects.filter(report_map=report_map).values_list("title", "status"))
    assert statuses == {"Well dry": "published", "Building collapsed": "received"}
    warning = next(p for p in summary.problems if p.row == 3)
    assert warning.outcome == Outcome.WARNING
    assert "outside the map's area (50 km): kept unpublished" in warning.message
    assert "km from the map centre" in warning.message


def test_the_area_is_the_radius_set_or_follows_the_zoom():
    kibera = ReportMap(default_latitude=Decimal("-1.3"), default_longitude=Decimal("36.8"), default_zoom=13)
    assert kibera.area_km == 50.0
    country = ReportMap(default_latitude=Decimal("-1.3"), default_longitude=Decimal("36.8"), default_zoom=6)
    assert round(country.area_km) == 2505
    assert ReportMap(default_zoom=13).area_km is None  # still at 0, 0: not placed
    assert ReportMap(default_zoom=3, area_radius_km=10).area_km == 10


# --- Entities and source links ------------------------------------------------------------------------


def test_v2_entities_are_decoded_once():
    assert unescape_v2("AT&amp;T") == "AT&T"
    assert unescape_v2("Fish &amp;amp; chips") == "Fish & chips"
    assert unescape_v2("&quot;KNOW4DRR&quot; &#233;t&#xE9;") == '"KNOW4DRR" été'
    assert unescape_v2("R&D&copy stays, AT&T too") == "R&D&copy stays, AT&T too"
    assert unescape_v2("&amp;amp;amp;") == "&amp;"  # two layers at most


@pytest.mark.django_db
def test_news_links_become_source_links_shown_on_the_report_and_exported(report_map, client_as, reviewer):
    header = V2_HEADER + ",NEWS LINKS"
    row = (
        '1,AT&amp;T tower down,13/01/2010 10:40,Kibera,Fish &amp;amp; chips,"Water, ",-1.3133,36.7880,YES,NO,'
        '"http://a.example/x, see also https://b.example/y?q=1&amp;r=2"'
    )
    import_reports(report_map, v2_file(row, header=header))
    report = Report.objects.get(report_map=report_map)
    assert report.title == "AT&T tower down"
    assert report.description == "Fish & chips\n\nNews links: see also"
    assert [link.url for link in report.source_links.all()] == [
        "http://a.example/x",
        "https://b.example/y?q=1&r=2",
    ]
    html = client_as(None).get(report.get_absolute_url()).content.decode()
    assert '<a href="http://a.example/x" rel="nofollow noopener ugc">' in html
    assert '<a href="https://b.example/y?q=1&amp;r=2"' in html
    rows = list(csv.DictReader(io.StringIO(export(client_as(reviewer), report_map).decode("utf-8-sig"))))
    assert rows[0]["Source links"] == "http://a.example/x\nhttps://b.example/y?q=1&r=2"


@pytest.mark.django_db
def test_v3_source_urls_become_source_links(world):
    text = (
        "Post ID,Survey,Post Status,Created (UTC),Updated (UTC),Post Date (UTC),Title,Description,Source URL\n"
        "9,News,published,2019-01-01 10:00:00,2019-01-01 10:00:00,2019-01-01 09:00:00,"
        "Road open,The road is open.,https://twitter.example/status/1\n"
    )
    import_reports(world, text.encode())
    report = Report.objects.get(report_map=world)
    assert [link.url for link in report.source_links.all()] == ["https://twitter.example/status/1"]
    assert "Source URL" not in report.description


# --- Paused counting ----------------------------------------------------------------------------------

SUMMARIES = ("reports_cellcount", "reports_cellday", "reports_celltag", "reports_celltagday")


def summaries(report_map) -> dict[str, list]:
    """The map's rows in every cluster summary, with category ids as title paths."""
    _categories, path = paths_of(report_map)
    out = {}
    with connection.cursor() as cursor:
        for table in SUMMARIES:
            cursor.execute(f"SELECT * FROM {table} WHERE report_map_id = %s", [report_map.pk])  # noqa: S608
            names = [column[0] for column in cursor.description]
            rows = []
            for values in cursor.fetchall():
                row = dict(zip(names, values, strict=True))
                row.pop("id", None)
                row.pop("report_map_id")
                for key in ("category_id", "tag_id"):
                    if key in row:
                        row[key] = path(row[key]) if row[key] else ()
                # Coordinate sums are floating-point sums: added up in another order (one by one by the
                # triggers, all at once by the rebuild) they may differ in the last bits, so they are
                # kept apart from the exact part of the row and compared with a tolerance (same_summaries).
                sums = tuple(float(row.pop(key)) for key in ("sum_lat", "sum_lng"))
                rows.append((tuple(sorted(row.items())), sums))
            out[table] = sorted(rows)
    return out


def same_summaries(left: dict[str, list], right: dict[str, list]) -> bool:
    """Every row the same (cells, categories, counts) and every coordinate sum equal to 1e-9°."""
    if left.keys() != right.keys():
        return False
    for table, rows in left.items():
        others = right[table]
        if [exact for exact, _sums in rows] != [exact for exact, _sums in others]:
            return False
        for (_exact, sums), (_other, other_sums) in zip(rows, others, strict=True):
            if not all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9) for a, b in zip(sums, other_sums, strict=True)):
                return False
    return True


def generated_file(rows: int) -> bytes:
    rng = random.Random(12)
    names = ["1. Urgences | Emergency", "1a. Coincés | Trapped", "1b. Blessés | Injured", "2. Eau | Water"]
    lines = []
    for n in range(1, rows + 1):
        located = n % 7 != 0
        lines.append(
            [
                str(n),
                f"Report {n}",
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2010 {rng.randint(0, 23):02d}:15",
                "Kibera",
                "Text",
                "".join(f"{name}, " for name in rng.sample(names, rng.randint(0, 3))),
                f"{-1.3 + rng.uniform(-0.2, 0.2):.6f}" if located else "",
                f"{36.8 + rng.uniform(-0.2, 0.2):.6f}" if located else "",
                rng.choice(["YES", "NO"]),
                "NO",
            ]
        )
    buffer = io.StringIO()
    csv.writer(buffer).writerows([V2_HEADER.split(","), *lines])
    return buffer.getvalue().encode()


@pytest.mark.django_db(transaction=True)
def test_a_paused_import_leaves_the_summaries_the_triggers_would_have(report_map):
    data = generated_file(150)
    counted = new_map(report_map, "counted-by-triggers")
    paused = new_map(report_map, "paused-and-rebuilt")
    import_reports(counted, data, pause=False)
    import_reports(paused, data, pause=True)
    assert same_summaries(summaries(paused), summaries(counted))
    assert summaries(paused)["reports_celltag"]  # not trivially equal
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM reports_cellcount_paused")
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_reports_written_by_others_while_a_map_is_paused_are_counted_when_it_resumes(report_map):
    counted = new_map(report_map, "counted")
    paused = new_map(report_map, "paused")
    import_reports(counted, generated_file(30), pause=False)
    import_reports(paused, generated_file(30), pause=False)
    pause_counting(paused)
    pause_counting(paused)  # a rerun after a crash pauses again: harmless
    for target in (counted, paused):
        report = Report.objects.create(
            report_map=target, title="By SMS", latitude=Decimal("-1.31"), longitude=Decimal("36.79")
        )
        report.categories.set([Category.objects.get(report_map=target, title="Water")])
        Report.objects.filter(report_map=target, title="Report 1").update(status=Report.Status.ARCHIVED)
    assert not same_summaries(summaries(paused), summaries(counted))  # paused: not counted yet
    resume_counting(paused)
    assert same_summaries(summaries(paused), summaries(counted))


# --- Any input: a report, never a crash -------------------------------------------------------------

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.django_db
@FUZZ
@given(data=st.binary(max_size=3000))
def test_any_bytes_give_a_row_report_or_one_clear_error(report_map, data):
    try:
        summary = import_reports(report_map, data)
    except CsvFormatError as error:
        assert str(error)
    else:
        assert summary.accounted_for == summary.rows
        assert all(problem.message for problem in summary.problems)


@pytest.mark.django_db
@FUZZ
@given(
    rows=st.lists(
        st.lists(
            st.one_of(st.text(max_size=40), st.sampled_from(["13/01/2010 10:40", "-1.31", "YES", "&amp;"])),
            max_size=12,
        ),
        max_size=10,
    ),
    header=st.sampled_from(
        [
            V2_HEADER,
            "Post ID,Post Status,Post Date (UTC),Title,Description,Location.lat,Location.lon,Categories,Samen URL,Category tree,External ID,Source links",
        ]
    ),
)
def test_any_rows_under_a_real_header_are_each_accounted_for(report_map, rows, header):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header.split(","), *rows])
    summary = import_reports(report_map, buffer.getvalue().encode())
    assert summary.rows in (len(rows), len(rows) - 1)  # a first row of "#…" cells is HXL tags
    assert summary.accounted_for == summary.rows
    for problem in summary.problems:
        assert 2 <= problem.row <= len(rows) + 1 and problem.message


@pytest.mark.django_db
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.binary(max_size=1000) | st.just(v2_file(ROW, "")))
def test_the_web_import_answers_any_upload_without_a_server_error(
    client_as, people, report_map, django_capture_on_commit_callbacks, data
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_as(people["owner"])
    form = {"languages": "fr, en", "time_zone": "UTC", "file": SimpleUploadedFile("x.csv", data, "text/csv")}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:csv_import", args=[report_map.slug]), form)
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        page = client.get(response["Location"])
        assert page.status_code == 200
        html = page.content.decode()
        assert " imported</h1>" in html or "The import failed." in html
