"""The import page: coordinators upload a CSV and see what happened to every row."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from samen.reports.models import Report, ReportMap
from samen.reports.views import csvio

DATA = Path(__file__).parent / "data"


def url(report_map):
    return reverse("reports:csv_import", args=[report_map.slug])


def upload(name="v2_haiti_style.csv", content=None):
    return SimpleUploadedFile(
        name, content if content is not None else (DATA / name).read_bytes(), "text/csv"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("coordinator", 200),
        ("team", 200),
        ("reviewer", 403),
        ("member", 403),
        ("outsider", 403),
        ("anonymous", 302),
    ],
)
def test_only_coordinators_may_import(client_as, map_people, report_map, person, status):
    client = client_as(map_people[person])
    assert client.get(url(report_map)).status_code == status
    response = client.post(url(report_map), {"file": upload(), "languages": "fr, en"})
    assert response.status_code == status
    assert Report.objects.filter(report_map=report_map).exists() == (status == 200)


@pytest.mark.django_db
@pytest.mark.parametrize(("person", "status"), [("coordinator", 200), ("outsider", 404), ("anonymous", 302)])
def test_a_private_map_is_not_even_revealed(client_as, map_people, report_map, person, status):
    report_map.visibility = ReportMap.Visibility.PRIVATE
    report_map.save(update_fields=["visibility"])
    assert client_as(map_people[person]).get(url(report_map)).status_code == status


@pytest.mark.django_db
def test_the_page_is_gone_while_the_import_channel_is_off(client_as, people, report_map):
    report_map.channels = ["web", "sms"]
    report_map.save(update_fields=["channels"])
    assert client_as(people["owner"]).get(url(report_map)).status_code == 404


@pytest.mark.django_db
def test_the_form_has_labelled_fields(client_as, people, report_map):
    response = client_as(people["owner"]).get(url(report_map))
    html = response.content.decode()
    assert '<label for="id_file">' in html and '<label for="id_languages">' in html
    assert 'enctype="multipart/form-data"' in html
    assert html.count("<h1") == 1


@pytest.mark.django_db
def test_the_result_lists_every_row_that_was_not_simply_imported(client_as, people, report_map):
    response = client_as(people["owner"]).post(url(report_map), {"file": upload(), "languages": "fr, en"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "6 reports imported" in html
    assert "v2_haiti_style.csv: 9 rows, read as an Ushahidi v2 export." in html
    assert "<tr><td>5</td><td>Rejected</td><td>The date “31/02/2010 09:00” cannot be read" in html
    assert "<tr><td>6</td><td>Imported, with a warning</td><td>Latitude “118.540000”" in html
    assert "<tr><td>8</td><td>Skipped</td><td>The row is empty.</td></tr>" in html
    assert "<tr><td>9</td><td>Skipped</td><td>The same report as row 2 of this file.</td></tr>" in html
    assert Report.objects.filter(report_map=report_map, created_by=people["owner"]).count() == 6


@pytest.mark.django_db
def test_sending_the_same_file_again_skips_every_row(client_as, people, report_map):
    client = client_as(people["owner"])
    client.post(url(report_map), {"file": upload(), "languages": "fr, en"})
    response = client.post(url(report_map), {"file": upload(), "languages": "fr, en"})
    assert "0 reports imported" in response.content.decode()
    assert Report.objects.filter(report_map=report_map).count() == 6


@pytest.mark.django_db
def test_a_long_list_of_problems_is_cut_short(client_as, people, report_map, monkeypatch):
    monkeypatch.setattr(csvio, "SHOWN_PROBLEMS", 2)
    response = client_as(people["owner"]).post(url(report_map), {"file": upload(), "languages": "fr, en"})
    html = response.content.decode()
    assert html.count("<tr><td>") == 2
    assert "And 4 more rows, not shown here." in html


@pytest.mark.django_db
def test_a_file_over_the_limit_is_refused_and_the_typed_languages_kept(
    client_as, people, report_map, settings
):
    settings.SAMEN_MAX_UPLOAD_BYTES = 100
    response = client_as(people["owner"]).post(url(report_map), {"file": upload(), "languages": "ht, en"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "the limit is 100\xa0bytes" in html
    assert 'value="ht, en"' in html
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_an_export_gets_an_error_beside_the_field(client_as, people, report_map):
    bad = upload("people.csv", b"name,email\nAmina,amina@example.org\n")
    response = client_as(people["owner"]).post(url(report_map), {"file": bad, "languages": "fr, en"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "This is not an Ushahidi export" in html and 'class="errorlist' in html
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_a_bad_language_code_is_explained(client_as, people, report_map):
    response = client_as(people["owner"]).post(url(report_map), {"file": upload(), "languages": "French"})
    assert "“french” is not a language code" in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_posting_without_a_file_asks_for_one(client_as, people, report_map):
    response = client_as(people["owner"]).post(url(report_map), {"languages": "fr, en"})
    assert "This field is required." in response.content.decode()
