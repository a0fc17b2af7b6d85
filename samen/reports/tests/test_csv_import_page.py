"""The import page: coordinators upload a CSV, follow its import in the background, and see what
happened to every row. The task runs on the immediate backend once the upload's transaction commits."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from samen.reports.models import ImportJob, Report, ReportMap
from samen.reports.views import csvio

DATA = Path(__file__).parent / "data"
FORM = {"languages": "fr, en", "time_zone": "America/Port-au-Prince", "source": ""}


def url(report_map):
    return reverse("reports:csv_import", args=[report_map.slug])


@pytest.fixture(autouse=True)
def _whole_world(report_map):
    report_map.area_radius_km = 20_100  # the fixture file is from Haiti, the map in Kenya
    report_map.save(update_fields=["area_radius_km"])


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """POST the form, run the queued import, and follow the redirect to the job's page."""

    def send(client, report_map, data):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url(report_map), data)
        if response.status_code == 302 and response["Location"].startswith("/maps/"):
            return client.get(response["Location"])
        return response

    return send


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
def test_only_coordinators_may_import(client_as, map_people, report_map, person, status, post):
    client = client_as(map_people[person])
    assert client.get(url(report_map)).status_code == status
    response = post(client, report_map, {"file": upload(), "languages": "fr, en", "time_zone": "UTC"})
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
def test_the_result_lists_every_row_that_was_not_simply_imported(client_as, people, report_map, post):
    response = post(client_as(people["owner"]), report_map, FORM | {"file": upload()})
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
def test_sending_the_same_file_again_skips_every_row(client_as, people, report_map, post):
    client = client_as(people["owner"])
    post(client, report_map, FORM | {"file": upload()})
    response = post(client, report_map, FORM | {"file": upload()})
    assert "0 reports imported" in response.content.decode()
    assert Report.objects.filter(report_map=report_map).count() == 6


@pytest.mark.django_db
def test_a_long_list_of_problems_is_cut_short(client_as, people, report_map, monkeypatch, post):
    monkeypatch.setattr(csvio, "SHOWN_PROBLEMS", 2)
    response = post(client_as(people["owner"]), report_map, FORM | {"file": upload()})
    html = response.content.decode()
    assert html.count("<tr><td>") == 2
    assert "And 4 more rows, not shown here." in html


@pytest.mark.django_db
def test_a_file_over_the_limit_is_refused_and_the_typed_languages_kept(
    client_as, people, report_map, settings
):
    settings.SAMEN_MAX_UPLOAD_BYTES = 100
    response = client_as(people["owner"]).post(
        url(report_map), FORM | {"file": upload(), "languages": "ht, en"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "the limit is 100\xa0bytes" in html
    assert 'value="ht, en"' in html
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_an_export_gets_an_error_beside_the_field(client_as, people, report_map):
    bad = upload("people.csv", b"name,email\nAmina,amina@example.org\n")
    response = client_as(people["owner"]).post(url(report_map), FORM | {"file": bad})
    html = response.content.decode()
    assert response.status_code == 200
    assert "This is not an Ushahidi export" in html and 'class="errorlist' in html
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_a_bad_language_code_is_explained(client_as, people, report_map):
    response = client_as(people["owner"]).post(
        url(report_map), FORM | {"file": upload(), "languages": "French"}
    )
    assert "“french” is not a language code" in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_posting_without_a_file_asks_for_one(client_as, people, report_map):
    response = client_as(people["owner"]).post(url(report_map), FORM)
    assert "This field is required." in response.content.decode()


@pytest.mark.django_db
def test_the_import_runs_in_the_background_and_its_page_follows_it(client_as, people, report_map):
    client = client_as(people["owner"])
    response = client.post(url(report_map), FORM | {"file": upload(), "source": "haiti.ushahidi.com"})
    job = ImportJob.objects.get(report_map=report_map)
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:csv_import_job", args=[report_map.slug, job.pk])
    assert job.state == ImportJob.State.QUEUED and job.created_by == people["owner"]
    assert job.options == {
        "languages": ["fr", "en"],
        "time_zone": "America/Port-au-Prince",
        "source": "haiti.ushahidi.com",
    }
    # Waiting: the page asks again by itself, with no JavaScript, until the reader stops it.
    waiting = client.get(response["Location"])
    assert waiting["Refresh"] == "2" and "waiting for a worker" in waiting.content.decode()
    assert "?refresh=off" in waiting.content.decode()
    stopped = client.get(response["Location"] + "?refresh=off")
    assert "Refresh" not in stopped and "Look again every few seconds" in stopped.content.decode()
    # Halfway: a labelled progress bar.
    ImportJob.objects.filter(pk=job.pk).update(
        state="running", rows_total=9, rows_done=4, heartbeat_at=timezone.now()
    )
    halfway = client.get(response["Location"])
    html = halfway.content.decode()
    assert '<progress id="import-progress" max="9" value="4">' in html and "4 of 9 rows read" in html
    assert halfway["Refresh"] == "2"
    assert html.count("<h1") == 1


@pytest.mark.django_db
def test_the_finished_job_shows_the_report_and_stops_refreshing(client_as, people, report_map, post):
    response = post(client_as(people["owner"]), report_map, FORM | {"file": upload()})
    html = response.content.decode()
    assert "6 reports imported" in html and "Refresh" not in response
    job = ImportJob.objects.get(report_map=report_map)
    assert job.state == ImportJob.State.DONE and job.rows_done == job.rows_total == 9
    assert not job.file  # the upload is deleted once imported; the report stays
    assert "Dates were read as local time in America/Port-au-Prince." in html


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
def test_only_coordinators_see_an_import(client_as, map_people, report_map, person, status):
    job = ImportJob.objects.create(report_map=report_map, filename="x.csv")
    page = reverse("reports:csv_import_job", args=[report_map.slug, job.pk])
    assert client_as(map_people[person]).get(page).status_code == status
    retry = reverse("reports:csv_import_retry", args=[report_map.slug, job.pk])
    assert client_as(map_people[person]).post(retry).status_code == (302 if status == 200 else status)


@pytest.mark.django_db
def test_a_job_of_another_map_is_not_found(client_as, people, report_map):
    other = ReportMap.objects.create(
        initiative=report_map.initiative, slug="other", title="Other", channels=["import"]
    )
    job = ImportJob.objects.create(report_map=other, filename="x.csv")
    page = reverse("reports:csv_import_job", args=[report_map.slug, job.pk])
    assert client_as(people["owner"]).get(page).status_code == 404


@pytest.mark.django_db
def test_a_stalled_import_is_carried_on_without_duplicates(
    client_as, people, report_map, post, monkeypatch, django_capture_on_commit_callbacks
):
    from samen.reports import csv_import

    client = client_as(people["owner"])
    # The worker dies after the first batch of two rows: the batch is committed, the job stays "running".
    monkeypatch.setattr(csv_import, "BATCH_SIZE", 2)
    real = csv_import._save_batch
    calls = []

    def dies_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(csv_import, "_save_batch", dies_on_the_second_batch)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(report_map), FORM | {"file": upload()})  # the backend records the task as failed
    job = ImportJob.objects.get(report_map=report_map)
    stored = Report.objects.filter(report_map=report_map).count()
    assert job.state == ImportJob.State.RUNNING and stored == 2
    page = reverse("reports:csv_import_job", args=[report_map.slug, job.pk])
    assert "Carry on" not in client.get(page).content.decode()  # not stale yet
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    html = client.get(page).content.decode()
    assert "has stopped answering" in html and "Carry on with the import" in html
    monkeypatch.setattr(csv_import, "_save_batch", real)
    retry = reverse("reports:csv_import_retry", args=[report_map.slug, job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(retry)
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and job.attempts == 2
    assert Report.objects.filter(report_map=report_map).count() == 6
    assert job.summary["imported"] + job.summary["duplicates"] == 6 + 1  # row 9 repeats row 2
    assert any("interrupted" in note for note in job.summary["notes"])
    html = client.get(page).content.decode()
    assert "Already imported: skipped." in html


@pytest.mark.django_db
def test_running_the_task_twice_imports_once(client_as, people, report_map, post):
    from samen.reports.csv_jobs import run_import

    post(client_as(people["owner"]), report_map, FORM | {"file": upload()})
    job = ImportJob.objects.get(report_map=report_map)
    assert run_import.call(job.pk) == "skipped"
    assert Report.objects.filter(report_map=report_map).count() == 6
