"""The importer reads every Ushahidi variant in design.md, and accounts for every row.

Fixture files are in tests/data (see its README); smaller cases are written inline.
"""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from samen.reports import csv_import
from samen.reports.csv_import import CsvFormatError, Outcome, import_reports
from samen.reports.models import Category, Report, ReportChange

DATA = Path(__file__).parent / "data"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def local(*parts) -> datetime:
    return timezone.make_aware(datetime(*parts), timezone.get_current_timezone())


@pytest.fixture(autouse=True)
def _whole_world(report_map):
    # These files hold reports from Haiti, Kenya and Guatemala: the area check has its own tests.
    report_map.area_radius_km = 20_100
    report_map.save(update_fields=["area_radius_km"])


def problems(summary, outcome):
    return {problem.row: problem.message for problem in summary.problems if problem.outcome == outcome}


@pytest.mark.django_db
class TestV2WithBadRows:
    """v2_haiti_style.csv: 9 data rows (rows 2-10): 6 good or partly good, 1 bad date, 1 empty, 1 repeat."""

    @pytest.fixture
    def summary(self, report_map):
        return import_reports(report_map, read("v2_haiti_style.csv"), filename="v2_haiti_style.csv")

    def test_every_row_is_accounted_for(self, summary):
        assert summary.format == "Ushahidi v2"
        assert summary.rows == 9
        assert (summary.imported, summary.duplicates, summary.rejected, summary.empty) == (6, 1, 1, 1)
        assert summary.accounted_for == summary.rows

    def test_a_bad_date_rejects_only_its_row(self, summary, report_map):
        rejected = problems(summary, Outcome.REJECTED)
        assert list(rejected) == [5]
        assert "31/02/2010 09:00" in rejected[5]
        assert not Report.objects.filter(report_map=report_map, title="Hospital needs fuel").exists()

    def test_bad_coordinates_keep_the_report_without_a_location(self, summary, report_map):
        warnings = problems(summary, Outcome.WARNING)
        assert "between -90 and 90" in warnings[6]  # latitude 118.54
        assert "“abc”" in warnings[7]
        assert "both 0" in warnings[10]
        for title in ("Shelter open", "Food distribution", "Medical team arrived"):
            report = Report.objects.get(report_map=report_map, title=title)
            assert report.latitude is None and report.longitude is None and report.h3_r9 is None

    def test_the_repeated_row_and_the_empty_row_are_reported(self, summary):
        assert problems(summary, Outcome.DUPLICATE) == {9: "The same report as row 2 of this file."}
        assert list(problems(summary, Outcome.EMPTY)) == [8]

    def test_fields_are_mapped(self, summary, report_map):
        report = Report.objects.get(report_map=report_map, external_id="v2:101")
        assert report.source == Report.Source.IMPORT
        assert report.event_at == local(2010, 1, 13, 10, 40)
        assert report.place_name == "Delmas 33, Port-au-Prince"
        assert (report.latitude, report.longitude) == (Decimal("18.544700"), Decimal("-72.300500"))
        assert report.status == Report.Status.PUBLISHED and report.published_at is not None
        assert report.verified is True
        assert report.h3_r9 is not None
        # The public text is scrubbed; the original is kept for reviewers.
        assert "3456 7890" in report.description and "3456 7890" not in report.public_description

    def test_approved_and_verified_flags(self, summary, report_map):
        unapproved = Report.objects.get(report_map=report_map, external_id="v2:103")
        assert unapproved.status == Report.Status.RECEIVED and unapproved.published_at is None
        assert Report.objects.get(report_map=report_map, external_id="v2:102").verified is False

    def test_bilingual_numbered_categories_nest_and_keep_both_names(self, summary, report_map):
        emergency = Category.objects.get(report_map=report_map, title="Emergency")
        assert emergency.translations == {"fr": "Urgences"}
        assert emergency.parent is None and emergency.position == 1
        trapped = Category.objects.get(report_map=report_map, title="Trapped people")
        assert trapped.parent == emergency and trapped.translations == {"fr": "Personnes coincées"}
        water = Category.objects.get(report_map=report_map, title="Water shortage")
        assert water.parent.title == "Vital lines" and water.translations == {"fr": "Pénurie d'eau"}
        report = Report.objects.get(report_map=report_map, external_id="v2:101")
        assert report.primary_category == emergency
        assert set(report.categories.values_list("title", flat=True)) == {"Emergency", "Trapped people"}
        assert set(summary.categories_created) == {
            "Emergency",
            "Trapped people",
            "Vital lines",
            "Water shortage",
            "Services available",
        }

    def test_each_import_is_in_the_audit_log(self, summary, report_map):
        report = Report.objects.get(report_map=report_map, external_id="v2:102")
        change = ReportChange.objects.get(report=report)
        assert change.action == "imported"
        assert change.changes["row"] == [None, "3"] and change.changes["original_id"] == [None, "102"]

    def test_importing_again_creates_nothing(self, summary, report_map):
        again = import_reports(report_map, read("v2_haiti_style.csv"))
        assert (again.imported, again.duplicates, again.rejected, again.empty) == (0, 7, 1, 1)
        assert Report.objects.filter(report_map=report_map).count() == 6
        assert Category.objects.filter(report_map=report_map).count() == 5


@pytest.mark.django_db
def test_existing_categories_are_reused_and_get_missing_names(report_map, categories):
    csv = (
        b"#,INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE,APPROVED,VERIFIED\r\n"
        b'1,Tap broken,13/01/2010 10:40,School,The tap is broken.,"1. Urgences | Emergency, Unsafe water, ",,,YES,NO\r\n'
    )
    summary = import_reports(report_map, csv)
    assert summary.imported == 1 and summary.categories_created == []
    report = Report.objects.get(report_map=report_map)
    assert set(report.categories.all()) == {categories["urgent"], categories["unsafe"]}
    categories["urgent"].refresh_from_db()
    # The coordinator's names stay; nothing was missing from them.
    assert categories["urgent"].translations == {"fr": "Urgences", "nl": "Noodgeval"}


@pytest.mark.django_db
def test_the_category_languages_can_be_given(report_map):
    csv = (
        b"#,INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE,APPROVED,VERIFIED\n"
        b'1,Tap broken,13/01/2010 10:40,School,The tap is broken.,"Emergency | Ijans, ",,,YES,NO\n'
    )
    import_reports(report_map, csv, languages=["en", "ht"])
    category = Category.objects.get(report_map=report_map)
    assert (category.title, category.translations) == ("Emergency", {"ht": "Ijans"})


@pytest.mark.django_db
class TestV2SerialFormAndPrecision:
    @pytest.fixture
    def summary(self, report_map):
        return import_reports(report_map, read("v2_serial_precision.csv"))

    def test_all_rows_import(self, summary):
        assert (summary.rows, summary.imported, summary.rejected) == (3, 3, 0)

    def test_ambiguous_two_digit_year_dates_are_month_first(self, summary, report_map):
        assert Report.objects.get(report_map=report_map, external_id="v2:2001").event_at == local(
            2015, 3, 4, 14, 30
        )
        assert Report.objects.get(report_map=report_map, external_id="v2:2002").event_at == local(
            2015, 3, 5, 9, 5
        )
        assert any("month/day/year" in note and "two-digit" in note for note in summary.notes)

    def test_precision_codes_and_news_links(self, summary, report_map):
        market = Report.objects.get(report_map=report_map, external_id="v2:2001")
        assert market.location_precision == Report.Precision.NEAR
        assert market.description == "Water up to the knees in the market."
        assert [link.url for link in market.source_links.all()] == ["http://example.org/news/flood"]
        bridge = Report.objects.get(report_map=report_map, external_id="v2:2002")
        assert bridge.location_precision == Report.Precision.EXACT
        assert "News links" not in bridge.description and not bridge.source_links.exists()
        cholera = Report.objects.get(report_map=report_map, external_id="v2:2003")
        assert cholera.location_precision == Report.Precision.PLACE
        assert [link.url for link in cholera.source_links.all()] == [
            "http://example.org/a",
            "http://example.org/b",
        ]

    def test_serial_and_form_are_kept_in_the_audit_log(self, summary, report_map):
        change = ReportChange.objects.get(report__external_id="v2:2003")
        assert change.changes["serial"] == [None, "3"] and change.changes["form"] == [None, "2"]


@pytest.mark.django_db
def test_ambiguous_four_digit_year_dates_are_day_first(report_map):
    csv = (
        b"#,INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE,APPROVED,VERIFIED\n"
        b"1,One,03/04/2015 14:30,,Text.,,,,YES,NO\n"
        b"2,Two,05/06/2015 08:00,,Text.,,,,YES,NO\n"
    )
    summary = import_reports(report_map, csv)
    assert Report.objects.get(external_id="v2:1").event_at == local(2015, 4, 3, 14, 30)
    assert any("day/month/year" in note for note in summary.notes)


@pytest.mark.django_db
def test_one_unambiguous_date_decides_the_order_for_the_whole_file(report_map):
    csv = (
        b"#,INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE,APPROVED,VERIFIED\n"
        b"1,One,03/04/15 14:30,,Text.,,,,YES,NO\n"
        b"2,Two,25/04/15 08:00,,Text.,,,,YES,NO\n"
    )
    summary = import_reports(report_map, csv)
    assert Report.objects.get(external_id="v2:1").event_at == local(2015, 4, 3, 14, 30)
    assert any("“25/04/15 08:00” can only be read that way" in note for note in summary.notes)


@pytest.mark.django_db
class TestV3WithHxl:
    """v3_export_hxl.csv: header, HXL row, then posts 51-55 on rows 3-7."""

    @pytest.fixture
    def summary(self, report_map, categories):
        return import_reports(report_map, read("v3_export_hxl.csv"))

    def test_the_hxl_row_is_not_a_report(self, summary):
        assert summary.format == "Ushahidi v3"
        assert summary.rows == 5
        assert (summary.imported, summary.rejected) == (4, 1)
        assert any("HXL" in note for note in summary.notes)

    def test_posts_are_mapped(self, summary, report_map, categories):
        well = Report.objects.get(report_map=report_map, external_id="v3:51")
        assert well.title == "Well contaminated"
        assert well.event_at == datetime(2017, 3, 1, 9, 45, tzinfo=UTC)
        assert (well.latitude, well.longitude) == (Decimal("-1.312000"), Decimal("36.789000"))
        assert well.reporter_contact == "+254711000001"
        assert well.status == Report.Status.PUBLISHED
        assert set(well.categories.all()) == {categories["unsafe"], categories["urgent"]}
        assert well.primary_category == categories["unsafe"]
        assert well.description.endswith("People affected: 40")
        assert Report.objects.get(external_id="v3:52").status == Report.Status.IN_REVIEW
        assert Report.objects.get(external_id="v3:52").primary_category == categories["broken"]

    def test_an_unstructured_post_takes_its_title_from_its_text(self, summary, report_map):
        sms = Report.objects.get(report_map=report_map, external_id="v3:53")
        assert sms.title == "No water in Gatwekera since Monday, please help"
        assert sms.status == Report.Status.ARCHIVED
        assert sms.reporter_contact == "amina@example.org"
        change = ReportChange.objects.get(report=sms)
        assert change.changes["original_source"] == [None, "email"]

    def test_bad_rows_are_reported_by_row_number(self, summary, report_map):
        assert "“not a date”" in problems(summary, Outcome.REJECTED)[6]
        assert "-95.000000" in problems(summary, Outcome.WARNING)[7]
        assert Report.objects.get(report_map=report_map, external_id="v3:55").latitude is None


@pytest.mark.django_db
def test_v3_with_two_surveys_reads_each_rows_own_columns(report_map):
    summary = import_reports(report_map, read("v3_two_surveys.csv"))
    assert (summary.rows, summary.imported) == (2, 2)
    blankets = Report.objects.get(external_id="v3:301")
    assert (blankets.title, blankets.latitude) == ("Blankets needed", Decimal("14.600000"))
    roof = Report.objects.get(external_id="v3:302")
    assert roof.title == "School roof gone"
    assert (roof.latitude, roof.longitude) == (Decimal("14.610000"), Decimal("-90.530000"))
    assert roof.description == "The roof of the school fell in.\n\nDamage level: severe"


@pytest.mark.django_db
def test_a_windows_1252_file_with_a_utf8_quote_inside_is_read(report_map):
    # "Café" written in Windows-1252, with "’" pasted in as UTF-8 bytes: what spreadsheets leave behind.
    data = (
        b"#,INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE,APPROVED,VERIFIED\r\n"
        + "1,Café closed,13/01/2010 10:40,Rue Capois,".encode("cp1252")
        + "It’s shut.".encode()
        + b",,,,YES,NO\r\n"
    )
    summary = import_reports(report_map, data)
    report = Report.objects.get(report_map=report_map)
    assert (report.title, report.description) == ("Café closed", "It’s shut.")
    assert summary.encoding == "Windows-1252"
    assert any("1 garbled" in note for note in summary.notes)


@pytest.mark.django_db
def test_a_utf8_file_with_a_bom_and_plain_accents_is_left_as_it_is(report_map):
    text = (
        "#,INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE,APPROVED,VERIFIED\n"
    )
    text += "1,Größe Straße,13/01/2010 10:40,Zürich,Ça va. Ñandú.,,,,YES,NO\n"
    summary = import_reports(report_map, "\ufeff".encode() + text.encode())
    report = Report.objects.get(report_map=report_map)
    assert (report.title, report.place_name, report.description) == (
        "Größe Straße",
        "Zürich",
        "Ça va. Ñandú.",
    )
    assert summary.encoding == "UTF-8"
    assert not any("garbled" in note or "decoded" in note for note in summary.notes)


@pytest.mark.django_db
def test_rows_without_an_id_are_recognised_on_a_second_import(report_map):
    csv = (
        b"INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE\n"
        b"Tap broken,7/13/15 12:12,School,The tap is broken.,,-1.3,36.7\n"
        b"Tap broken,7/13/15 12:12,Market,Another tap at another place.,,-1.4,36.8\n"
    )
    first = import_reports(report_map, csv)
    second = import_reports(report_map, csv)
    assert (first.imported, second.imported, second.duplicates) == (2, 0, 2)
    assert any("no APPROVED column" in note for note in first.notes)
    assert set(Report.objects.values_list("status", flat=True)) == {Report.Status.RECEIVED}


@pytest.mark.django_db
def test_a_row_without_title_or_text_is_rejected(report_map):
    csv = (
        b"#,INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE,APPROVED,VERIFIED\n"
        b"1,,13/01/2010 10:40,Somewhere,,,,,YES,NO\n"
        b"2,Fine,,Somewhere,,,,,YES,NO\n"
    )
    summary = import_reports(report_map, csv)
    assert summary.rejected == 2
    assert problems(summary, Outcome.REJECTED) == {
        2: "The row has neither a title nor a description.",
        3: "The row has no date.",
    }


@pytest.mark.django_db
def test_a_long_title_is_shortened_and_kept_whole_in_the_description(report_map):
    title = "Water " * 50
    csv = (
        "#,INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE,APPROVED,VERIFIED\n"
        f"1,{title},13/01/2010 10:40,Somewhere,Text.,,,,YES,NO\n"
    ).encode()
    summary = import_reports(report_map, csv)
    report = Report.objects.get(report_map=report_map)
    assert len(report.title) == 200
    assert report.description.startswith(title.strip())
    assert summary.warnings == 1


@pytest.mark.parametrize(
    "data",
    [b"", b"name,email\nAmina,amina@example.org\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"],
    ids=["empty", "another CSV", "an image"],
)
@pytest.mark.django_db
def test_a_file_that_is_not_an_ushahidi_export_is_refused(report_map, data):
    with pytest.raises(CsvFormatError):
        import_reports(report_map, data)
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_rows_another_import_stored_meanwhile_are_counted_not_doubled(report_map, monkeypatch):
    """Two imports of one file at once: the unique constraint stops the second, which looks again."""
    import_reports(report_map, read("v3_two_surveys.csv"))
    real = csv_import._already_imported
    looks = []

    def stale_first_look(*args):
        looks.append(args)
        return set() if len(looks) == 1 else real(*args)

    monkeypatch.setattr(csv_import, "_already_imported", stale_first_look)
    summary = import_reports(report_map, read("v3_two_surveys.csv"))
    assert len(looks) == 2
    assert (summary.imported, summary.duplicates) == (0, 2)
    assert Report.objects.filter(report_map=report_map).count() == 2
