"""Image uploads: limited in size and type, re-encoded so that no metadata survives."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from samen.initiatives.models import Initiative

from .conftest import jpeg_upload

pytestmark = pytest.mark.django_db


def post_image(client, initiative, upload, **extra):
    data = {
        "title": initiative.title,
        "summary": initiative.summary,
        "story": initiative.story,
        "causes": initiative.causes,
        "place_name": initiative.place_name,
        "image": upload,
        **extra,
    }
    return client.post(reverse("initiatives:edit", args=[initiative.slug]), data)


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x0110] = "Model 7"  # Model
    exif[0x8825] = {1: "N", 2: (1.0, 17.0, 30.0), 3: "E", 4: (36.0, 49.0, 0.0)}  # GPS: Nairobi
    return exif


def test_an_uploaded_jpeg_loses_its_exif_and_gps_data(client_as, people, initiative):
    upload = jpeg_upload(exif=exif_with_gps())
    assert Image.open(upload).getexif()  # the test image really carries EXIF
    upload.seek(0)

    response = post_image(client_as(people["owner"]), initiative, upload)

    assert response.status_code == 302
    initiative.refresh_from_db()
    with Image.open(initiative.image.path) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert "exif" not in stored.info
        assert stored.size == (64, 48)
    assert b"SpyCam" not in initiative.image.read()


def test_the_image_is_shown_on_the_page(client_as, people, initiative):
    post_image(client_as(people["owner"]), initiative, jpeg_upload())
    initiative.refresh_from_db()

    html = client_as(None).get(initiative.get_absolute_url()).content.decode()

    assert f'src="{initiative.image.url}"' in html


def test_a_file_that_is_not_an_image_is_refused_inline(client_as, people, initiative):
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image at all", content_type="image/jpeg")

    response = post_image(client_as(people["owner"]), initiative, fake, summary="Kept as typed.")

    assert response.status_code == 200
    assert "image" in response.context["form"].errors
    assert "Kept as typed." in response.content.decode()
    initiative.refresh_from_db()
    assert not initiative.image


def test_an_image_over_the_size_limit_is_refused(client_as, people, initiative, settings):
    settings.SAMEN_MAX_UPLOAD_BYTES = 500
    upload = jpeg_upload(size=(400, 400))
    assert upload.size > 500

    response = post_image(client_as(people["owner"]), initiative, upload)

    assert response.status_code == 200
    assert "the limit is" in " ".join(response.context["form"].errors["image"])
    initiative.refresh_from_db()
    assert not initiative.image


def test_replacing_the_image_deletes_the_old_file(
    client_as, people, initiative, django_capture_on_commit_callbacks
):
    owner = client_as(people["owner"])
    post_image(owner, initiative, jpeg_upload(name="first.jpg"))
    initiative.refresh_from_db()
    first = initiative.image.name

    with django_capture_on_commit_callbacks(execute=True):
        post_image(owner, initiative, jpeg_upload(name="second.jpg"))

    initiative.refresh_from_db()
    assert initiative.image.name != first
    assert not initiative.image.storage.exists(first)
    assert initiative.image.storage.exists(initiative.image.name)


def test_the_image_can_be_removed(client_as, people, initiative, django_capture_on_commit_callbacks):
    owner = client_as(people["owner"])
    post_image(owner, initiative, jpeg_upload())
    initiative.refresh_from_db()
    name = initiative.image.name

    with django_capture_on_commit_callbacks(execute=True):
        post_image(owner, initiative, "", **{"image-clear": "on"})

    initiative.refresh_from_db()
    assert not initiative.image
    assert not initiative.image.storage.exists(name)


def test_an_image_given_when_starting_an_initiative_is_cleaned_too(client_as, outsider):
    upload = jpeg_upload(exif=exif_with_gps())
    data = {"title": "Lamps", "summary": "Light.", "status": "open", "image": upload}

    response = client_as(outsider).post(reverse("initiatives:create"), data)

    assert response.status_code == 302
    initiative = Initiative.objects.get()
    with Image.open(initiative.image.path) as stored:
        assert not stored.getexif()
