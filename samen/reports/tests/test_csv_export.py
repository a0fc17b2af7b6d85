"""The CSV export: streamed, in v3 columns, private columns for reviewers only, and importable again."""

import csv
import io
import math
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samen.core.access import Role
from samen.reports import csv_export
from samen.reports.csv_export import COLUMNS, HXL_TAGS, stream_csv
from samen.reports.csv_import import import_reports
from samen.reports.models import Report, ReportMap

CONTACT = "+254712345678"


def url(report_map, **query):
    path = reverse("reports:csv_export", args=[report_map.slug])
    return path + ("?hxl=1" if query.get("hxl") else "")


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body, newline="")))


@pytest.fixture
def reports(make_report, categories):
    published = make_report(title="Tap broken", status=Report.Status.PUBLISHED, verified=True)
    published.categories.set([categories["urgent"], categories["broken"]])
    hidden = make_report(title="Unchecked rumour", status=Report.Status.RECEIVED)
    return {"published": published, "hidden": hidden}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("person", "sees_everything"),
    [
        ("coordinator", True),
        ("team", True),
        ("reviewer", True),
        ("member", False),
        ("outsider", False),
        ("anonymous", False),
    ],
)
def test_who_gets_what(client_as, map_people, report_map, reports, person, sees_everything):
    response = client_as(map_people[person]).get(url(report_map))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="kibera-water-reports-reports-')
    assert "no-store" in response["Cache-Control"]
    header, *rows = read_csv(response)
    assert header == COLUMNS
    by_title = {row[COLUMNS.index("Title")]: dict(zip(COLUMNS, row, strict=True)) for row in rows}
    assert ("Unchecked rumour" in by_title) == sees_everything
    tap = by_title["Tap broken"]
    assert tap["Post Status"] == "published" and tap["Verified"] == "YES"
    assert tap["Categories"] == "Emergency,Broken water point"
    if sees_everything:
        assert (
            tap["Contact"] == "'" + CONTACT
        )  # a phone number stays text in a spreadsheet (core.spreadsheet)
        assert "+254 712 345 678" in tap["Description"]
    else:
        assert tap["Contact"] == ""
        assert "712" not in tap["Description"] and "[removed]" in tap["Description"]


@pytest.mark.django_db
@pytest.mark.parametrize(("person", "status"), [("reviewer", 200), ("member", 404), ("anonymous", 404)])
def test_a_private_map_exports_only_to_its_reviewers(
    client_as, map_people, report_map, reports, person, status
):
    report_map.visibility = ReportMap.Visibility.PRIVATE
    report_map.save(update_fields=["visibility"])
    assert client_as(map_people[person]).get(url(report_map)).status_code == status
    assert (
        client_as(map_people[person])
        .get(reverse("reports:csv_export_page", args=[report_map.slug]))
        .status_code
        == status
    )


@pytest.mark.django_db
def test_merged_reports_are_left_out(client_as, map_people, report_map, reports, make_report):
    make_report(title="Merged copy", status=Report.Status.PUBLISHED, merged_into=reports["published"])
    titles = [
        row[COLUMNS.index("Title")]
        for row in read_csv(client_as(map_people["reviewer"]).get(url(report_map)))
    ]
    assert "Merged copy" not in titles


@pytest.mark.django_db
def test_the_hxl_row_comes_second_when_asked_for(client_as, map_people, report_map, reports):
    header, tags, *rows = read_csv(client_as(None).get(url(report_map, hxl=True)))
    assert tags == [HXL_TAGS[column] for column in COLUMNS]
    assert tags[COLUMNS.index("Location.lat")] == "#geo +lat"
    assert len(rows) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["reviewer", "anonymous"])
def test_the_export_page_says_what_the_file_holds(client_as, map_people, report_map, person):
    response = client_as(map_people[person]).get(reverse("reports:csv_export_page", args=[report_map.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_hxl">' in html
    assert ("with the reporters’ contacts" in html) == (person == "reviewer")


def _make_many(report_map, count):
    reports = []
    for n in range(count):
        report = Report(
            report_map=report_map,
            title=f"Report {n}",
            description="Text",
            status=Report.Status.PUBLISHED,
            latitude=Decimal("-1.3"),
            longitude=Decimal("36.7"),
        )
        report.prepare()
        reports.append(report)
    Report.objects.bulk_create(reports)
    return [report.pk for report in reports]


@pytest.mark.django_db
def test_queries_grow_with_chunks_not_rows(report_map, categories, monkeypatch):
    monkeypatch.setattr(csv_export, "CHUNK_SIZE", 10)

    def queries_for(count):
        Report.objects.all().delete()
        pks = _make_many(report_map, count)
        through = Report.categories.through
        through.objects.bulk_create(through(report_id=pk, category_id=categories["urgent"].pk) for pk in pks)
        with CaptureQueriesContext(connection) as captured:
            lines = sum(chunk.count(b"\n") for chunk in stream_csv(report_map, Role.TEAM))
        assert lines == count + 1
        return len(captured)

    small, large = queries_for(30), queries_for(95)
    # One query for the reports and one for the map's categories; then per chunk of 10, one
    # prefetch of the reports' categories and one query for their source links.
    assert large - small == 2 * (math.ceil(95 / 10) - math.ceil(30 / 10))
    assert large <= 2 + 2 * math.ceil(95 / 10)


@pytest.mark.django_db
def test_memory_stays_flat_as_the_export_grows(report_map, monkeypatch):
    monkeypatch.setattr(csv_export, "CHUNK_SIZE", 50)

    def peak_for(count):
        Report.objects.all().delete()
        _make_many(report_map, count)
        tracemalloc.start()
        chunks = 0
        for _chunk in stream_csv(report_map, Role.TEAM):
            chunks += 1
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert chunks > count // 50  # the file arrives in pieces, not at once
        return peak

    small, large = peak_for(200), peak_for(2000)
    # Ten times the rows; a file built in memory would need about ten times the memory.
    assert large < small * 2


@pytest.mark.django_db
def test_an_export_imports_again_as_the_same_reports(
    client_as, map_people, report_map, categories, make_report
):
    originals = [
        make_report(
            title="Tap broken",
            description="Broken since Monday. Call +254 712 345 678.",
            status=Report.Status.PUBLISHED,
            verified=True,
            place_name="Olympic primary school",
            location_precision=Report.Precision.NEAR,
            event_at=datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
        ),
        make_report(
            title="Sewage in the well",
            description="The well smells.",
            status=Report.Status.IN_REVIEW,
            reporter_contact="amina@example.org",
            event_at=datetime(2024, 5, 2, 17, 5, 12, tzinfo=UTC),
        ),
        make_report(
            title="Unlocated",
            description="Somewhere near the river.",
            latitude=None,
            longitude=None,
            status=Report.Status.ARCHIVED,
            event_at=datetime(2024, 5, 3, 8, 0, tzinfo=UTC),
        ),
    ]
    originals[0].categories.set([categories["urgent"], categories["unsafe"]])
    originals[0].primary_category = categories["urgent"]
    originals[0].save(update_fields=["primary_category"])
    body = b"".join(client_as(map_people["reviewer"]).get(url(report_map, hxl=True)).streaming_content)

    copy = ReportMap.objects.create(
        initiative=report_map.initiative, slug="copy", title="Copy", channels=["import"]
    )
    summary = import_reports(copy, body, filename="export.csv")
    assert (summary.rows, summary.imported, summary.rejected, summary.warnings) == (3, 3, 0, 0)

    fields = [
        "title",
        "description",
        "public_description",
        "event_at",
        "status",
        "verified",
        "reporter_contact",
        "latitude",
        "longitude",
        "place_name",
        "location_precision",
        "h3_r9",
    ]
    for original in originals:
        imported = Report.objects.get(
            report_map=copy,
            external_id=f"samen:{settings.SITE_URL}/maps/{report_map.slug}/reports/{original.pk}/",
        )
        original.refresh_from_db()
        assert {f: getattr(imported, f) for f in fields} == {f: getattr(original, f) for f in fields}
        assert sorted(imported.categories.values_list("title", flat=True)) == sorted(
            original.categories.values_list("title", flat=True)
        )
    assert Report.objects.get(report_map=copy, title="Tap broken").primary_category.title == "Emergency"
    # Importing the same export again adds nothing.
    assert import_reports(copy, body).imported == 0


@pytest.mark.django_db
def test_formulas_are_neutralised_numbers_stay_numbers_and_the_import_gives_back_every_text(
    client_as, reviewer, report_map
):
    """OWASP CSV injection: a title, contact or place that a spreadsheet would run comes out as text."""
    texts = {
        "title": '=HYPERLINK("http://evil.example","Click")',
        "description": "-1 litres left\n@SUM(1+1)",
        "place_name": "@SUM(A1:A9)",
        "reporter_contact": "+509 3639 2029",
    }
    formula = Report.objects.create(
        report_map=report_map,
        status=Report.Status.PUBLISHED,
        latitude=Decimal("-18.543210"),
        longitude=Decimal("-72.338000"),
        event_at=datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
        **texts,
    )
    quoted = Report.objects.create(
        report_map=report_map, title="'=1+1 typed with its quote", event_at=datetime(2024, 5, 2, tzinfo=UTC)
    )
    response = client_as(reviewer).get(url(report_map))
    body = b"".join(response.streaming_content)
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    cells = by_id[str(formula.pk)]
    assert cells["Title"] == "'" + texts["title"]
    assert cells["Place"] == "'@SUM(A1:A9)"
    assert cells["Contact"] == "'+509 3639 2029"  # still reads as the phone number
    assert cells["Description"] == "'-1 litres left\n@SUM(1+1)"
    # Numeric columns are numbers, negative ones too.
    assert (cells["Location.lat"], cells["Location.lon"]) == ("-18.543210", "-72.338000")
    assert by_id[str(quoted.pk)]["Title"] == "''=1+1 typed with its quote"

    copy = ReportMap.objects.create(
        initiative=report_map.initiative, slug="copy", title="Copy", channels=["import"]
    )
    copy.area_radius_km = 20_100
    copy.save(update_fields=["area_radius_km"])
    summary = import_reports(copy, body, filename="export.csv")
    assert summary.imported == 2, summary.problems
    back = Report.objects.get(report_map=copy, event_at=formula.event_at)
    assert {name: getattr(back, name) for name in texts} == texts
    assert (back.latitude, back.longitude) == (formula.latitude, formula.longitude)
    assert Report.objects.get(report_map=copy, event_at=quoted.event_at).title == quoted.title
