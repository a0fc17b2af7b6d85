"""The public web form at /maps/<slug>/report/: plain HTML, no JavaScript needed."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from samen.reports.models import Attachment, Report, ReportChange


def form_data(client, report_map, **fields):
    """What a browser without JavaScript sends: the hidden submission id from the page, plus the fields."""
    page = client.get(reverse("reports:report", args=[report_map.slug]))
    assert page.status_code == 200
    data = {
        "submission": page.context["form"].initial["submission"],
        "title": "Water point broken",
        "description": "The tap at the school has been dry since Monday.",
        "event_at": "",
        "place_name": "Kibera, Olympic estate",
        "latitude": "",
        "longitude": "",
        "location_precision": "place",
        "reporter_name": "",
        "reporter_contact": "",
    }
    data.update(fields)
    return data


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_report_sent_without_javascript_arrives_as_a_web_report(client, report_map, categories):
    data = form_data(
        client,
        report_map,
        latitude="-1.3133",
        longitude="36.788",
        categories=[categories["broken"].pk],
        reporter_name="Amina",
        reporter_contact="+254712345678",
    )

    response = client.post(reverse("reports:report", args=[report_map.slug]), data)

    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:thanks", args=[report_map.slug, report.pk])
    assert report.source == "web"
    assert report.status == Report.Status.RECEIVED
    assert report.latitude == Decimal("-1.313300")
    assert report.h3_r9 is not None
    assert report.place_name == "Kibera, Olympic estate"
    assert report.reporter_contact == "+254712345678"
    assert list(report.categories.all()) == [categories["broken"]]
    assert report.primary_category == categories["broken"]
    assert ReportChange.objects.filter(report=report, action="created").exists()


@pytest.mark.django_db
def test_the_thank_you_page_gives_the_number_and_a_way_back(client, report_map):
    response = client.post(
        reverse("reports:report", args=[report_map.slug]), form_data(client, report_map), follow=True
    )

    report = Report.objects.get()
    page = response.content.decode()
    assert response.status_code == 200
    assert f"<strong>{report.pk}</strong>" in page
    assert reverse("reports:report", args=[report_map.slug]) in page


@pytest.mark.django_db
def test_the_thank_you_page_is_only_for_the_browser_that_sent_it(client, report_map, make_report):
    report = make_report()

    response = client.get(reverse("reports:thanks", args=[report_map.slug, report.pk]))

    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("latitude", "longitude", "field", "message"),
    [
        ("91", "36.7", "latitude", "Latitude must be between -90 and 90."),
        ("-1.3", "181", "longitude", "Longitude must be between -180 and 180."),
        ("-1.3", "", "longitude", "Give both latitude and longitude, or leave both empty."),
        ("north", "36.7", "latitude", "Type a number, for example -1.3133."),
    ],
)
def test_bad_coordinates_are_refused_with_a_clear_message_and_the_rest_is_kept(
    client, report_map, latitude, longitude, field, message
):
    data = form_data(
        client, report_map, latitude=latitude, longitude=longitude, title="Tap broken at the school"
    )

    response = client.post(reverse("reports:report", args=[report_map.slug]), data)

    assert response.status_code == 200
    assert Report.objects.count() == 0
    form = response.context["form"]
    assert message in form.errors[field]
    page = response.content.decode()
    assert message in page
    assert 'value="Tap broken at the school"' in page
    assert f'value="{latitude}"' in page


@pytest.mark.django_db
def test_coordinates_pasted_into_one_box_are_split(client, report_map):
    data = form_data(client, report_map, latitude="-1.3133, 36.7880", longitude="")

    client.post(reverse("reports:report", args=[report_map.slug]), data)

    report = Report.objects.get()
    assert (report.latitude, report.longitude) == (Decimal("-1.313300"), Decimal("36.788000"))


@pytest.mark.django_db
def test_sending_the_same_form_twice_makes_one_report(client, report_map):
    data = form_data(client, report_map)

    first = client.post(reverse("reports:report", args=[report_map.slug]), data)
    second = client.post(reverse("reports:report", args=[report_map.slug]), data)

    assert Report.objects.count() == 1
    assert first["Location"] == second["Location"]


@pytest.mark.django_db
def test_a_map_without_the_web_channel_says_so(client, report_map):
    report_map.channels = ["sms"]
    report_map.save()

    page = client.get(reverse("reports:report", args=[report_map.slug]))
    post = client.post(reverse("reports:report", args=[report_map.slug]), {"title": "x"})

    assert page.status_code == 404
    assert "+254700000001" in page.content.decode()
    assert post.status_code == 404
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_a_private_map_has_no_form_for_outsiders(client_as, report_map, map_people):
    report_map.visibility = "private"
    report_map.save()

    assert (
        client_as(map_people["anonymous"]).get(reverse("reports:report", args=[report_map.slug])).status_code
        == 404
    )
    assert (
        client_as(map_people["outsider"]).get(reverse("reports:report", args=[report_map.slug])).status_code
        == 404
    )
    assert (
        client_as(map_people["reviewer"]).get(reverse("reports:report", args=[report_map.slug])).status_code
        == 200
    )


@pytest.mark.django_db
def test_a_photo_is_kept_as_private_evidence_with_its_original_bytes(client, report_map):
    original = jpeg_with_gps()
    data = form_data(client, report_map)
    data["photo"] = SimpleUploadedFile("tap.jpg", original, content_type="image/jpeg")

    client.post(reverse("reports:report", args=[report_map.slug]), data)

    attachment = Attachment.objects.get()
    assert attachment.report == Report.objects.get()
    assert attachment.content_type == "image/jpeg"
    assert attachment.original_name == "tap.jpg"
    assert attachment.size == len(original)
    with attachment.file.open("rb") as handle:
        assert handle.read() == original


@pytest.mark.django_db
def test_a_file_that_is_not_an_image_is_refused(client, report_map):
    data = form_data(client, report_map, title="Keep this title")
    data["photo"] = SimpleUploadedFile(
        "tap.jpg", b"<html><script>alert(1)</script>", content_type="image/jpeg"
    )

    response = client.post(reverse("reports:report", args=[report_map.slug]), data)

    assert response.status_code == 200
    assert "This file is not an image we can read." in response.context["form"].errors["photo"]
    assert Report.objects.count() == 0
    assert Attachment.objects.count() == 0


@pytest.mark.django_db
def test_a_photo_over_the_size_limit_is_refused(client, report_map, settings):
    settings.SAMEN_MAX_UPLOAD_BYTES = 100
    data = form_data(client, report_map)
    data["photo"] = SimpleUploadedFile("tap.jpg", jpeg_with_gps(), content_type="image/jpeg")

    response = client.post(reverse("reports:report", args=[report_map.slug]), data)

    assert response.status_code == 200
    assert "the limit is" in response.context["form"].errors["photo"][0]
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_categories_are_offered_nested_in_the_page_language(client, report_map, categories):
    client.cookies["django_language"] = "nl"

    page = client.get(reverse("reports:report", args=[report_map.slug])).content.decode()

    assert "Noodgeval" in page
    urgent = page.index(f'value="{categories["urgent"].pk}"')
    broken = page.index(f'value="{categories["broken"].pk}"')
    unsafe = page.index(f'value="{categories["unsafe"].pk}"')
    assert urgent < broken < unsafe
    assert '<li class="depth-1">' in page  # a child, indented under its parent (reports.css)


@pytest.mark.django_db
def test_hostile_input_is_escaped_when_shown_back(client, report_map):
    hostile = '<script>alert("x")</script>'
    data = form_data(client, report_map, title=hostile, latitude="100", longitude="1")

    response = client.post(reverse("reports:report", args=[report_map.slug]), data)

    page = response.content.decode()
    assert hostile not in page
    assert "&lt;script&gt;" in page


@pytest.mark.django_db
def test_a_time_in_the_future_is_refused(client, report_map):
    data = form_data(client, report_map, event_at="2999-01-01T10:00")

    response = client.post(reverse("reports:report", args=[report_map.slug]), data)

    assert response.status_code == 200
    assert "That time is in the future. When did it happen?" in response.context["form"].errors["event_at"]


@pytest.mark.django_db
def test_a_web_report_is_recorded_once_as_a_conversion_for_the_maps_initiative(
    client, report_map, monkeypatch
):
    from samen.outreach import attribution
    from samen.reports.views import web

    calls = []
    monkeypatch.setattr(web.attribution, "record_conversion", lambda **kwargs: calls.append(kwargs))
    data = form_data(client, report_map)
    url = reverse("reports:report", args=[report_map.slug])

    client.post(url, data)
    client.post(url, data)  # a second press of "Send": the same report, counted once

    report = Report.objects.get()
    assert len(calls) == 1
    call = calls[0]
    assert call["kind"] == attribution.REPORT
    assert (call["source"], call["source_ref"]) == ("reports.report", str(report.pk))
    assert call["initiative"] == report_map.initiative
    assert call["member"] is None  # an anonymous reporter
    assert call["request"].path == url


@pytest.mark.django_db
def test_a_signed_in_reporter_is_the_conversions_member(client_as, report_map, map_people, monkeypatch):
    from samen.reports.views import web

    calls = []
    monkeypatch.setattr(web.attribution, "record_conversion", lambda **kwargs: calls.append(kwargs))
    client = client_as(map_people["member"])
    client.post(reverse("reports:report", args=[report_map.slug]), form_data(client, report_map))

    assert [call["member"] for call in calls] == [map_people["member"]]


@pytest.mark.django_db
@pytest.mark.parametrize("event_at", ["0001-01-01T00:00", "9999-12-31T23:59", "31/12/9999"])
def test_a_time_in_year_1_or_9999_is_a_form_error_in_any_time_zone(client, report_map, event_at):
    report_map.time_zone = "America/Port-au-Prince"  # 9999-12-31 23:59 there is past Python's last day in UTC
    report_map.save(update_fields=["time_zone"])
    data = form_data(client, report_map, event_at=event_at)

    response = client.post(reverse("reports:report", args=[report_map.slug]), data)

    assert response.status_code == 200
    assert "Give a date between 1900 and 2999." in response.context["form"].errors["event_at"]
    assert not Report.objects.exists()
