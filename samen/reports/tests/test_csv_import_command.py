"""manage.py import_reports <map-slug> <file>: a progress bar, a summary, and clear failures."""

import shutil
from contextlib import redirect_stderr
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from samen.reports.models import Report

DATA = Path(__file__).parent / "data"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_reports", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _whole_world(report_map):
    # The files' reports are far from the Kenyan test map; the area check has its own tests.
    report_map.area_radius_km = 20_100
    report_map.save(update_fields=["area_radius_km"])


@pytest.mark.django_db
def test_it_imports_with_a_progress_bar_and_prints_a_summary(report_map):
    out, err = run(report_map.slug, str(DATA / "v2_haiti_style.csv"))
    assert Report.objects.filter(report_map=report_map).count() == 6
    assert "Importing" in err and "9/9" in err and "100%" in err
    assert "read as Ushahidi v2 (UTF-8)" in out
    assert "row 5: rejected: The date “31/02/2010 09:00” cannot be read" in out
    assert "row 9: skipped: The same report as row 2 of this file." in out
    assert "row 6: warning: Latitude “118.540000”" in out
    assert "New categories: Emergency, Trapped people" in out
    assert (
        "Imported 6, skipped 1 duplicates and 1 empty rows, rejected 1, of 9 rows (3 imported with a warning)."
        in out
    )


@pytest.mark.django_db
def test_running_it_twice_imports_nothing_the_second_time(report_map):
    run(report_map.slug, str(DATA / "RNI_Download_20151007_original_v2_export.csv"))
    out, _err = run(report_map.slug, str(DATA / "RNI_Download_20151007_original_v2_export.csv"))
    assert "Imported 0, skipped 29 duplicates" in out
    assert Report.objects.filter(report_map=report_map).count() == 29


@pytest.mark.django_db
def test_the_category_languages_can_be_given(report_map, tmp_path):
    path = tmp_path / "ht.csv"
    path.write_text(
        "#,INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE,APPROVED,VERIFIED\n"
        '1,Need water,13/01/2010 10:40,Carrefour,No water.,"Dlo | Water, ",,,YES,NO\n'
    )
    run(report_map.slug, str(path), "--languages", "ht,en")
    assert Report.objects.get().primary_category.translations == {"ht": "Dlo"}


@pytest.mark.django_db
def test_an_unknown_map_is_an_error(report_map):
    with pytest.raises(CommandError, match="no report map with the web address “nowhere”"):
        run("nowhere", str(DATA / "v2_haiti_style.csv"))


@pytest.mark.django_db
def test_a_missing_file_is_an_error(report_map, tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*missing.csv: No such file or directory"):
        run(report_map.slug, str(tmp_path / "missing.csv"))


@pytest.mark.django_db
def test_a_file_that_is_not_an_export_is_an_error(report_map, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("name,email\nAmina,amina@example.org\n")
    with pytest.raises(CommandError, match="not an Ushahidi export"):
        run(report_map.slug, str(path))
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_it_exits_non_zero_from_the_shell(report_map, tmp_path):
    """call_command raises; manage.py turns that into exit status 1 with the message on stderr."""
    err = StringIO()
    utility = ManagementUtility(["manage.py", "import_reports", "nowhere", str(tmp_path / "x.csv")])
    with pytest.raises(SystemExit) as exit_info, redirect_stderr(err):
        utility.execute()
    assert exit_info.value.code == 1
    assert "no report map" in err.getvalue()


@pytest.mark.django_db
def test_a_copy_with_another_name_is_still_the_same_file(report_map, tmp_path):
    copy = tmp_path / "renamed.csv"
    shutil.copy(DATA / "v3_export_hxl.csv", copy)
    run(report_map.slug, str(DATA / "v3_export_hxl.csv"))
    out, _err = run(report_map.slug, str(copy))
    assert "Imported 0, skipped 4 duplicates" in out


@pytest.mark.django_db
def test_the_time_zone_and_source_deployment_can_be_given(report_map):
    run(
        report_map.slug,
        str(DATA / "v2_haiti_style.csv"),
        "--time-zone",
        "America/Port-au-Prince",
        "--source",
        "haiti.ushahidi.com",
    )
    report = Report.objects.get(report_map=report_map, external_id="v2:haiti.ushahidi.com:101")
    assert report.event_at == datetime(2010, 1, 13, 15, 40, tzinfo=UTC)


@pytest.mark.django_db
def test_an_unknown_time_zone_is_an_error(report_map):
    with pytest.raises(CommandError, match="is not a time zone"):
        run(report_map.slug, str(DATA / "v2_haiti_style.csv"), "--time-zone", "Mars/Olympus")
