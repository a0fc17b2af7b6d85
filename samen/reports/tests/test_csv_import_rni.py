"""Both real RNI exports (tests/data/README.md) import with every row accounted for.

The counts come from reading the files: the 2015 export has 29 reports and no row id; the 2016 export
has 35, of which 28 are reports already in the 2015 file (same title, date and coordinates) and 7 are
new: five from after October 2015, "Finalizing Activity calendar with Hysteria" (21 Feb 2015), and
"KNOW4DRR workshop", which the 2015 file calls "&quot;KNOW4DRR&quot; workshop".
"""

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from samen.reports.csv_import import import_reports
from samen.reports.models import Category, Report

DATA = Path(__file__).parent / "data"
V2_2015 = "RNI_Download_20151007_original_v2_export.csv"
V2_2016 = "RNI_download_20160811.csv"


@pytest.fixture(autouse=True)
def _whole_world(report_map):
    # The files' reports are far from the Kenyan test map; the area check has its own tests.
    report_map.area_radius_km = 20_100
    report_map.save(update_fields=["area_radius_km"])


def import_file(report_map, name):
    return import_reports(report_map, (DATA / name).read_bytes(), filename=name)


@pytest.mark.django_db
class TestThe2015Export:
    @pytest.fixture
    def summary(self, report_map):
        return import_file(report_map, V2_2015)

    def test_every_row_is_imported(self, summary, report_map):
        assert (summary.rows, summary.imported, summary.duplicates, summary.rejected, summary.empty) == (
            29,
            29,
            0,
            0,
            0,
        )
        assert Report.objects.filter(report_map=report_map).count() == 29

    def test_the_mac_encoding_is_detected_and_every_garbled_quote_repaired(self, summary, report_map):
        assert summary.encoding == "Mac OS Roman"
        # 23 × ’, 5 × “, 5 × ”, 2 × é, 2 × – and 1 × ‘, counted in the raw bytes.
        assert any("38 garbled" in note for note in summary.notes)
        assert not any("could not be decoded" in note for note in summary.notes)
        milan = Report.objects.get(
            report_map=report_map, title="Ushahidi Training with Politecnico di Milano"
        )
        assert "Working with Ushahidi’s User Advocacy group" in milan.description
        know = Report.objects.get(report_map=report_map, title="KNOW4DRR")
        assert know.place_name == "Université Savoie Mont Blanc, Chambéry, France"
        assert "“Digital Volunteers" in know.description
        texts = "".join(Report.objects.values_list("description", flat=True))
        for garbled in ("‰Û", "â€", "Ì©"):
            assert garbled not in texts

    def test_cr_line_ends_split_rows_and_line_breaks_inside_text_are_kept(self, summary, report_map):
        milan = Report.objects.get(
            report_map=report_map, title="Ushahidi Training with Politecnico di Milano"
        )
        assert "\n\n- GeoBeyond, who provide geospatial services" in milan.description
        assert "\r" not in "".join(Report.objects.values_list("description", flat=True))

    def test_fields_dates_and_flags(self, summary, report_map):
        milan = Report.objects.get(
            report_map=report_map, title="Ushahidi Training with Politecnico di Milano"
        )
        assert milan.event_at == timezone.make_aware(
            datetime(2015, 7, 13, 12, 12), timezone.get_current_timezone()
        )
        assert (milan.latitude, milan.longitude) == (Decimal("45.477752"), Decimal("9.228521"))
        assert milan.place_name == "Milan, Lombardy, Italy"
        assert milan.status == Report.Status.PUBLISHED and milan.verified
        assert milan.primary_category.title == "RNI Activities"
        assert Report.objects.get(report_map=report_map, title='"KNOW4DRR" workshop')
        assert any("month/day/year" in note for note in summary.notes)

    def test_importing_it_again_adds_nothing(self, summary, report_map):
        again = import_file(report_map, V2_2015)
        assert (again.imported, again.duplicates) == (0, 29)
        assert Report.objects.filter(report_map=report_map).count() == 29
        assert Category.objects.filter(report_map=report_map).count() == 1


@pytest.mark.django_db
class TestThe2016Export:
    @pytest.fixture
    def summary(self, report_map):
        return import_file(report_map, V2_2016)

    def test_every_row_is_imported_for_review(self, summary, report_map):
        assert (summary.rows, summary.imported, summary.duplicates, summary.rejected, summary.empty) == (
            35,
            35,
            0,
            0,
            0,
        )
        # No APPROVED column: the reports wait for a reviewer.
        assert set(Report.objects.filter(report_map=report_map).values_list("status", flat=True)) == {
            "received"
        }

    def test_twice_garbled_quotes_are_repaired(self, summary, report_map):
        assert summary.encoding == "UTF-8"
        assert any("2 garbled" in note for note in summary.notes)
        osm = Report.objects.get(report_map=report_map, description__contains="State of the Map U.S.")
        assert "the annual “State of the Map U.S.” conference" in osm.description

    def test_precision_codes_are_read(self, summary, report_map):
        precisions = dict(Report.objects.values_list("title", "location_precision"))
        assert precisions["CrisisNET working meeting"] == Report.Precision.NEAR  # code 8: estimated
        assert precisions["RNI Begins in Boulder!"] == Report.Precision.PLACE  # code 3
        assert precisions["Stakeholder Meetings in Boulder"] == Report.Precision.NEAR  # code 2
        assert precisions["Meeting with Rockefeller Foundation"] == Report.Precision.EXACT  # code 1


@pytest.mark.django_db
def test_the_later_export_adds_only_the_reports_the_first_did_not_have(report_map):
    import_file(report_map, V2_2015)
    later = import_file(report_map, V2_2016)
    assert (later.rows, later.imported, later.duplicates, later.rejected) == (35, 7, 28, 0)
    assert later.accounted_for == later.rows
    assert Report.objects.filter(report_map=report_map).count() == 29 + 7
    new = set(Report.objects.filter(report_map=report_map, status="received").values_list("title", flat=True))
    assert new == {
        "Understanding Risk Boulder & Tech Challenge Wraps Up",
        "Understanding Risk Boulder launches at the National Center for Atmospheric Research",
        "Peta Kota Launches Ushahidi Deployment & Indonesian Language Manual",
        "Peta Kota Wraps Up OSM Mapping in Prep for Ushahidi Launch!",
        "Stakeholder Meetings in Boulder",
        "Finalizing Activity calendar with Hysteria",
        "KNOW4DRR workshop",
    }
